package hyenac.backends.cuda;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * What one graph node does on the GPU in the parallel pass, decided without a device: generated kernels with
 * every argument bound (a graph value, a weight, a scratch buffer, a constant or a size), or a cuBLASLt
 * product. Kept apart from {@link CudaExecutor} so the binding of every op can be tested on a machine
 * without a GPU.
 */
public final class NodePlan {
    private NodePlan() {}

    /** One argument as the executor will resolve it. */
    public sealed interface Arg {
        /** The device buffer of graph value {@code id}. */
        record Value(int id) implements Arg {}
        /** An uploaded weight, by its name in the weight store. */
        record Weight(String name) implements Arg {}
        /** A temporary of {@code floats} floats, private to this node's run. */
        record Scratch(String name, long floats) implements Arg {}
        /** Constant data uploaded once under {@code key} (RoPE frequencies). */
        record Host(String key, float[] data) implements Arg {}
        /** The [B, L] token ids as int64. */
        record Tokens() implements Arg {}
        /** An integer scalar, written as the parameter's C type (int or long long). */
        record Int(long value) implements Arg {}
        /** A real scalar, written as the parameter's C type (float or double). */
        record Real(double value) implements Arg {}

        default boolean isPointer() { return !(this instanceof Int || this instanceof Real); }
    }

    /** One thing a node enqueues. */
    public sealed interface Step {
        /** A generated kernel and its arguments, in the kernel's parameter order. */
        record Launch(KernelSource kernel, List<Arg> args) implements Step {}
        /** y[m×n] = x[m×k]·Wᵀ (+ bias), W stored [n, k]; {@code bias} null for none. */
        record Gemm(int m, int n, int k, int x, String weight, String bias, int y) implements Step {}
    }

    /**
     * The steps of node {@code n} for a [batch, length] pass. {@code buffers} gives the weight store's
     * non-parameter buffers (RoPE's {@code layers.N.inv_freq}), empty where the checkpoint had none.
     */
    public static List<Step> of(Graph g, Node n, Kernels kernels, Precision p, Function<String, Optional<float[]>> buffers,
                                int batch, int length) {
        long rows = (long) batch * length;
        int in = n.op().equals("embedding") ? 0 : width(g, n.operands().getFirst());
        int out = width(g, n.results().getFirst());
        return switch (n.op()) {
            case "linear", "unembed" -> List.of(new Step.Gemm(Math.toIntExact(rows), out, in, n.operands().getFirst(), weight(n, "weight"),
                    n.op().equals("linear") ? n.weights().get("bias") : null, n.results().getFirst()));
            case "embedding" -> one(kernels.forNode(g, n, p), n, batch, length,
                    Map.of("tokens", new Arg.Tokens(), "table", new Arg.Weight(weight(n, "weight")), "y", result(n, 0)));
            case "rmsnorm" -> one(kernels.forNode(g, n, p), n, batch, length,
                    Map.of("x", operand(n, 0), "scale", new Arg.Weight(weight(n, "scale")), "y", result(n, 0)));
            case "deinterleave", "split" -> {
                Map<String, Arg> named = new HashMap<>(Map.of("x", operand(n, 0)));
                for (int j = 0; j < n.results().size(); j++) named.put("y" + j, result(n, j));
                yield one(kernels.forNode(g, n, p), n, batch, length, named);
            }
            case "concat" -> {
                Map<String, Arg> named = new HashMap<>(Map.of("y", result(n, 0)));
                for (int j = 0; j < n.operands().size(); j++) named.put("x" + j, operand(n, j));
                yield one(kernels.forNode(g, n, p), n, batch, length, named);
            }
            case "causal_conv" -> one(kernels.forNode(g, n, p), n, batch, length, withSkip(n,
                    Map.of("x", operand(n, 0), "h", new Arg.Weight(weight(n, "weight")), "y", result(n, 0))));
            case "modal_conv" -> {
                // Materialise h[c, t] for this L, then the direct convolution with len = L: correct, if slow (cuFFT later).
                Arg.Scratch h = new Arg.Scratch("n" + n.id() + ".filter", (long) in * length);
                List<KernelSource> filter = kernels.forNode(g, n, p);
                Step first = bind(single(filter, n), n, batch, length,
                        Map.of("log_poles", new Arg.Weight(weight(n, "log_poles")), "residues", new Arg.Weight(weight(n, "residues")), "h", h));
                boolean skip = n.weights().containsKey("skip");
                KernelSource conv = kernels.forKernel(CausalConv.direct(new CausalConv.Filter(in, length, in, CausalConv.Taps.FIR, skip), p), n);
                Step second = bind(conv, n, batch, length, withSkip(n, Map.of("x", operand(n, 0), "h", h, "y", result(n, 0))));
                yield List.of(first, second);
            }
            case "causal_attention" -> {
                int heads = Math.toIntExact(n.intAttr("heads"));
                int headDim = in / heads;
                List<KernelSource> ks = kernels.forNode(g, n, p);
                boolean rope = ks.size() == 2;
                List<Step> steps = new ArrayList<>();
                Arg q = operand(n, 0), k = operand(n, 1);
                if (rope) {
                    Arg.Host invFreq = new Arg.Host("n" + n.id() + ".inv_freq", invFreq(n, headDim, buffers));
                    Arg.Scratch qr = new Arg.Scratch("n" + n.id() + ".q_rotated", rows * in);
                    Arg.Scratch kr = new Arg.Scratch("n" + n.id() + ".k_rotated", rows * in);
                    steps.add(bind(ks.getFirst(), n, batch, length, Map.of("x", q, "y", qr, "inv_freq", invFreq)));
                    steps.add(bind(ks.getFirst(), n, batch, length, Map.of("x", k, "y", kr, "inv_freq", invFreq)));
                    q = qr;
                    k = kr;
                }
                steps.add(bind(ks.getLast(), n, batch, length, Map.of("q", q, "k", k, "v", operand(n, 2), "out", result(n, 0))));
                yield steps;
            }
            default -> {
                Map<String, Arg> named = new HashMap<>(Map.of("a", operand(n, 0), "y", result(n, 0)));
                if (n.operands().size() > 1) named.put("b", operand(n, 1));
                if (n.op().equals("scale")) named.put("by", new Arg.Real(n.floatAttr("by")));
                yield one(kernels.forNode(g, n, p), n, batch, length, named);
            }
        };
    }

