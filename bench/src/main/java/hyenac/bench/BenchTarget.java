package hyenac.bench;

import com.google.gson.JsonObject;
import hyenac.backends.codegen.Precision;
import hyenac.ir.Graph;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.WeightStore;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Where the work runs and how it is timed: {@link CudaBenchTarget} (CUDA events, L2 flushed) or {@link CpuBenchTarget} (host clock). */
interface BenchTarget extends AutoCloseable {
    /** {@code cuda} or {@code cpu}. */
    String name();

    /** How a repetition is timed, for the JSON. */
    String timer();

    Precision precision();

    /** The machine and its accelerator, for the JSON. */
    JsonObject machine();

    /** A device-to-device copy of {@code bytes}: the bandwidth memory-bound points are compared with. */
    Samples copy(long bytes, int warmup, int reps);

    /** Prepares a graph with its weights to be timed. */
    Runner open(Graph graph, WeightStore weights);

    @Override void close();

    /** The GPU time of one kind of work in a profiled run, and how many operations of it ran. */
    record Work(double ms, int count) {}

    interface Runner extends AutoCloseable {
        /**
         * One parallel forward pass of [batch, length] from the given values (or the tokens) to the wanted ones,
         * run untimed once and {@code warmup} times, then timed {@code reps} times.
         */
        Samples forward(int batch, int length, long[] tokens, Map<Integer, float[]> given, Set<Integer> wanted, int warmup, int reps);

        /**
         * Prefill of {@code prompts} ([batch, length]), one untimed greedy decode step and {@code warmup} more, then
         * {@code steps} timed ones: each step's wall clock, from the batch's tokens in to its logits back on the host.
         */
        Samples decode(long[] prompts, int batch, int length, int steps, int warmup);

        /** One forward pass's time by kind of work (a kernel's name, "gemm", "fft"), largest first; empty where the target cannot tell. */
        default Map<String, Work> profile(int batch, int length, long[] tokens, Set<Integer> wanted) { return Map.of(); }

        /**
         * After {@link #decode}, one more decode step of its batch ({@code tokens}, one a sequence) by kind of work,
         * largest first; empty where the target cannot tell.
         */
        default Map<String, Work> profileStep(long[] tokens) { return Map.of(); }

        @Override void close();
    }

    /**
     * The timed part of {@link Runner#decode}, the same on every target: from the prompts' logits [batch, vocab], one
     * untimed greedy step and {@code warmup} more, then {@code steps} timed by the host clock, tokens in to logits back.
     */
    static Samples greedySteps(float[] promptLogits, int batch, int vocab, int steps, int warmup, Function<long[], float[]> step) {
        float[] logits = promptLogits;
        for (int i = 0; i <= warmup; i++) logits = step.apply(greedy(logits, batch, vocab));
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            long[] next = greedy(logits, batch, vocab);
            long t0 = System.nanoTime();
            logits = step.apply(next);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return new Samples(ms);
    }

    /** Each sequence's most likely token. */
    private static long[] greedy(float[] logits, int batch, int vocab) {
        long[] next = new long[batch];
        for (int b = 0; b < batch; b++) next[b] = Sampler.argmax(logits, b * vocab, vocab);
        return next;
    }
}
