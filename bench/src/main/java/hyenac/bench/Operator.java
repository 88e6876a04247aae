package hyenac.bench;

import hyenac.compiler.Compilation;
import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.source.SourceFile;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operators {@code hyenac bench --op} times, under the names peer_baselines.py uses: its {@code --ops} flag
 * ({@code se}) and the {@code op} of its result rows ({@code hyena_se}), so the two JSON files line up.
 */
enum Operator {
    SE("se", "hyena_se"),
    MR("mr", "hyena_mr"),
    LI("li", "hyena_li"),
    ATTENTION("attention", "attention"),
    COPY("copy", "copy");

    final String flag;
    final String peerName;

    Operator(String flag, String peerName) {
        this.flag = flag;
        this.peerName = peerName;
    }

    static String names() { return Arrays.stream(values()).map(o -> o.flag).collect(Collectors.joining(", ")); }

    static Operator parse(String flag) {
        for (Operator o : values()) if (o.flag.equals(flag.trim().toLowerCase(Locale.ROOT))) return o;
        throw new IllegalArgumentException("unknown operator `" + flag.trim() + "`; choose from " + names());
    }

    /** The shape of an operator point: the width and, for Hyena, the filter groups, for attention heads × head_dim. */
    record Config(long width, long groups, long heads, long headDim) {}

    /**
     * A one-layer model around the operator, compiled, and the values that bound the part we time: for a Hyena
     * operator the gate-conv-gate core as peer_baselines.py times it (from the featurizer's output, which the
     * core de-interleaves into q, k, v, to the post-gate y = q ⊙ (h ∗ (k ⊙ v))), for attention the causal
     * attention from q, k, v (RoPE included, projections not). {@code timed} is the node whose FLOPs count.
     */
    record Model(Graph graph, Set<Integer> given, int wanted, Node timed) {}

    /** The one-layer spec: the prelude's own operator, at the Evo 2 7B settings of the peer script. */
    String spec(Config c, long context) {
        String op = switch (this) {
            case SE -> "hyena_se(len = 7, groups = " + c.groups() + ")";
            case MR -> "hyena_mr(len = 128, groups = " + c.groups() + ")";
            case LI -> "hyena_li(modes = 16)";
            case ATTENTION -> "attention(heads = " + c.heads() + ", head_dim = " + c.headDim() + ", rope = rope(base = 1e4))";
            case COPY -> throw new IllegalStateException("copy needs no model");
        };
        return """
                // hyenac bench: one layer holding the operator under test (the MLP is tiny: it does not run)
                import "std"
                model bench_%s {
                  vocab = 512
                  width = %d
                  context = %d
                  dtype = bf16
                  op core = %s
                  op mlp = gated_mlp(hidden = 16, act = identity)
                  layers = [core]
                }
                """.formatted(flag, c.width(), context, op);
    }

    Model model(Config c, long context) {
        String text = spec(c, context);
        Compilation.Result r = Compilation.of(Checker.checkSource(new SourceFile("<bench " + flag + ">", text), Path.of(".")), null);
        if (!r.ok()) {
            String diags = r.checked().diagnostics().all().stream().map(HumanRenderer::render).collect(Collectors.joining());
            throw new IllegalArgumentException("the " + flag + " point does not compile:\n" + diags);
        }
        Graph g = r.graph();
        if (this == ATTENTION) {
            Node a = only(g, Primitive.CAUSAL_ATTENTION);
            return new Model(g, Set.copyOf(a.operands()), a.results().getFirst(), a);
        }
        return core(g);
    }

    /** The gate-conv-gate core of a one-layer Hyena graph: from the featurizer's output to the post-gate. */
    static Model core(Graph g) {
        Node split = only(g, Primitive.DEINTERLEAVE);
        int q = split.results().getFirst();
        Node gate = g.users(q).stream().filter(n -> n.is(Primitive.MUL)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no post-gate reads q"));
        int other = gate.operands().get(gate.operands().get(0) == q ? 1 : 0);
        return new Model(g, Set.copyOf(split.operands()), gate.results().getFirst(), g.producer(other));
    }

    private static Node only(Graph g, Primitive op) {
        List<Node> found = g.nodes().stream().filter(n -> n.is(op)).toList();
        if (found.size() != 1) throw new IllegalStateException("expected one " + op + " node, found " + found.size());
        return found.getFirst();
    }

    /** Minimal bytes of one point (see {@link Counts}). */
    long bytes(Model m, long batch, long length, int elementBytes) {
        long channels = m.graph().value(m.wanted()).type().channels();
        return this == ATTENTION ? Counts.attentionBytes(batch, length, channels, elementBytes)
                : Counts.coreBytes(batch, length, channels, elementBytes);
    }

    /** FLOPs of one point: the convolution's or the attention's, by SEMANTICS.md §7. */
    double flops(Model m, long batch, long length) {
        Node n = m.timed();
        long channels = m.graph().value(n.operands().getFirst()).type().channels();
        return switch (n.primitive()) {
            case CAUSAL_CONV -> Counts.firFlops(batch, length, n.intAttr("len"), channels);
            case MODAL_CONV -> Counts.fftConvFlops(batch, length, channels);
            case CAUSAL_ATTENTION -> Counts.attentionFlops(batch, length, channels);
            default -> throw new IllegalStateException("no FLOP rule for " + n.op());
        };
    }
}
