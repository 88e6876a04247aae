package hyenac.backends.cpu;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.autodiff.Autodiff;
import hyenac.ir.autodiff.ParametriseDecay;
import hyenac.runtime.weights.WeightStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a training graph ({@link Autodiff}) on the CPU in fp32: the forward primitives with {@link CpuExecutor}'s
 * kernels, the gradient primitives with the backward kernels beside them. A value is dropped after its last reader.
 * The weights are read at every run, so an optimizer may update them in place between runs.
 */
public final class GradientExecutor {
    private final Graph graph;
    private final WeightStore weights;
    private final int tokensId, targetsId, maskId, lossId;
    private final Map<Integer, Integer> lastUse = new HashMap<>();
    /** Nodes from this index on are the backward pass (the loss, then the vector-Jacobian products). */
    private final int backwardFrom;
    /** Time per primitive while profiling (null: off), keyed by pass and op. */
    private Map<String, OpTime> profile;

    /** What one primitive cost over the runs profiled: calls and wall-clock nanoseconds, forward or backward. */
    public record OpTime(String op, boolean backward, long calls, long nanos) {}

    /** The loss (in double, as the kernel summed it) and the gradient of every weight that has one, by weight name. */
    public record Result(double loss, Map<String, float[]> grads) {}

    public GradientExecutor(Graph training, WeightStore weights) {
        if (!Boolean.TRUE.equals(training.attrs().get(Autodiff.TRAINING))) throw new IllegalArgumentException("not a training graph");
        this.graph = training;
        this.weights = weights;
        this.tokensId = training.inputs().get(0);
        this.targetsId = training.inputs().get(1);
        this.maskId = training.inputs().get(2);
        this.lossId = training.probes().get(Autodiff.LOSS);
        for (int i = 0; i < graph.nodes().size(); i++) for (int o : graph.nodes().get(i).operands()) lastUse.put(o, i);
        int from = graph.nodes().size();
        for (int i = 0; i < graph.nodes().size(); i++) {
            if (graph.nodes().get(i).is(Primitive.CROSS_ENTROPY)) {
                from = i;
                break;
            }
        }
        this.backwardFrom = from;
    }

    /** Starts timing every primitive of the training runs that follow (a clock read per node: negligible next to the kernels). */
    public GradientExecutor profiling() {
        profile = new LinkedHashMap<>();
        return this;
    }

    /** The time per primitive since {@link #profiling}, costliest first; empty when not profiling. */
    public List<OpTime> profile() {
        if (profile == null) return List.of();
        return profile.values().stream().sorted(java.util.Comparator.comparingLong(OpTime::nanos).reversed()).toList();
    }

    public Graph graph() { return graph; }

    /** The loss and every gradient for tokens, targets [batch, length] and mask [batch, length]. */
    public Result run(int batch, int length, long[] tokens, long[] targets, float[] mask) {
        return evaluate(batch, length, tokens, targets, mask, null);
    }

    /** The logits the loss is computed from, [batch, length, vocab] (only the forward nodes run). */
    public float[] logits(int batch, int length, long[] tokens) {
        int logits = graph.producer(lossId).operands().getFirst();
        int rows = batch * length;
        Map<Integer, float[]> values = new HashMap<>();
        CpuExecutor forward = new CpuExecutor(graph, weights);
        for (Node n : graph.slice(Set.of(), List.of(logits))) {
            float[][] results = execute(n, forward, batch, length, tokens, new long[rows], values, new double[1]);
            for (int r = 0; r < results.length; r++) values.put(n.results().get(r), results[r]);
        }
        return values.get(logits);
    }

    /** The loss alone (only the forward nodes run). */
    public double loss(int batch, int length, long[] tokens, long[] targets, float[] mask) {
        return evaluate(batch, length, tokens, targets, mask, new HashSet<>(graph.slice(Set.of(), List.of(lossId)))).loss();
    }

