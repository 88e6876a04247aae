package hyenac.ir;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape rules the primitives' table names ({@link Primitive#typeRule()}): what the verifier checks and what
 * shape inference relies on. Widths are channels, the last dimension; weight gradients have the weight's shape.
 */
final class TypeRules {
    private TypeRules() {}

    /** The node's problems; none when an operand or result is missing or untyped (the verifier reports those). */
    static List<String> check(Graph g, Node n) {
        if (n.operands().isEmpty() || n.results().isEmpty()) return List.of();
        for (int v : n.operands()) if (g.value(v) == null) return List.of();
        for (int v : n.results()) if (g.value(v) == null) return List.of();
        return n.primitive().typeRule().check(g, n);
    }

    private static long width(Graph g, int value) { return g.value(value).type().channels(); }

    private static long in(Graph g, Node n) { return width(g, n.operands().getFirst()); }

    private static long out(Graph g, Node n) { return width(g, n.results().getFirst()); }

    private static List<Long> dims(Graph g, int value) {
        return g.value(value).type().dims().stream().map(Dim::size).toList();
    }

    /** y = x·Wᵀ: weight [out, in]. */
    static List<String> projects(Graph g, Node n) {
        Weight w = g.weights().get(n.weights().get("weight"));
        if (w != null && !w.shape().equals(List.of(out(g, n), in(g, n)))) {
            return List.of("weight " + w.name() + " " + w.shape() + " does not map " + in(g, n) + " to " + out(g, n) + " channels");
        }
        return List.of();
    }

    /** dx = dy·W: the same weight [out, in] read backwards. */
    static List<String> projectsBack(Graph g, Node n) {
        Weight w = g.weights().get(n.weights().get("weight"));
        if (w != null && !w.shape().equals(List.of(in(g, n), out(g, n)))) {
            return List.of("weight " + w.name() + " " + w.shape() + " does not map " + out(g, n) + " back to " + in(g, n) + " channels");
        }
        return List.of();
    }

    /** Token ids to rows of the table [vocab, width]. */
    static List<String> embeds(Graph g, Node n) {
        Weight w = g.weights().get(n.weights().get("weight"));
        if (w != null && (w.shape().size() != 2 || w.shape().get(1) != out(g, n))) {
            return List.of("table " + w.name() + " " + w.shape() + " does not hold rows of " + out(g, n) + " channels");
        }
        if (w != null && n.attrs().containsKey("vocab") && w.shape().getFirst() != n.intAttr("vocab")) {
            return List.of("table " + w.name() + " " + w.shape() + " does not have vocab = " + n.intAttr("vocab") + " rows");
        }
        return List.of();
    }

    static List<String> keepsWidth(Graph g, Node n) {
        return in(g, n) == out(g, n) ? List.of() : List.of("keeps the width, but maps " + in(g, n) + " to " + out(g, n));
    }

    /** Every operand and result has one width. */
    static List<String> sameWidths(Graph g, Node n) {
        List<String> out = new ArrayList<>();
        long rc = out(g, n);
        for (int operand : n.operands()) {
            if (width(g, operand) != rc) out.add("operand %" + operand + " has width " + width(g, operand) + ", result " + rc);
        }
        for (int r : n.results()) if (width(g, r) != rc) out.add("result %" + r + " has width " + width(g, r) + ", result " + rc);
        return out;
    }

    /** n results of equal width: deinterleave, split. */
    static List<String> divides(Graph g, Node n) {
        List<String> out = new ArrayList<>();
        long c = in(g, n);
        for (int r : n.results()) {
            if (width(g, r) * n.results().size() != c) out.add("result %" + r + " is not 1/" + n.results().size() + " of " + c);
        }
        return out;
    }

    /** The result holds every operand's channels: concat, interleave. */
    static List<String> joins(Graph g, Node n) {
        long sum = 0;
        for (int operand : n.operands()) sum += width(g, operand);
        return sum == out(g, n) ? List.of() : List.of("the operands' widths add up to " + sum + ", the result has " + out(g, n));
    }

    /** Channels [start, start + width) of the operand. */
    static List<String> slices(Graph g, Node n) {
        long start = n.intAttr("start"), width = n.intAttr("width");
        List<String> out = new ArrayList<>();
        if (start < 0 || start + width > in(g, n)) out.add("channels " + start + " to " + (start + width) + " are not within " + in(g, n));
        if (width != out(g, n)) out.add("slices " + width + " channels into a result of " + out(g, n));
        return out;
    }

    /** The loss: one number from logits, targets and mask. */
    static List<String> loss(Graph g, Node n) {
        return dims(g, n.results().getFirst()).equals(List.of(1L)) ? List.of() : List.of("the loss is not one number: " + g.value(n.results().getFirst()).type());
    }

    /** A vector of the first operand's channels: the bias's, skip's or norm scale's gradient. */
    static List<String> perChannel(Graph g, Node n) {
        return expectDims(g, n.results().getFirst(), List.of(in(g, n)));
    }

    /** dW = dyᵀ·x: [dy's width, x's width]. */
    static List<String> outerProduct(Graph g, Node n) {
        return expectDims(g, n.results().getFirst(), List.of(in(g, n), width(g, n.operands().get(1))));
    }

    /** The table's gradient [vocab, dy's width]. */
    static List<String> embeddingGradient(Graph g, Node n) {
        return expectDims(g, n.results().getFirst(), List.of(n.intAttr("vocab"), in(g, n)));
    }

    /** Result i has the shape of the i-th of {@code roles} the node binds: the gradients of its weights. */
    static Primitive.TypeRule shapedLikeWeights(String... roles) {
        return (g, n) -> {
            List<Weight> bound = new ArrayList<>();
            for (String role : roles) {
                Weight w = g.weights().get(n.weights().get(role));
                if (w != null) bound.add(w);
            }
            if (bound.size() != n.results().size()) return List.of(n.results().size() + " results for " + bound.size() + " weights");
            List<String> out = new ArrayList<>();
            for (int i = 0; i < bound.size(); i++) out.addAll(expectDims(g, n.results().get(i), bound.get(i).shape()));
            return out;
        };
    }

    private static List<String> expectDims(Graph g, int value, List<Long> shape) {
        return dims(g, value).equals(shape) ? List.of() : List.of("result %" + value + " is " + g.value(value).type() + ", not " + shape);
    }
}
