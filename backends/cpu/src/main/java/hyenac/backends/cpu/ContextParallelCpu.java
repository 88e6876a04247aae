package hyenac.backends.cpu;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.runtime.comm.InProcessGroup;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.Session;
import hyenac.runtime.weights.WeightStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Context parallelism on the CPU: a plan's N ranks as threads of this process ({@link InProcessGroup}), each a
 * {@link ContextParallelRank}. Passes are padded at the end to a length the plan can split (the model is causal, so
 * the padding changes no earlier position) and cut back. Generation prefills context-parallel, then rank 0 gathers
 * what every stateful node read and builds the recurrent states as a one-rank prefill would, and decodes alone: the
 * simplest correct choice (a step is one position; there is nothing to split).
 */
public final class ContextParallelCpu implements Backend {
    /**
     * How long a rank waits for another before the pass fails (a stuck rank or a bug, never a hang): 300 s, or
     * {@code -Dhyenac.cp.timeout=SECONDS} for very long CPU passes, where one rank may lag the others that long.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(Long.getLong("hyenac.cp.timeout", 300));

    private final ContextParallelPlan plan;
    private final Duration timeout;

    public ContextParallelCpu(ContextParallelPlan plan, Duration timeout) {
        this.plan = plan;
        this.timeout = timeout;
    }

    public ContextParallelCpu(ContextParallelPlan plan) { this(plan, DEFAULT_TIMEOUT); }

    public ContextParallelPlan plan() { return plan; }

    @Override public String name() { return "cpu"; }

    /** A pass's values (whole, as one rank's) and what each rank sent, per step. */
    public record Result(Map<Integer, float[]> values, List<List<ContextParallelRank.Sent>> traffic) {}

    /** One parallel pass at exactly {@code length} (no padding: a length the plan cannot split is refused in words). */
    public Result run(Graph graph, WeightStore weights, int batch, int length, long[] tokens, Map<Integer, float[]> given,
                      Collection<Integer> wanted) {
        plan.layout(length);
        List<Result> perRank = InProcessGroup.run(plan.ranks(), timeout, comm -> {
            ContextParallelRank r = new ContextParallelRank(graph, weights, plan, comm);
            return new Result(r.run(batch, length, tokens, given, wanted), List.of(r.traffic()));
        });
        List<List<ContextParallelRank.Sent>> traffic = new ArrayList<>();
        for (Result r : perRank) traffic.add(r.traffic().getFirst());
        return new Result(perRank.getFirst().values(), traffic);
    }

    /** As {@link #run}, at any length: padded at the end to one the plan splits, the results cut back to {@code length}. */
    public Map<Integer, float[]> forward(Graph graph, WeightStore weights, int batch, int length, long[] tokens,
                                        Map<Integer, float[]> given, Collection<Integer> wanted) {
        int padded = plan.paddedLength(length);
        if (padded == length) return run(graph, weights, batch, length, tokens, given, wanted).values();
        long[] t = tokens == null ? null : padRows(tokens, batch, length, padded);
        Map<Integer, float[]> g = new HashMap<>();
        given.forEach((v, x) -> g.put(v, padRows(x, batch, length, padded, width(graph, v))));
        Map<Integer, float[]> out = new HashMap<>();
        run(graph, weights, batch, padded, t, g, wanted).values().forEach((v, x) -> out.put(v, cutRows(x, batch, padded, length, width(graph, v))));
        return out;
    }

    @Override public Session open(Graph graph, WeightStore weights, int batch) {
        int vocab = width(graph, graph.outputs().getFirst());
        CpuExecutor decoder = new CpuExecutor(graph, weights);
        return new Session() {
            public int vocab() { return vocab; }

            public float[] prefill(long[] tokens, int length) {
                float[] all = prefillAllPositions(tokens, batch, length, length);
                float[] last = new float[batch * vocab];
                for (int b = 0; b < batch; b++) System.arraycopy(all, ((b + 1) * length - 1) * vocab, last, b * vocab, vocab);
                return last;
            }

            public float[] step(long[] tokens) { return decoder.step(tokens); }

            public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                return ContextParallelCpu.this.forward(graph, weights, batch, length, tokens, Map.of(), wanted);
            }

            public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
                int logits = graph.outputs().getFirst();
                Set<Integer> read = readByStatefulNodes(graph);
                Set<Integer> wanted = new LinkedHashSet<>(read);
                wanted.add(logits);
                Map<Integer, float[]> out = ContextParallelCpu.this.forward(graph, weights, batch, length, tokens, Map.of(), wanted);
                decoder.resumeAfter(out, batch, length);
                return out.get(logits);
            }

            @Override public String note() {
                return "context parallel over " + plan.ranks() + " CPU ranks (--cp-mode " + plan.mode().flag() + "); decode on rank 0";
            }
        };
    }

    /** The values stateful nodes read: what rank 0 gathers to decode after a context-parallel prefill. */
    public static Set<Integer> readByStatefulNodes(Graph graph) {
        Set<Integer> out = new LinkedHashSet<>();
        for (Node n : graph.slice(Set.of(), graph.outputs())) if (n.primitive().stateful()) out.addAll(n.operands());
        return out;
    }

    private static int width(Graph g, int value) { return Math.toIntExact(g.value(value).type().channels()); }

    private static long[] padRows(long[] x, int batch, int length, int padded) {
        long[] out = new long[batch * padded];
        for (int b = 0; b < batch; b++) System.arraycopy(x, b * length, out, b * padded, length);
        return out;
    }

    private static float[] padRows(float[] x, int batch, int length, int padded, int width) {
        float[] out = new float[batch * padded * width];
        for (int b = 0; b < batch; b++) System.arraycopy(x, b * length * width, out, b * padded * width, length * width);
        return out;
    }

    private static float[] cutRows(float[] x, int batch, int padded, int length, int width) {
        float[] out = new float[batch * length * width];
        for (int b = 0; b < batch; b++) System.arraycopy(x, b * padded * width, out, b * length * width, length * width);
        return out;
    }
}