    private Result evaluate(int batch, int length, long[] tokens, long[] targets, float[] mask, Set<Node> only) {
        int rows = batch * length;
        if (tokens.length != rows || targets.length != rows || mask.length != rows) {
            throw new IllegalArgumentException("tokens, targets and mask need " + rows + " elements each");
        }
        CpuExecutor forward = new CpuExecutor(graph, weights); // fresh: its filter caches would hold last step's weights
        Map<Integer, float[]> values = new HashMap<>();
        values.put(maskId, mask);
        double[] loss = {Double.NaN};
        Set<Integer> outputs = new HashSet<>(graph.outputs());
        for (int i = 0; i < graph.nodes().size(); i++) {
            Node n = graph.nodes().get(i);
            if (only != null && !only.contains(n)) continue;
            long t0 = profile == null ? 0 : System.nanoTime();
            float[][] results = execute(n, forward, batch, length, tokens, targets, values, loss);
            if (profile != null && only == null) {
                boolean backward = i >= backwardFrom;
                long nanos = System.nanoTime() - t0;
                profile.merge((backward ? "b:" : "f:") + n.op(), new OpTime(n.op(), backward, 1, nanos),
                        (a, b) -> new OpTime(a.op(), a.backward(), a.calls() + 1, a.nanos() + b.nanos()));
            }
            for (int r = 0; r < results.length; r++) values.put(n.results().get(r), results[r]);
            for (int o : n.operands()) if (lastUse.get(o) == i && !outputs.contains(o) && o != maskId) values.remove(o);
        }
        Map<String, float[]> grads = new LinkedHashMap<>();
        if (only == null) {
            graph.probes().forEach((name, id) -> {
                String w = Autodiff.weightOfGradProbe(name);
                if (w != null) grads.put(w, values.get(id));
            });
        }
        return new Result(loss[0], grads);
    }

    private int width(int value) { return Math.toIntExact(graph.value(value).type().channels()); }

    private float[] w(Node n, String role) {
        String name = n.weights().get(role);
        return name == null ? null : weights.get(name);
    }

