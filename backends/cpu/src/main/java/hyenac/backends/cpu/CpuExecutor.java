package hyenac.backends.cpu;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.HostTensor;
import hyenac.runtime.weights.WeightStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a graph on the CPU with the reference kernels. {@link #run} is a stateless parallel forward pass
 * over [batch, length]; only the nodes needed for the wanted values run, starting from the values
 * given, so one layer can run on its own. {@link #prefill} and {@link #step} generate: the prompt runs
 * in parallel while every stateful primitive (causal convolutions, modal convolutions, attention)
 * keeps its recurrent state, then each new token runs through those states. Nothing here knows a
 * model: any graph built from primitives can generate.
 */
public final class CpuExecutor {
    private final Graph graph;
    private final WeightStore weights;

    private enum Phase { PARALLEL, PREFILL, STEP }

    /**
     * Filters derived from weights, made once: explicit taps in FIR order per node, and Hyena-LI's
     * materialised filter per node for the last sequence length it ran at (key: node id and length).
     */
    private final Map<Long, Fir> filters = new HashMap<>();

    /** Small bf16 weights (norm scales, biases) widened to fp32 on first use, by name; big ones are read as bf16. */
    private final Map<String, float[]> widened = new HashMap<>();

    /** Recurrent state per stateful node id, created by {@link #prefill}. */
    private final Map<Integer, Object> states = new HashMap<>();
    private int batch;
    private long position;
    private boolean storeBf16;
    private Set<Integer> roundedOnly;

    /** Elements one array may hold (the JDK's soft limit on array length): the most any value or cache may have. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** The widest value of the graph, and the widest that a KV cache keeps for every token. */
    private final long widest, widestCached;

    public CpuExecutor(Graph graph, WeightStore weights) {
        this.graph = graph;
        this.weights = weights;
        this.widest = graph.values().values().stream().mapToLong(v -> v.type().channels()).max().orElse(0);
        this.widestCached = graph.nodes().stream().filter(n -> n.is(Primitive.CAUSAL_ATTENTION))
                .mapToLong(n -> graph.value(n.operands().getFirst()).type().channels()).max().orElse(0);
    }

    /**
     * Rounds every node's results to bf16 as it stores them (arithmetic stays fp32): what bf16 storage costs
     * a model by itself, the floor a bf16 backend's difference from the fp32 oracle is read against.
     */
    public CpuExecutor storingBf16() {
        storeBf16 = true;
        roundedOnly = null;
        return this;
    }

    /**
     * Rounds to bf16 only {@code values} as it stores them: the values a GPU plan keeps in bf16 memory (the rest live
     * in a fused kernel's fp32 registers), so a bf16 backend can be compared at its own rounding points. May be
     * changed between calls (a prefill's plan and a step's keep different values).
     */
    public CpuExecutor storingBf16(Set<Integer> values) {
        storeBf16 = true;
        roundedOnly = Set.copyOf(values);
        return this;
    }

    /**
     * @param tokens [batch, length] token ids, read by the embedding (may be null when it does not run)
     * @param given  values supplied instead of computed, by value id, [batch, length, width] fp32
     * @param wanted value ids to return
     */
    public Map<Integer, float[]> run(int batch, int length, long[] tokens, Map<Integer, float[]> given, Collection<Integer> wanted) {
        return evaluate(Phase.PARALLEL, batch, length, tokens, given, wanted);
    }

    /**
     * Runs the prompt [batch, length] in parallel and keeps every stateful node's state.
     * Returns the logits at the last position, [batch, vocab].
     */
    public float[] prefill(long[] tokens, int batch, int length) {
        return lastPosition(prefill(tokens, batch, length, List.of()), batch, length);
    }

    /** As {@link #prefill(long[], int, int)}, also returning other values of the prompt pass (all positions). */
    public Map<Integer, float[]> prefill(long[] tokens, int batch, int length, Collection<Integer> alsoWanted) {
        this.batch = batch;
        states.clear();
        List<Integer> wanted = new ArrayList<>(alsoWanted);
        wanted.add(graph.outputs().getFirst());
        Map<Integer, float[]> out = evaluate(Phase.PREFILL, batch, length, tokens, Map.of(), wanted);
        position = length;
        return out;
    }

    /** The logits at the last position of a prompt pass, [batch, vocab]. */
    public float[] lastPosition(Map<Integer, float[]> values, int batch, int length) {
        int logits = graph.outputs().getFirst();
        float[] all = values.get(logits);
        int vocab = width(logits);
        float[] last = new float[batch * vocab];
        for (int b = 0; b < batch; b++) System.arraycopy(all, ((b + 1) * length - 1) * vocab, last, b * vocab, vocab);
        return last;
    }

    /** One decode step for tokens [batch] at the next position; returns logits [batch, vocab]. */
    public float[] step(long[] tokens) {
        return step(tokens, List.of()).get(graph.outputs().getFirst());
    }

    /** As {@link #step(long[])}, also returning other values of this step ([batch, 1, width] each). */
    public Map<Integer, float[]> step(long[] tokens, Collection<Integer> alsoWanted) {
        if (position == 0) throw new IllegalStateException("step before prefill");
        List<Integer> wanted = new ArrayList<>(alsoWanted);
        wanted.add(graph.outputs().getFirst());
        Map<Integer, float[]> out = evaluate(Phase.STEP, batch, 1, tokens, Map.of(), wanted);
        position++;
        return out;
    }

    /** The recurrent state of a stateful node (FirState, ModalState or KvCache), null before prefill. */
    public Object state(Node n) { return states.get(n.id()); }

    private Map<Integer, float[]> evaluate(Phase phase, int batch, int length, long[] tokens, Map<Integer, float[]> given,
                                           Collection<Integer> wanted) {
        checkSizes(phase, batch, length);
        Map<Integer, float[]> values = new HashMap<>(given);
        for (Node n : graph.slice(given.keySet(), wanted)) {
            float[][] results = execute(n, batch, length, tokens, values, phase);
            for (int i = 0; i < results.length; i++) {
                int r = n.results().get(i);
                values.put(r, storeBf16 && (roundedOnly == null || roundedOnly.contains(r)) ? Floats.roundedToBf16(results[i]) : results[i]);
            }
        }
        Map<Integer, float[]> out = new HashMap<>();
        for (int w : wanted) {
            float[] v = values.get(w);
            if (v == null) throw new IllegalArgumentException("value %" + w + " cannot be computed from the given values");
            out.put(w, v);
        }
        return out;
    }

    /** Every value of a pass is one array: a pass too long for that is refused with the longest that fits, not overflowed. */
    private void checkSizes(Phase phase, int batch, int length) {
        if (phase == Phase.STEP) {
            if ((position + 1) * widestCached > MAX_ELEMENTS) {
                throw new BackendException(String.format(Locale.ROOT, "cannot generate past %,d tokens on the CPU: the attention cache of"
                        + " width %,d would need more than the %,d elements one array can hold; generate fewer tokens",
                        position, widestCached, MAX_ELEMENTS));
            }
            return;
        }
        long elements = (long) batch * length * widest;
        if (elements > MAX_ELEMENTS) {
            throw new BackendException(String.format(Locale.ROOT, "%,d tokens are too many for this model on the CPU: its widest activation"
                    + " (width %,d) would have %,d elements, more than the %,d one array can hold; use at most %,d tokens",
                    (long) batch * length, widest, elements, MAX_ELEMENTS, MAX_ELEMENTS / widest / batch));
        }
    }

    private int width(int value) { return Math.toIntExact(graph.value(value).type().channels()); }

    /** A weight in fp32 (widened once if it is held as bf16), or null when the node has none in that role. */
    float[] w(Node n, String role) {
        String name = n.weights().get(role);
        if (name == null) return null;
        return switch (weights.tensor(name)) {
            case HostTensor.Fp32 f -> f.values();
            case HostTensor.Bf16 b -> widened.computeIfAbsent(name, k -> b.floats());
        };
    }

    /** A weight as held (bf16 stays bf16), for the kernels that read it directly. */
    private HostTensor held(Node n, String role) {
        return weights.tensor(n.weights().get(role));
    }

    private float[][] execute(Node n, int batch, int length, long[] tokens, Map<Integer, float[]> values, Phase phase) {
        int rows = batch * length;
        List<float[]> in = n.operands().stream().map(values::get).toList();
        Primitive p = n.primitive();
        int c = p == Primitive.EMBEDDING ? 0 : width(n.operands().getFirst());
        int out = width(n.results().getFirst());
        float[] x = in.getFirst();
        return switch (p) {
            case EMBEDDING -> new float[][] {embed(tokens, rows, out, held(n, "weight"))};
            case UNEMBED -> new float[][] {Linear.apply(x, rows, c, held(n, "weight"), out, null)};
            case LINEAR -> new float[][] {Linear.apply(x, rows, c, held(n, "weight"), out, w(n, "bias"))};
            case CAUSAL_CONV -> {
                Fir fir = fir(n);
                if (phase == Phase.STEP) yield new float[][] {((FirState) states.get(n.id())).step(x)};
                if (phase == Phase.PREFILL) startState(n, in, batch, length);
                yield new float[][] {Conv.causal(x, batch, length, c, fir, w(n, "skip"))};
            }
            case MODAL_CONV -> {
                int modes = Math.toIntExact(n.intAttr("modes"));
                if (phase == Phase.STEP) yield new float[][] {((ModalState) states.get(n.id())).step(x)};
                if (phase == Phase.PREFILL) startState(n, in, batch, length);
                Fir h = filters.get(key(n, length));
                if (h == null) {
                    // one length per node: scoring meets many lengths, and a filter as long as each would pile up
                    filters.keySet().removeIf(k -> (int) (k >>> 32) == n.id());
                    h = new Fir(ModalFilter.materialise(w(n, "log_poles"), w(n, "residues"), c, modes, length), c, length);
                    filters.put(key(n, length), h);
                }
                yield new float[][] {Conv.causal(x, batch, length, c, h, w(n, "skip"), Conv.Algorithm.FFT)};
            }
            case RMSNORM -> new float[][] {Norm.rmsnorm(x, rows, c, w(n, "scale"), n.floatAttr("eps"))};
            case DEINTERLEAVE -> Channels.deinterleave(x, rows, c, n.results().size());
            case SPLIT -> Channels.split(x, rows, c, n.results().size());
            case CONCAT -> new float[][] {Channels.concat(rows, in.toArray(float[][]::new))};
            case ADD -> new float[][] {Elementwise.add(x, in.get(1))};
            case SUB -> new float[][] {Elementwise.sub(x, in.get(1))};
            case MUL -> new float[][] {Elementwise.mul(x, in.get(1))};
            case SCALE -> new float[][] {Elementwise.scale(x, n.floatAttr("by"))};
            case NEG -> new float[][] {Elementwise.scale(x, -1)};
            case IDENTITY, GELU, SILU, RELU -> new float[][] {Activation.of(p).apply(x)};
            case CAUSAL_ATTENTION -> {
                int heads = Math.toIntExact(n.intAttr("heads"));
                int headDim = c / heads;
                if (phase == Phase.STEP) yield new float[][] {((KvCache) states.get(n.id())).step(x, in.get(1), in.get(2), position)};
                if (phase == Phase.PREFILL) startState(n, in, batch, length);
                yield new float[][] {Attention.causal(x, in.get(1), in.get(2), batch, length, heads, headDim, rope(n, headDim))};
            }
            // Form.TRAINING: the loss and the gradient primitives run in GradientExecutor
            case CROSS_ENTROPY, CROSS_ENTROPY_GRAD, ZEROS_LIKE, LINEAR_GRAD_INPUT, LINEAR_GRAD_WEIGHT, SUM_ROWS, EMBEDDING_GRAD,
                 CAUSAL_CONV_GRAD_INPUT, CAUSAL_CONV_GRAD_PARAMS, MODAL_CONV_GRAD_INPUT, MODAL_CONV_GRAD_PARAMS, SKIP_GRAD,
                 RMSNORM_GRAD_INPUT, RMSNORM_GRAD_SCALE, INTERLEAVE, SLICE, ACTIVATION_GRAD, CAUSAL_ATTENTION_GRAD ->
                    throw new IllegalStateException("`" + p + "` is a training primitive: GradientExecutor runs it");
        };
    }

    /** One node of a parallel pass, for executors of graphs with more than forward primitives ({@link GradientExecutor}). */
    float[][] forward(Node n, int batch, int length, long[] tokens, Map<Integer, float[]> values) {
        return execute(n, batch, length, tokens, values, Phase.PARALLEL);
    }

    /** A stateful node's recurrent state after a prompt of {@code length}, from what it read ({@code in}, whole sequences). */
    private void startState(Node n, List<float[]> in, int batch, int length) {
        int c = width(n.operands().getFirst());
        Object state = switch (n.primitive()) {
            case CAUSAL_CONV -> {
                FirState f = new FirState(batch, c, fir(n), w(n, "skip"));
                f.prefill(in.getFirst(), length);
                yield f;
            }
            case MODAL_CONV -> {
                ModalState m = new ModalState(batch, c, Math.toIntExact(n.intAttr("modes")), w(n, "log_poles"), w(n, "residues"), w(n, "skip"));
                m.prefill(in.getFirst(), length);
                yield m;
            }
            case CAUSAL_ATTENTION -> {
                int headDim = c / Math.toIntExact(n.intAttr("heads"));
                KvCache k = new KvCache(batch, Math.toIntExact(n.intAttr("heads")), headDim, rope(n, headDim));
                k.prefill(in.get(1), in.get(2), length);
                yield k;
            }
            default -> throw new IllegalArgumentException("`" + n.op() + "` keeps no state");
        };
        states.put(n.id(), state);
    }

    /**
     * Takes up generation after a prompt of [batch, length] that ran elsewhere (a context-parallel prefill): every
     * stateful node's state is built from what it read there, {@code read} by value id (whole sequences), as
     * {@link #prefill} would have built it; {@link #step} then goes on.
     */
    public void resumeAfter(Map<Integer, float[]> read, int batch, int length) {
        this.batch = batch;
        states.clear();
        for (Node n : graph.slice(Set.of(), graph.outputs())) {
            if (n.primitive().stateful()) startState(n, n.operands().stream().map(read::get).toList(), batch, length);
        }
        position = length;
    }

    /** Explicit taps in FIR order, made once per node. */
    Fir fir(Node n) {
        return filters.computeIfAbsent(key(n, 0), k -> Fir.of(w(n, "weight"), Math.toIntExact(n.intAttr("groups")),
                Math.toIntExact(n.intAttr("len")), "xcorr".equals(n.stringAttr("taps")) ? Fir.Taps.XCORR : Fir.Taps.FIR));
    }

    private static long key(Node n, int length) { return (long) n.id() << 32 | length; }

    /** RoPE from the node's attributes; inverse frequencies from the checkpoint when it had them. */
    Rope rope(Node n, int headDim) {
        if (!"rope".equals(n.attrs().get("rope"))) return null;
        String layer = n.path().startsWith("layers.") ? n.path().substring(0, n.path().indexOf('.', 7)) : "";
        float[] invFreq = weights.buffer(layer + ".inv_freq").orElseGet(() -> Rope.invFreqBf16(n.floatAttr("rope.base"), headDim));
        return new Rope(invFreq, n.floatAttr("rope.scale"));
    }

    /** The table's rows for the tokens, widened when the table is bf16. */
    private static float[] embed(long[] tokens, int rows, int width, HostTensor table) {
        float[] out = new float[rows * width];
        long vocab = table.elements() / width;
        short[] scratch = new short[width];
        for (int r = 0; r < rows; r++) {
            long t = tokens[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + vocab);
            switch (table) {
                case HostTensor.Fp32 f -> System.arraycopy(f.values(), (int) t * width, out, r * width, width);
                case HostTensor.Bf16 b -> b.widen(t * width, out, r * width, width, scratch);
            }
        }
        return out;
    }
}
