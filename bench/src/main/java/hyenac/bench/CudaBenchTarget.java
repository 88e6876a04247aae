package hyenac.bench;

import com.google.gson.JsonObject;
import hyenac.backends.codegen.Precision;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.exec.CudaExecutor;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Event;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.runtime.weights.WeightStore;
import java.util.Map;
import java.util.Set;

/**
 * GPU 0 through the CUDA executor. Each repetition is timed with CUDA events around the work alone, after a
 * write of {@link #FLUSH_BYTES} (more than any L2) on the same stream, as triton's do_bench and the peer script
 * do; the first run (kernel compiles, CUDA-graph capture) and the warm-up are not timed.
 */
final class CudaBenchTarget implements BenchTarget {
    static final long FLUSH_BYTES = 256L << 20;

    private final Precision precision;
    private final CudaContext ctx;
    private final Driver d;
    private final long flush;

    /** Opens GPU 0; no driver or no GPU → CudaUnavailableException. */
    CudaBenchTarget(Precision precision) {
        this.precision = precision;
        this.ctx = CudaContext.open(0);
        this.d = ctx.driver();
        this.flush = d.memAlloc(FLUSH_BYTES, "the L2 flush buffer");
    }

    @Override public String name() { return "cuda"; }

    @Override public String timer() { return "cuda_events+l2flush"; }

    @Override public Precision precision() { return precision; }

    @Override public JsonObject machine() { return Machine.gpu(ctx.device(), d.driverVersion()); }

    @Override public Samples copy(long bytes, int warmup, int reps) {
        ctx.makeCurrent();
        Stream s = d.streamCreate(0);
        long src = 0, dst = 0;
        try {
            src = d.memAlloc(bytes, "the copy's source");
            dst = d.memAlloc(bytes, "the copy's destination");
            d.memsetD8(src, (byte) 0x3f, bytes, "the copy's source");
            long from = src, to = dst;
            return time(s, () -> d.memcpyDtoDAsync(to, from, bytes, s, "the bandwidth calibration"), warmup, reps);
        } finally {
            if (src != 0) d.memFree(src, "the copy's source");
            if (dst != 0) d.memFree(dst, "the copy's destination");
            d.streamDestroy(s);
        }
    }

    @Override public Runner open(Graph graph, WeightStore weights) {
        return open(new KernelPipeline(graph, lowering()), weights);
    }

    /** The lowering for this GPU: its name and its costs. */
    Lowering lowering() { return CudaTarget.lowering(precision, ctx.device()); }

    /** The GPU's name, as measurements are filed under. */
    String device() { return ctx.device().name(); }

    /** A runner of the plans {@code pipeline} makes (e.g. with one algorithm forced). */
    Runner open(KernelPipeline pipeline, WeightStore weights) {
        Graph graph = pipeline.graph();
        CudaExecutor gpu = new CudaExecutor(pipeline, weights);
        int vocab = Math.toIntExact(graph.value(graph.outputs().getFirst()).type().channels());
        return new Runner() {
            @Override public Samples forward(int batch, int length, long[] tokens, Map<Integer, float[]> given, Set<Integer> wanted,
                                             int warmup, int reps) {
                CudaExecutor.Prepared pass = gpu.pass(batch, length, given.keySet(), wanted);
                pass.load(tokens, given);
                return time(gpu.stream(), pass::enqueue, warmup, reps);
            }

            @Override public Map<String, Double> profile(int batch, int length, long[] tokens, Set<Integer> wanted) {
                CudaExecutor.Prepared pass = gpu.pass(batch, length, Set.of(), wanted);
                pass.load(tokens, Map.of());
                return pass.profile();
            }

            @Override public Samples decode(long[] prompts, int batch, int length, int steps, int warmup) {
                float[] logits = gpu.prefill(prompts, batch, length, length + warmup + steps + 1);
                // the first (untimed) step builds the step pass and compiles the decode kernels
                return BenchTarget.greedySteps(logits, batch, vocab, steps, warmup, gpu::step);
            }

            @Override public void close() { gpu.close(); }
        };
    }

    /** One untimed run, {@code warmup} more, then {@code reps} runs each between two events after an L2 flush. */
    private Samples time(Stream s, Runnable work, int warmup, int reps) {
        ctx.makeCurrent();
        for (int i = 0; i <= warmup; i++) work.run();
        d.streamSynchronize(s, "warming up");
        Event[] start = new Event[reps], end = new Event[reps];
        try {
            for (int i = 0; i < reps; i++) {
                start[i] = d.eventCreate(Driver.EVENT_DEFAULT);
                end[i] = d.eventCreate(Driver.EVENT_DEFAULT);
            }
            for (int i = 0; i < reps; i++) {
                d.memsetD8Async(flush, (byte) i, FLUSH_BYTES, s, "the L2 flush");
                d.eventRecord(start[i], s);
                work.run();
                d.eventRecord(end[i], s);
            }
            d.streamSynchronize(s, "the timed repetitions");
            double[] ms = new double[reps];
            for (int i = 0; i < reps; i++) ms[i] = d.eventElapsedTime(start[i], end[i]);
            return new Samples(ms);
        } finally {
            for (Event e : start) if (e != null) d.eventDestroy(e);
            for (Event e : end) if (e != null) d.eventDestroy(e);
        }
    }

    @Override public void close() {
        ctx.makeCurrent();
        d.memFree(flush, "the L2 flush buffer");
        ctx.close();
    }
}
