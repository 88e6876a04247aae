package hyenac.backends.cuda;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.Binding;
import hyenac.backends.codegen.kernels.FftConv;
import hyenac.backends.codegen.kernels.FusedKernel;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
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
        /** A recurrent state buffer the executor keeps across calls (ring, modal state, KV cache), by name. */
        record State(String name) implements Arg {}

        default boolean isPointer() { return !(this instanceof Int || this instanceof Real); }
    }

    /** One thing a node enqueues. */
    public sealed interface Step {
        /** A generated kernel and its arguments, in the kernel's parameter order. */
        record Launch(KernelSource kernel, List<Arg> args) implements Step {}
        /** y[m×n] = x[m×k]·Wᵀ (+ bias), W stored [n, k]; {@code bias} null for none. */
        record Gemm(int m, int n, int k, int x, String weight, String bias, int y) implements Step {}
        /** {@code batch} real FFTs of {@code n} points, rows of reals ↔ rows of n/2+1 complex bins (cuFFT, fp32, unnormalised). */
        record Fft(Arg in, Arg out, int n, int batch, boolean forward) implements Step {}
        /**
         * Work that depends only on weights and sizes (a long filter's spectrum): done once when a pass is
         * prepared, its scratch results kept for the pass's runs.
         */
        record Once(Step step) implements Step {}
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
                // the filter's spectrum for this L once, then y = IFFT(FFT(x)·FFT(h)) / N + skip·x over rows zero-padded to N ≥ 2L
                List<KernelSource> ks = kernels.forNode(g, n, p);
                long fft = FftConv.fftLength(length), bins = FftConv.bins(fft);
                int transforms = Math.multiplyExact(batch, in);
                String id = "n" + n.id();
                Arg.Scratch h = new Arg.Scratch(id + ".filter", (long) in * length);
                Arg.Scratch hp = new Arg.Scratch(id + ".filter_rows", in * fft);
                Arg.Scratch hf = new Arg.Scratch(id + ".filter_spectra", in * bins * 2);
                Arg.Scratch xp = new Arg.Scratch(id + ".rows", transforms * fft);
                Arg.Scratch xf = new Arg.Scratch(id + ".spectra", transforms * bins * 2);
                Arg.Int size = new Arg.Int(fft);
                yield List.of(
                        new Step.Once(bind(ks.get(0), n, batch, length, Map.of("log_poles", new Arg.Weight(weight(n, "log_poles")),
                                "residues", new Arg.Weight(weight(n, "residues")), "h", h))),
                        new Step.Once(bind(ks.get(1), n, batch, length, Map.of("h", h, "hp", hp, "n", size))),
                        new Step.Once(new Step.Fft(hp, hf, Math.toIntExact(fft), in, true)),
                        bind(ks.get(2), n, batch, length, Map.of("x", operand(n, 0), "xp", xp, "n", size)),
                        new Step.Fft(xp, xf, Math.toIntExact(fft), transforms, true),
                        bind(ks.get(3), n, batch, length, Map.of("xf", xf, "hf", hf, "bins", new Arg.Int(bins))),
                        new Step.Fft(xf, xp, Math.toIntExact(fft), transforms, false),
                        bind(ks.get(4), n, batch, length, withSkip(n, Map.of("yp", xp, "x", operand(n, 0), "y", result(n, 0), "n", size))));
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
     * The steps of one group of the fusion pass ({@link FuseKernels}) for a [batch, length] pass: a single node's
     * are {@link #of} its node; a fused group's are its one kernel, bound as the generator says at this group
     * ({@link FusedKernel#bindings()}: values, weights, reals; sizes as {@link #bind} binds them for every kernel).
     * A fused group reads only {@link Group#inputs()} and writes only {@link Group#materialised()}: its
     * {@link Group#internal() internal} values need no buffer.
     *
     * <p>How an executor runs groups instead of nodes: group the nodes a run needs with
     * {@code FuseKernels.standard().run(graph, neededNodes, wanted, mode)} (mode PARALLEL for {@code run}, PREFILL
     * for a prefill, STEP for a decode step); allocate a buffer for each group's {@code materialised()} values
     * (skipping I64) rather than every node result; then for each group in order enqueue {@code ofGroup(...)} — in a
     * STEP, a group holding a {@link #stateful} node is that node alone: enqueue {@link #decodeStep} for it instead —
     * and, in a PREFILL, after a group's steps, {@link #prefillState} (and the KV cache copies) for each stateful node
     * in it (PREFILL keeps those nodes' operands materialised for this).
     */
    public static List<Step> ofGroup(Graph g, Group group, Kernels kernels, Precision p, Function<String, Optional<float[]>> buffers,
                                     int batch, int length) {
        if (!group.fused()) return of(g, group.node(), kernels, p, buffers, batch, length);
        FusedKernel k = kernels.fused(g, group, p);
        Map<String, Arg> named = new HashMap<>();
        k.bindings().forEach((param, b) -> named.put(param, switch (b) {
            case Binding.Value v -> new Arg.Value(v.id());
            case Binding.Weight w -> new Arg.Weight(w.name());
            case Binding.Real r -> new Arg.Real(r.value());
        }));
        return List.of(bind(k.source(), group.nodes().getLast(), batch, length, named));
    }

    /** Whether a node keeps recurrent state while decoding (the others run their parallel kernels with L = 1). */
    public static boolean stateful(Node n) {
        return switch (n.op()) {
            case "causal_conv", "modal_conv", "causal_attention" -> true;
            default -> false;
        };
    }

    /** The state buffers of a stateful node for {@code batch} sequences and a KV capacity, by name → floats. */
    public static Map<String, Long> states(Graph g, Node n, int batch, long capacity) {
        long c = width(g, n.operands().getFirst());
        String id = "n" + n.id();
        return switch (n.op()) {
            case "causal_conv" -> n.intAttr("len") > 1 ? Map.of(id + ".ring", batch * c * (n.intAttr("len") - 1)) : Map.of();
            case "modal_conv" -> Map.of(id + ".modal", batch * c * n.intAttr("modes"));
            case "causal_attention" -> Map.of(id + ".keys", batch * capacity * c, id + ".values", batch * capacity * c);
            default -> Map.of();
        };
    }

    /** The state that holds the decode clock, [position, steps since the prompt] as two int64s, which the decode kernels read. */
    public static final String CLOCK = "decode.clock";

    /**
     * One decode step of a stateful node, through its codegen decode kernel. Where this token stands (its
     * position, its ring slot) the kernels read from the {@link #CLOCK} state, so the step's launches stay the
     * same from token to token; only a KV cache's capacity is bound here.
     */
    public static Step.Launch decodeStep(Graph g, Node n, Kernels kernels, Precision p, Function<String, Optional<float[]>> buffers,
                                         int batch, long capacity) {
        KernelSource k = kernels.decodeForNode(g, n, p).getFirst();
        String id = "n" + n.id();
        Map<String, Arg> named = new HashMap<>(Map.of("x", operand(n, 0), "y", result(n, 0)));
        switch (n.op()) {
            case "causal_conv" -> {
                named.put("h", new Arg.Weight(weight(n, "weight")));
                named.put("ring", new Arg.State(id + ".ring"));
                named.put("clock", new Arg.State(CLOCK));
            }
            case "modal_conv" -> {
                named.put("s", operand(n, 0));
                named.put("state", new Arg.State(id + ".modal"));
                named.put("log_poles", new Arg.Weight(weight(n, "log_poles")));
                named.put("residues", new Arg.Weight(weight(n, "residues")));
                named.put("steps", new Arg.Int(1));
            }
            case "causal_attention" -> {
                int in = width(g, n.operands().getFirst());
                named.putAll(Map.of("q", operand(n, 0), "k", operand(n, 1), "v", operand(n, 2), "out", result(n, 0),
                        "keys", new Arg.State(id + ".keys"), "values", new Arg.State(id + ".values"),
                        "clock", new Arg.State(CLOCK), "capacity", new Arg.Int(capacity)));
                // the same constant as the parallel pass's RoPE, so both rotate with one table
                if (rope(n)) named.put("inv_freq", new Arg.Host(id + ".inv_freq", invFreq(n, in / Math.toIntExact(n.intAttr("heads")), buffers)));
            }
            default -> throw new IllegalArgumentException(n.op() + " keeps no state");
        }
        return bind(k, n, batch, 1, withSkip(n, named));
    }

    /**
     * The kernels that build a node's state from its prompt pass [batch, length], run after the node's parallel
     * steps: the FIR ring from the node's input; the modal state by the scan over the prompt from a zero state
     * (its y goes to scratch: the parallel pass already wrote the result). Attention's cache is filled by copies,
     * see {@link #cachedKeys}; a one-tap FIR keeps nothing.
     */
    public static List<Step.Launch> prefillState(Graph g, Node n, Kernels kernels, Precision p, int batch, int length) {
        List<KernelSource> ks = kernels.decodeForNode(g, n, p);
        String id = "n" + n.id();
        return switch (n.op()) {
            case "causal_conv" -> ks.size() < 2 ? List.of()
                    : List.of(bind(ks.get(1), n, batch, length, Map.of("x", operand(n, 0), "ring", new Arg.State(id + ".ring"))));
            case "modal_conv" -> List.of(bind(ks.getFirst(), n, batch, length, withSkip(n, Map.of("s", operand(n, 0),
                    "y", new Arg.Scratch(id + ".scan_y", (long) batch * length * width(g, n.operands().getFirst())),
                    "state", new Arg.State(id + ".modal"), "log_poles", new Arg.Weight(weight(n, "log_poles")),
                    "residues", new Arg.Weight(weight(n, "residues")), "steps", new Arg.Int(length)))));
            default -> List.of();
        };
    }

    /** Where attention's prompt pass left its keys as the cache holds them: rotated (scratch) with RoPE, else the k operand. */
    public static Arg cachedKeys(Graph g, Node n, int batch, int length) {
        if (!rope(n)) return operand(n, 1);
        return new Arg.Scratch("n" + n.id() + ".k_rotated", (long) batch * length * width(g, n.operands().getFirst()));
    }

    private static boolean rope(Node n) { return "rope".equals(n.attrs().get("rope")); }

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
