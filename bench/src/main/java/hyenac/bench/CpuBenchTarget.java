package hyenac.bench;

import com.google.gson.JsonObject;
import hyenac.backends.codegen.Precision;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.util.Map;
import java.util.Set;

/** The CPU executor (fp32), timed with the host clock; there is no cache flush between repetitions. */
final class CpuBenchTarget implements BenchTarget {
    @Override public String name() { return "cpu"; }

    @Override public String timer() { return "host System.nanoTime, no cache flush"; }

    @Override public Precision precision() { return Precision.FP32; }

    @Override public JsonObject machine() { return Machine.host(); }

    @Override public Samples copy(long bytes, int warmup, int reps) {
        float[] src = Inputs.random(Math.toIntExact(bytes / Float.BYTES), 3), dst = new float[src.length];
        return time(() -> System.arraycopy(src, 0, dst, 0, src.length), warmup, reps);
    }

    @Override public Runner open(Graph graph, WeightStore weights) {
        CpuExecutor cpu = new CpuExecutor(graph, weights);
        int vocab = Math.toIntExact(graph.value(graph.outputs().getFirst()).type().channels());
        return new Runner() {
            @Override public Samples forward(int batch, int length, long[] tokens, Map<Integer, float[]> given, Set<Integer> wanted,
                                             int warmup, int reps) {
                return time(() -> cpu.run(batch, length, tokens, given, wanted), warmup, reps);
            }

            @Override public Samples decode(long[] prompts, int batch, int length, int steps, int warmup) {
                return BenchTarget.greedySteps(cpu.prefill(prompts, batch, length), batch, vocab, steps, warmup, cpu::step);
            }

            @Override public void close() {}
        };
    }

    /** One untimed run (first-use costs), {@code warmup} more, then {@code reps} timed. */
    static Samples time(Runnable work, int warmup, int reps) {
        for (int i = 0; i <= warmup; i++) work.run();
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return new Samples(ms);
    }

    @Override public void close() {}
}