    private float[][] execute(Node n, CpuExecutor forward, int batch, int length, long[] tokens, long[] targets,
                              Map<Integer, float[]> values, double[] loss) {
        int rows = batch * length;
        List<float[]> in = n.operands().stream().map(values::get).toList();
        float[] x = in.getFirst();
        return switch (n.primitive()) {
            case CROSS_ENTROPY -> {
                loss[0] = CrossEntropy.loss(x, targets, in.get(2), rows, width(n.operands().getFirst()));
                yield new float[][] {{(float) loss[0]}};
            }
            case CROSS_ENTROPY_GRAD -> new float[][] {CrossEntropy.grad(x, targets, in.get(2), rows, width(n.operands().getFirst()))};
            case CAUSAL_CONV -> n.weights().containsKey(ParametriseDecay.ROLE)
                    ? new float[][] {Conv.causal(x, batch, length, width(n.operands().getFirst()), filter(n), w(n, "skip"))}
                    : forward.forward(n, batch, length, tokens, values);
            case MODAL_CONV -> n.weights().containsKey(ParametriseDecay.POLE_RATES)
                    ? new float[][] {Conv.causal(x, batch, length, width(n.operands().getFirst()), modalFilter(n, length), w(n, "skip"), Conv.Algorithm.FFT)}
                    : forward.forward(n, batch, length, tokens, values);
            case ZEROS_LIKE -> new float[][] {new float[x.length]};
            case LINEAR_GRAD_INPUT -> {
                int out = width(n.operands().getFirst()), inW = width(n.results().getFirst());
                yield new float[][] {LinearGrad.input(x, rows, out, w(n, "weight"), inW)};
            }
            case LINEAR_GRAD_WEIGHT -> new float[][] {LinearGrad.weight(x, in.get(1), rows, width(n.operands().get(0)), width(n.operands().get(1)))};
            case SUM_ROWS -> new float[][] {LinearGrad.sumRows(x, rows, width(n.operands().getFirst()))};
            case EMBEDDING_GRAD -> new float[][] {LinearGrad.embedding(x, tokens, rows, Math.toIntExact(n.intAttr("vocab")),
                    width(n.operands().getFirst()))};
            case CAUSAL_CONV_GRAD_INPUT -> new float[][] {ConvGrad.input(x, batch, length, width(n.operands().getFirst()), filter(n), w(n, "skip"))};
            case CAUSAL_CONV_GRAD_PARAMS -> {
                int c = width(n.operands().getFirst()), len = Math.toIntExact(n.intAttr("len")), groups = Math.toIntExact(n.intAttr("groups"));
                double[] dh = ConvGrad.filter(x, in.get(1), batch, length, c, groups, len);
                if (!n.weights().containsKey(ParametriseDecay.ROLE)) yield new float[][] {ConvGrad.stored(dh, groups, len, taps(n))};
                double[] positions = new double[len];
                for (int j = 0; j < len; j++) positions[j] = ParametriseDecay.position(j, len);
                yield ConvGrad.decayed(dh, w(n, "weight"), w(n, ParametriseDecay.ROLE), groups, len, taps(n), positions);
            }
            case MODAL_CONV_GRAD_INPUT -> new float[][] {ConvGrad.input(x, batch, length, width(n.operands().getFirst()), modalFilter(n, length),
                    w(n, "skip"))};
            case MODAL_CONV_GRAD_PARAMS -> {
                int c = width(n.operands().getFirst()), modes = Math.toIntExact(n.intAttr("modes"));
                double[] dh = ConvGrad.filter(x, in.get(1), batch, length, c, c, length);
                float[] logPoles = logPoles(n);
                float[][] d = ConvGrad.modal(dh, logPoles, w(n, "residues"), c, modes, length);
                if (n.weights().containsKey(ParametriseDecay.POLE_RATES)) {
                    for (int i = 0; i < logPoles.length; i++) d[0][i] = (float) ((double) d[0][i] * logPoles[i]); // d(log λ)/dρ = −exp(ρ) = log λ
                }
                yield d;
            }
            case SKIP_GRAD -> new float[][] {ConvGrad.skip(x, in.get(1), rows, width(n.operands().getFirst()))};
            case RMSNORM_GRAD_INPUT -> new float[][] {NormGrad.input(x, in.get(1), rows, width(n.operands().getFirst()), w(n, "scale"),
                    n.floatAttr("eps"))};
            case RMSNORM_GRAD_SCALE -> new float[][] {NormGrad.scale(x, in.get(1), rows, width(n.operands().getFirst()), n.floatAttr("eps"))};
            case INTERLEAVE -> new float[][] {ChannelsGrad.interleave(rows, in.toArray(float[][]::new))};
            case SLICE -> new float[][] {ChannelsGrad.slice(x, rows, width(n.operands().getFirst()), Math.toIntExact(n.intAttr("start")),
                    Math.toIntExact(n.intAttr("width")))};
            case ACTIVATION_GRAD -> new float[][] {ActivationGrad.apply(Activation.of(n.stringAttr("activation")), x, in.get(1))};
            case CAUSAL_ATTENTION_GRAD -> {
                int c = width(n.operands().get(1)), heads = Math.toIntExact(n.intAttr("heads"));
                yield AttentionGrad.apply(x, in.get(1), in.get(2), in.get(3), batch, length, heads, c / heads, forward.rope(n, c / heads));
            }
            // the forward primitives without trained parametrisations: the inference kernels
            case EMBEDDING, UNEMBED, LINEAR, RMSNORM, DEINTERLEAVE, SPLIT, CONCAT, CAUSAL_ATTENTION, ADD, SUB, MUL, SCALE, NEG,
                 IDENTITY, GELU, SILU, RELU -> forward.forward(n, batch, length, tokens, values);
        };
    }

    private static Fir.Taps taps(Node n) { return "xcorr".equals(n.stringAttr("taps")) ? Fir.Taps.XCORR : Fir.Taps.FIR; }

    /** A causal_conv's filter in FIR order; with a decay role, the undecayed taps times the decay. */
    private Fir filter(Node n) {
        int len = Math.toIntExact(n.intAttr("len")), groups = Math.toIntExact(n.intAttr("groups"));
        float[] stored = w(n, "weight");
        if (n.weights().containsKey(ParametriseDecay.ROLE)) {
            stored = ParametriseDecay.effectiveTaps(stored, w(n, ParametriseDecay.ROLE), groups, len, taps(n) == Fir.Taps.XCORR);
        }
        return Fir.of(stored, groups, len, taps(n));
    }

    private Fir modalFilter(Node n, int length) {
        int c = width(n.operands().getFirst()), modes = Math.toIntExact(n.intAttr("modes"));
        return new Fir(ModalFilter.materialise(logPoles(n), w(n, "residues"), c, modes, length), c, length);
    }

    /** A modal_conv's log λ: the weight itself, or −exp(ρ) of its trained rates. */
    private float[] logPoles(Node n) {
        float[] rates = w(n, ParametriseDecay.POLE_RATES);
        return rates != null ? ParametriseDecay.logPoles(rates) : w(n, ParametriseDecay.LOG_POLES);
    }
}
