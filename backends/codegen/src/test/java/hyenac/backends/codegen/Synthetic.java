package hyenac.backends.codegen;

import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.TensorType;
import hyenac.ir.Verifier;
import hyenac.ir.Weight;
import java.util.List;
import java.util.Map;

/**
 * A small hand-built graph with what the samples lack, for the fusion tests: an elementwise chain opened by a
 * split with sub, scale, neg and relu; a norm whose residual sum has a product in it (which must not contract
 * into an FMA); a Hyena core with its product's operands swapped, a GELU gate and a filter too long to stage.
 * Width 48: one and a half channel tiles; {@link #graph(long)} builds it at another width (50: no 16-byte vectors in
 * either precision, so the kernels' scalar forms).
 */
public final class Synthetic {
    private Synthetic() {}

    public static final long C = 48;

    public static Graph graph() { return graph(C); }

    /** The graph with {@code c} channels (even: the convolution has two groups). */
    public static Graph graph(long c) {
        Graph.Builder b = new Graph.Builder();
        int tokens = b.newValue(new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        b.input(tokens);
        int x = value(b, c);
        node(b, "embedding", Map.of("vocab", 16L), List.of(tokens), List.of(x), Map.of("weight", weight(b, "embedding.weight", 16, c)));
        int wide = linear(b, "p", x, c, 3 * c);
        int q = value(b, c), k = value(b, c), v = value(b, c);
        node(b, "split", Map.of("n", 3L), List.of(wide), List.of(q, k, v), Map.of());
        int d = apply(b, c, "sub", List.of(q, k), Map.of());
        int s = apply(b, c, "scale", List.of(d), Map.of("by", 0.25));
        int n = apply(b, c, "neg", List.of(v), Map.of());
        int r = apply(b, c, "relu", List.of(n), Map.of());
        int chain = apply(b, c, "mul", List.of(s, r), Map.of());
        int mixed = linear(b, "q", chain, c, c);
        int residual = apply(b, c, "add", List.of(mixed, chain), Map.of());
        int normed = norm(b, c, "n1", residual);
        int gate = linear(b, "r", normed, c, c);
        int product = apply(b, c, "mul", List.of(gate, normed), Map.of());
        int sum = apply(b, c, "add", List.of(product, residual), Map.of());
        int normed2 = norm(b, c, "n2", sum);
        int out1 = apply(b, c, "sub", List.of(sum, normed2), Map.of());
        int z = linear(b, "s", normed2, c, 3 * c);
        int zq = value(b, c), zk = value(b, c), zv = value(b, c);
        node(b, "deinterleave", Map.of("n", 3L), List.of(z), List.of(zq, zk, zv), Map.of());
        int act = apply(b, c, "gelu", List.of(zq), Map.of());
        int kv = apply(b, c, "mul", List.of(zv, zk), Map.of());
        int conv = value(b, c);
        node(b, "causal_conv", Map.of("len", 300L, "groups", 2L, "taps", "xcorr", "skip", true, "decay", false), List.of(kv), List.of(conv),
                Map.of("weight", weight(b, "t.filter.weight", 2, 300), "skip", weight(b, "t.filter.skip", c)));
        int out2 = apply(b, c, "mul", List.of(conv, act), Map.of());
        b.output(out1).output(out2);
        Graph g = b.build();
        Verifier.verify(g, "the synthetic fusion graph");
        return g;
    }

    private static int value(Graph.Builder b, long channels) { return b.newValue(TensorType.activation(DType.FP32, channels)); }

    private static String weight(Graph.Builder b, String name, long... shape) {
        b.weight(new Weight(name, DType.FP32, java.util.Arrays.stream(shape).boxed().toList(), ""));
        return name;
    }

    private static void node(Graph.Builder b, String op, Map<String, Object> attrs, List<Integer> operands, List<Integer> results, Map<String, String> weights) {
        b.add(new Node(b.nextNodeId(), op, attrs, operands, results, weights, "synthetic." + op, List.of()));
    }

    private static int apply(Graph.Builder b, long c, String op, List<Integer> operands, Map<String, Object> attrs) {
        int y = value(b, c);
        node(b, op, attrs, operands, List.of(y), Map.of());
        return y;
    }

    private static int linear(Graph.Builder b, String name, int x, long in, long features) {
        int y = value(b, features);
        node(b, "linear", Map.of("features", features, "bias", false), List.of(x), List.of(y), Map.of("weight", weight(b, name + ".weight", features, in)));
        return y;
    }

    /** An RMSNorm whose gain is not named `.scale`, so random weights give it random values (not ones). */
    private static int norm(Graph.Builder b, long c, String name, int x) {
        int y = value(b, c);
        node(b, "rmsnorm", Map.of("eps", 1e-6), List.of(x), List.of(y), Map.of("scale", weight(b, name + ".gain", c)));
        return y;
    }
}