    /**
     * Binds a kernel's parameters in order: pointers and op-specific scalars from {@code named}, the size
     * scalars every launcher knows from B and L (rows = B·L; length and y_length = L; batch = B;
     * first_position = 0 for a prompt). A parameter nothing binds, or a pointer bound to a scalar, is an error.
     */
    public static Step.Launch bind(KernelSource k, Node n, int batch, int length, Map<String, Arg> named) {
        List<Arg> args = new ArrayList<>();
        for (KernelParam param : k.params()) {
            Arg a = named.get(param.name());
            if (a == null) {
                a = switch (param.name()) {
                    case "rows" -> new Arg.Int((long) batch * length);
                    case "length", "y_length" -> new Arg.Int(length);
                    case "batch" -> new Arg.Int(batch);
                    case "first_position" -> new Arg.Int(0);
                    default -> throw new IllegalStateException("nothing binds parameter `" + param.name() + "` (" + param.holds() + ") of "
                            + k.entry() + " for node " + n.op() + " " + n.path());
                };
            }
            boolean pointer = param.type() instanceof CType.Pointer;
            if (pointer != a.isPointer()) {
                throw new IllegalStateException(k.entry() + " parameter `" + param.name() + "` is " + (pointer ? "a pointer" : "a scalar")
                        + " but was bound to " + a);
            }
            args.add(a);
        }
        return new Step.Launch(k, args);
    }

    private static List<Step> one(List<KernelSource> ks, Node n, int batch, int length, Map<String, Arg> named) {
        return List.of(bind(single(ks, n), n, batch, length, named));
    }

    private static KernelSource single(List<KernelSource> ks, Node n) {
        if (ks.size() != 1) throw new IllegalStateException("expected one kernel for " + n.op() + ", the generator gave " + ks.size());
        return ks.getFirst();
    }

    private static Map<String, Arg> withSkip(Node n, Map<String, Arg> named) {
        String skip = n.weights().get("skip");
        if (skip == null) return named;
        Map<String, Arg> m = new HashMap<>(named);
        m.put("skip", new Arg.Weight(skip));
        return m;
    }

    private static Arg operand(Node n, int i) { return new Arg.Value(n.operands().get(i)); }

    private static Arg result(Node n, int i) { return new Arg.Value(n.results().get(i)); }

    private static String weight(Node n, String role) {
        String name = n.weights().get(role);
        if (name == null) throw new IllegalStateException(n.op() + " " + n.path() + " has no `" + role + "` weight");
        return name;
    }

    private static int width(Graph g, int value) { return Math.toIntExact(g.value(value).type().channels()); }

    /** As the CPU reference: the checkpoint's frequencies of the node's layer where present, else computed (bf16-rounded). */
    static float[] invFreq(Node n, int headDim, Function<String, Optional<float[]>> buffers) {
        String layer = n.path().startsWith("layers.") ? n.path().substring(0, n.path().indexOf('.', 7)) : "";
        return buffers.apply(layer + ".inv_freq").orElseGet(() -> hyenac.backends.cpu.Rope.invFreqBf16(n.floatAttr("rope.base"), headDim));
    }
}
