package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * In a decode step, a projection and the pointwise work that follows it, as one GEMV with its epilogue:
 * <pre>
 *   y = act(x·W0ᵀ [+ b0])                        an activation (optional)
 *   y = act(x·W0ᵀ [+ b0]) ⊙ (x·W1ᵀ [+ b1])       the gate of a gated MLP: a second projection of the same x
 *   y = … + r                                   a residual add (optional)
 * </pre>
 * A step multiplies one token per sequence by each weight, so its projections are GEMVs that stream their weights
 * (the lowering's choice); their epilogue then costs no pass over memory and no launch. Only in
 * {@link FuseKernels.Mode#STEP}: a prompt's projections are library GEMMs, which take no epilogue but a bias.
 * Found at the projection (the gate's second projection joins from the product); every value but the last is
 * private to the group, which writes only y.
 */
public final class FuseGemv implements Pattern {
    public static final String KIND = "gemv";

    @Override public String kind() { return KIND; }

    @Override public boolean runsIn(FuseKernels.Mode mode) { return mode == FuseKernels.Mode.STEP; }

    /** A projection a GEMV computes: {@code linear} (with or without bias) or {@code unembed}. */
    public static boolean projection(Node n) { return n.is(Primitive.LINEAR) || n.is(Primitive.UNEMBED); }

    @Override public Optional<Set<Node>> match(Node first, Context ctx) {
        if (!projection(first)) return Optional.empty();
        Set<Node> group = new LinkedHashSet<>(List.of(first));
        int last = first.results().getFirst();
        Node next = soleReader(last, ctx);
        boolean activated = false;
        if (next != null && next.primitive().activation() && ctx.free(next)) {
            group.add(next);
            activated = true;
            last = next.results().getFirst();
            next = soleReader(last, ctx);
        }
        if (next != null && next.is(Primitive.MUL) && ctx.free(next)) {
            List<Node> gate = gate(first, last, next, activated, ctx);
            if (!gate.isEmpty()) {
                group.addAll(gate);
                group.add(next);
                last = next.results().getFirst();
                next = soleReader(last, ctx);
            }
        }
        // a residual: y + r with r read from memory (not y itself)
        if (next != null && next.is(Primitive.ADD) && ctx.free(next) && next.operands().size() == 2
                && next.operands().indexOf(last) == next.operands().lastIndexOf(last)) {
            group.add(next);
        }
        if (group.size() < 2 || !ctx.schedulable(group)) return Optional.empty();
        Node end = group.stream().reduce((a, b) -> b).orElseThrow();
        for (Node n : group) {
            if (n == end) continue;
            for (int r : n.results()) if (!ctx.privateTo(r, group)) return Optional.empty();
        }
        return Optional.of(group);
    }

    /**
     * The second projection of a gate {@code mul(last, other)} and its activation where it has the one: a free linear of
     * the same x, width and bias as {@code first}. Empty when the product's other operand is anything else.
     */
    private static List<Node> gate(Node first, int last, Node mul, boolean activated, Context ctx) {
        if (mul.operands().size() != 2 || mul.operands().get(0) == mul.operands().get(1)) return List.of();
        int otherValue = mul.operands().get(0) == last ? mul.operands().get(1) : mul.operands().get(0);
        Node other = ctx.producer(otherValue), act = null;
        // the activation may sit on the other side instead: act(x·W1ᵀ) ⊙ x·W0ᵀ
        if (other != null && !activated && other.primitive().activation() && ctx.free(other)) {
            act = other;
            other = ctx.producer(other.operands().getFirst());
        }
        if (other == null || other == first || !other.is(Primitive.LINEAR) || !first.is(Primitive.LINEAR) || !ctx.free(other)) return List.of();
        boolean twin = other.operands().equals(first.operands()) && ctx.width(other.results().getFirst()) == ctx.width(first.results().getFirst())
                && (other.weights().get("bias") == null) == (first.weights().get("bias") == null);
        if (!twin) return List.of();
        return act == null ? List.of(other) : List.of(other, act);
    }

    /** The one running node reading a value the caller does not keep, else null (a kept or shared value ends the group). */
    private static Node soleReader(int value, Context ctx) {
        if (ctx.kept(value)) return null;
        List<Node> users = ctx.users(value);
        return users.size() == 1 ? users.getFirst() : null;
    }
}
