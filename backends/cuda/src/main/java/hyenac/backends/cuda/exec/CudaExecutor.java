package hyenac.backends.cuda.exec;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.cuda.bindings.CublasLt;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.CudaException;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.Cufft;
import hyenac.backends.cuda.bindings.DeviceInfo;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Dim3;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.bindings.KernelArgs;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Step;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.WeightStore;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs kernel plans on one GPU: an interpreter of what the compiler's kernel pipeline made ({@link Planner}), with
 * the contract of the CPU executor's {@code run}: only what the wanted values need runs, from the values given. It
 * fuses, selects and plans nothing itself. A plan is prepared for one shape as a {@link Prepared}: its pool is one
 * allocation, every buffer a pointer into it (or a weight, constant or state), every launch's arguments bound once,
 * the steps marked {@code once} run, and the rest captured as a CUDA graph that each run replays. The last prepared
 * parallel plan is kept, so a repeated shape costs one graph launch. Each distinct kernel is compiled once with NVRTC
 * (in memory, and on disk in the {@link KernelCache}); GEMMs are cuBLASLt (TF32 off for fp32); FFTs cuFFT. Weights
 * are uploaded when a plan first needs them, in the element type its kernels read.
 *
 * <p>{@link #prefill} and {@link #step} generate as the CPU executor does: the prefill plan runs the prompt and builds
 * every decode state (FIR ring, modal state, KV cache) on the device; the step plan runs one token through them.
 * Where a token stands the decode kernels read from the clock state, written before each step, so every step
 * replays the same graph.
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class CudaExecutor implements AutoCloseable {
    private static final long WORKSPACE_BYTES = 32L << 20;
    /** Set {@code -Dhyenac.cuda.graphs=false} to launch every kernel from the host (to compare, or to debug). */
    private static final boolean GRAPHS = !"false".equals(System.getProperty("hyenac.cuda.graphs"));
    /**
     * Set {@code -Dhyenac.cuda.overlap=true} to let a generated kernel start while the one before it drains (compute
     * capability 9.0 on): it waits for it inside ({@link hyenac.backends.codegen.Stmt.AwaitPredecessors}), after its
     * prologue (a GEMV's weight prefetch). Off by default: on an H100 it made Evo 2 7B's decode step slower (5.51 ms
     * against 5.43 in order at B = 1, 8.02 against 7.50 at B = 16; bench/results/cuda-h100-2026-12-07e).
     */
    private static final boolean OVERLAP = "true".equals(System.getProperty("hyenac.cuda.overlap"));

    private final Planner planner;
    private final Graph graph;
    private final CudaContext ctx;
    private final Driver d;
    private Nvrtc nvrtc;
    private CublasLt lt;
    private Cufft cufft;
    private String arch;
    private boolean overlap;
    private Stream stream;
    private final DeviceWeights deviceWeights;
    private KernelModules kernels;
    private final Map<String, CublasLt.Matmul> matmuls = new HashMap<>();
    private final Map<String, Cufft.Plan> fftPlans = new HashMap<>();
    private long workspace;
    private Prepared lastPrepared, stepPrepared;
    private boolean closed;

    /** Device state per name, kept from {@link #prefill} through every {@link #step}. */
    private final Map<String, Long> states = new HashMap<>();
    private int decodeBatch;
    private long position, capacity, steps;

    /** Opens GPU 0 to run {@code planner}'s plans; no driver, library or GPU → {@link CudaUnavailableException}. */
    public CudaExecutor(Planner planner, WeightStore weights) {
        this.planner = planner;
        this.graph = planner.graph();
        this.ctx = CudaContext.open(0);
        this.d = ctx.driver();
        this.deviceWeights = new DeviceWeights(d, weights);
        try {
            nvrtc = Nvrtc.load();
            arch = nvrtc.archFor(ctx.device().computeMajor(), ctx.device().computeMinor());
            kernels = new KernelModules(ctx, nvrtc, arch);
            overlap = OVERLAP && ctx.device().computeMajor() >= 9;
            lt = CublasLt.open();
            workspace = d.memAlloc(WORKSPACE_BYTES, "the cuBLASLt workspace");
            // blocking: it orders itself with the legacy stream that the host copies use
            stream = d.streamCreate(0);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public DeviceInfo device() { return ctx.device(); }

    /** The arch kernels compile for, e.g. sm_90. */
    public String arch() { return arch; }

    public Planner planner() { return planner; }

    /**
     * @param tokens [batch, length] token ids, read by the embedding (may be null when it does not run)
     * @param given  values supplied instead of computed, by value id, [batch, length, width] fp32 (rounded to
     *               the storage type on upload)
     * @param wanted value ids to return, as fp32
     */
    public Map<Integer, float[]> run(int batch, int length, long[] tokens, Map<Integer, float[]> given, Collection<Integer> wanted) {
        Prepared p = pass(batch, length, given.keySet(), wanted);
        p.load(tokens, given);
        p.enqueue();
        d.ctxSynchronize("running the forward pass");
        Map<Integer, float[]> out = new HashMap<>();
        for (int w : wanted) out.put(w, p.read(w));
        return out;
    }

    /**
     * The parallel plan for these given and wanted values, prepared at this shape: made on first use, kept until a
     * different one is asked for (its memory then goes back to the device). For benchmarks: load, then
     * {@link Prepared#enqueue} on {@link #stream()} as often as wanted.
     */
    public Prepared pass(int batch, int length, Set<Integer> given, Collection<Integer> wanted) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        ctx.makeCurrent();
        Plan plan = planner.plan(Phase.PARALLEL, given, wanted);
        Shape shape = new Shape(batch, length, 0);
        if (lastPrepared != null && lastPrepared.plan == plan && lastPrepared.shape.equals(shape)) return lastPrepared;
        if (lastPrepared != null) {
            lastPrepared.close();
            lastPrepared = null;
        }
        lastPrepared = new Prepared(plan, shape, GRAPHS);
        return lastPrepared;
    }

    /** The stream plans run on. */
    public Stream stream() { return stream; }

    public Driver driver() { return d; }

    /**
     * Runs the prompt [batch, length] in parallel, then builds every stateful node's state on the device from
     * that pass, as the CPU executor's prefill. Returns the logits at the last position, [batch, vocab].
     */
    public float[] prefill(long[] tokens, int batch, int length) {
        return prefill(tokens, batch, length, length + 64);
    }

    /** As {@link #prefill(long[], int, int)}, with KV caches sized for {@code maxLength} tokens (they grow past it). */
    public float[] prefill(long[] tokens, int batch, int length, int maxLength) {
        float[] all = prefillAllPositions(tokens, batch, length, maxLength);
        int vocab = Math.toIntExact(graph.value(graph.outputs().getFirst()).type().channels());
        float[] last = new float[batch * vocab];
        for (int b = 0; b < batch; b++) System.arraycopy(all, ((b + 1) * length - 1) * vocab, last, b * vocab, vocab);
        return last;
    }

    /** As {@link #prefill(long[], int, int, int)}, returning the logits of every position, [batch, length, vocab]. */
    public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        ctx.makeCurrent();
        freeStates();
        position = 0;
        decodeBatch = batch;
        capacity = Math.max(maxLength, length + 1);
        steps = 0;
        Plan plan = planner.plan(Phase.PREFILL);
        Shape shape = new Shape(batch, length, capacity);
        for (Buffer b : plan.buffers()) {
            if (b.kind() != Buffer.Kind.STATE) continue;
            long bytes = b.bytes().eval(shape);
            long p = d.memAlloc(Math.max(1, bytes), "state " + b.name());
            states.put(b.name(), p);
            // modal states start at zero (the scan adds to them); rings and caches are written before read
            d.memsetD8(p, (byte) 0, Math.max(1, bytes), "state " + b.name());
        }
        int logits = plan.wanted().getFirst();
        // a prompt runs once: prepared, run and freed (the kept parallel plan makes room for it), never captured
        if (lastPrepared != null) {
            lastPrepared.close();
            lastPrepared = null;
        }
        float[] all;
        try (Prepared p = new Prepared(plan, shape, false)) {
            p.load(tokens, Map.of());
            p.enqueue();
            d.ctxSynchronize("running the prompt");
            all = p.read(logits);
        }
        position = length;
        return all;
    }

    /** One decode step for tokens [batch] at the next position through the device states; logits [batch, vocab]. */
    public float[] step(long[] tokens) {
        Prepared p = nextStep(tokens);
        p.enqueue();
        d.ctxSynchronize("running a decode step");
        float[] out = p.read(p.plan().wanted().getFirst());
        position++;
        steps++;
        return out;
    }

    /**
     * One decode step as {@link #step} runs it, but each operation between its own events ({@link Prepared#profile}):
     * where a step's time goes. It is a step: the states and the position move on.
     */
    public Map<String, Timed> profileStep(long[] tokens) {
        Map<String, Timed> out = nextStep(tokens).profile();
        position++;
        steps++;
        return out;
    }

    /** The step plan prepared for the next position (the caches grown if full), the clock and the tokens loaded. */
    private Prepared nextStep(long[] tokens) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        if (position == 0) throw new IllegalStateException("step before prefill");
        ctx.makeCurrent();
        Plan plan = planner.plan(Phase.STEP);
        if (position + 1 > capacity) growCaches(plan, Math.max(2 * capacity, position + 1));
        if (stepPrepared == null) stepPrepared = new Prepared(plan, new Shape(decodeBatch, 1, capacity), GRAPHS);
        try (Arena a = Arena.ofConfined()) {
            d.memcpyHtoD(require(states.get(Plan.CLOCK), "state " + Plan.CLOCK), a.allocateFrom(JAVA_LONG, position, steps), "the decode clock");
        }
        stepPrepared.load(tokens, Map.of());
        return stepPrepared;
    }

    /** GPU time of one kind of work in a profiled run, and how many operations of it ran. */
    public record Timed(double ms, int count) {}

    /** The tokens the states have seen (prompt and steps); 0 before prefill. */
    public long position() { return position; }

    // ---- prepared plans --------------------------------------------------------------------------------

    /** One step of a plan with every argument resolved to device pointers and sizes. */
    private sealed interface Op {
        /**
         * {@code sharedBytes}: the dynamic shared memory it is given; {@code overlapping}: may start before the previous kernel
         * finishes (it waits for it inside).
         */
        record Launch(Driver.Function f, Dim3 grid, Dim3 block, int sharedBytes, String kernel, KernelArgs args, boolean overlapping) implements Op {}
        record Gemm(CublasLt.Matmul mm, long x, long w, long bias, long y) implements Op {}
        record Fft(Cufft.Plan plan, long in, long out, boolean forward) implements Op {}
        record Copy(long dst, long src, long bytes) implements Op {}
    }

    /**
     * A plan prepared at one shape: its pool allocated, its steps bound (the {@code once} steps already run), replayed
     * by {@link #enqueue} (as a CUDA graph once captured), freed by {@link #close}.
     */
    public final class Prepared implements AutoCloseable {
        private final Plan plan;
        private final Shape shape;
        private final Arena arena = Arena.ofShared();
        private final List<Op> ops = new ArrayList<>();
        private final long[] pointers;
        private long pool;
        private final long poolBytes;
        private Driver.Graph captured;
        private Driver.GraphExec exec;
        private boolean replayable;

        private Prepared(Plan plan, Shape shape, boolean replayable) {
            this.plan = plan;
            this.shape = shape;
            this.replayable = replayable;
            long[] at = plan.offsets(shape);
            this.poolBytes = at[plan.slots().size()];
            this.pointers = new long[plan.buffers().size()];
            boolean ok = false;
            try {
                pool = poolBytes == 0 ? 0 : d.memAlloc(poolBytes, "the " + plan.phase().spelling() + " plan's memory pool at " + shape);
                for (Buffer b : plan.buffers()) pointers[b.id()] = pointer(b, at);
                for (Step s : plan.steps()) {
                    for (Op op : ops(s)) {
                        if (s.once()) run(op);
                        else ops.add(op);
                    }
                }
                ok = true;
            } finally {
                if (!ok) close();
            }
        }

        public int batch() { return Math.toIntExact(shape.batch()); }

        public int length() { return Math.toIntExact(shape.length()); }

        public Plan plan() { return plan; }

        /** Device memory the plan's pool holds. */
        public long bytesHeld() { return poolBytes; }

        /** Kernel launches, GEMMs, FFTs and copies a run enqueues. */
        public int operations() { return ops.size(); }

        /** Whether runs replay a captured CUDA graph (after the first). */
        public boolean graphed() { return exec != null; }

        private long pointer(Buffer b, long[] at) {
            return switch (b.kind()) {
                case VALUE, SCRATCH, PREPARED, TOKENS -> pool + at[b.slot()];
                case WEIGHT -> deviceWeights.weight(b.name(), b.element());
                case CONSTANT -> deviceWeights.constant(plan, b);
                case STATE -> require(states.get(b.name()), "state " + b.name() + " (prefill first)");
            };
        }

        private List<Op> ops(Step s) {
            if (s instanceof Step.Copy c) {
                long count = c.count().eval(shape), bytes = c.bytes().eval(shape);
                long src = pointers[c.src()] + c.srcOffset().eval(shape), dst = pointers[c.dst()] + c.dstOffset().eval(shape);
                long srcStride = c.srcStride().eval(shape), dstStride = c.dstStride().eval(shape);
                List<Op> copies = new ArrayList<>();
                for (long i = 0; i < count; i++) copies.add(new Op.Copy(dst + i * dstStride, src + i * srcStride, bytes));
                return copies;
            }
            return List.of(op(s));
        }

        private Op op(Step s) {
            return switch (s) {
                case Step.Gemm g -> {
                    CublasLt.DataType type = plan.buffer(g.x()).element() == DType.BF16 ? CublasLt.DataType.BF16 : CublasLt.DataType.F32;
                    CublasLt.Epilogue epilogue = g.bias() < 0 ? CublasLt.Epilogue.DEFAULT : CublasLt.Epilogue.BIAS;
                    int m = Math.toIntExact(g.m().eval(shape)), n = Math.toIntExact(g.n()), k = Math.toIntExact(g.k());
                    CublasLt.Matmul mm = matmuls.computeIfAbsent(m + "x" + n + "x" + k + epilogue + type,
                            key -> lt.linear(m, n, k, type, type, epilogue, WORKSPACE_BYTES, 256));
                    yield new Op.Gemm(mm, pointers[g.x()], pointers[g.w()], g.bias() < 0 ? 0 : pointers[g.bias()], pointers[g.y()]);
                }
                case Step.Fft f -> {
                    int n = Math.toIntExact(f.n().eval(shape)), rows = Math.toIntExact(f.batch().eval(shape));
                    if (cufft == null) cufft = Cufft.load();
                    Cufft.Plan p = fftPlans.computeIfAbsent(n + "/" + rows + (f.forward() ? "/r2c" : "/c2r"),
                            key -> f.forward() ? cufft.planR2C(n, rows) : cufft.planC2R(n, rows));
                    yield new Op.Fft(p, pointers[f.in()], pointers[f.out()], f.forward());
                }
                case Step.Copy c -> throw new IllegalStateException("copies expand to several operations");
                case Step.Launch l -> launch(l);
            };
        }

        private Op launch(Step.Launch l) {
            Kernel k = plan.kernel(l.kernel());
            long[] grid = new long[3];
            for (int i = 0; i < 3; i++) grid[i] = k.grid().get(i).eval(shape);
            if (grid[0] > MAX_GRID_X || grid[1] > MAX_GRID_YZ || grid[2] > MAX_GRID_YZ) {
                throw new IllegalArgumentException("grid (" + grid[0] + ", " + grid[1] + ", " + grid[2] + ") of " + k.entry() + " exceeds the device limits at " + shape);
            }
            KernelArgs args = new KernelArgs(arena, Math.max(1, k.params().size()));
            for (int i = 0; i < k.params().size(); i++) {
                Kernel.Param param = k.params().get(i);
                switch (l.args().get(i)) {
                    case Arg.Buf b -> args.ptr(pointers[b.buffer()]);
                    case Arg.Int v -> {
                        long value = v.value().eval(shape);
                        if (param.type() == Kernel.Param.Type.INT) args.i32(Math.toIntExact(value));
                        else args.i64(value);
                    }
                    case Arg.Real v -> {
                        if (param.type() == Kernel.Param.Type.FLOAT) args.f32((float) v.value());
                        else args.f64(v.value());
                    }
                }
            }
            KernelModules.Loaded loaded = kernels.load(k);
            return new Op.Launch(loaded.function(), new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])),
                    new Dim3(k.block().get(0), k.block().get(1), k.block().get(2)), loaded.dynamicSharedBytes(), k.name(), args,
                    overlap && CudaDialect.awaitsPredecessors(k.code()));
        }

        /** Uploads the token ids and the given values (converted to the storage type). */
        public void load(long[] tokens, Map<Integer, float[]> given) {
            ctx.makeCurrent();
            for (Buffer b : plan.buffers()) {
                if (b.kind() != Buffer.Kind.TOKENS) continue;
                long want = b.elements().eval(shape);
                if (tokens == null || tokens.length != want) {
                    throw new IllegalArgumentException("the embedding needs " + shape.batch() + "×" + shape.length() + " token ids, got "
                            + (tokens == null ? "none" : tokens.length));
                }
                try (Arena a = Arena.ofConfined()) {
                    d.memcpyHtoD(pointers[b.id()], a.allocateFrom(JAVA_LONG, tokens), "token ids");
                }
            }
            for (var e : given.entrySet()) {
                Buffer b = plan.value(e.getKey());
                if (b == null || !plan.given().contains(e.getKey())) throw new IllegalArgumentException("value %" + e.getKey() + " is not given to this plan");
                long want = b.elements().eval(shape);
                if (e.getValue().length != want) {
                    throw new IllegalArgumentException("given value %" + e.getKey() + " has " + e.getValue().length + " numbers, the plan needs " + want);
                }
                DeviceWeights.upload(d, pointers[b.id()], e.getValue(), b.element(), "given value %" + e.getKey());
            }
        }

        /** Enqueues a run on the executor's stream: the captured graph, or (first, or without graphs) every operation. */
        public void enqueue() {
            ctx.makeCurrent();
            if (exec == null && replayable) capture();
            if (exec != null) {
                d.graphLaunch(exec, stream);
                return;
            }
            for (Op op : ops) run(op);
        }

        private void capture() {
            boolean overlapping = overlap && ops.stream().anyMatch(op -> op instanceof Op.Launch l && l.overlapping());
            try {
                d.streamBeginCapture(stream, Driver.CAPTURE_MODE_THREAD_LOCAL);
                try {
                    for (Op op : ops) run(op);
                } finally {
                    captured = d.streamEndCapture(stream);
                }
                exec = d.graphInstantiate(captured, 0);
            } catch (CudaException e) {
                if (captured != null) d.graphDestroy(captured);
                captured = null;
                if (overlapping) {
                    // a driver that cannot put overlapping launches in a graph: capture them in order instead
                    overlap = false;
                    System.err.println("hyenac: capturing the plan with its kernels in order: " + e.getMessage());
                    capture();
                    return;
                }
                // a library call that cannot be captured: launch from the host instead, which is only slower
                replayable = false;
                System.err.println("hyenac: running the plan without a CUDA graph: " + e.getMessage());
            }
        }

        /** A kernel, overlapping its predecessor where it may; a driver that refuses that launches everything in order from then on. */
        private void launch(Op.Launch l) {
            if (l.overlapping() && overlap) {
                try {
                    d.launchKernelOverlapping(l.f(), l.grid(), l.block(), l.sharedBytes(), stream, l.args());
                    return;
                } catch (CudaException e) {
                    overlap = false;
                    System.err.println("hyenac: launching kernels in order: " + e.getMessage());
                }
            }
            d.launchKernel(l.f(), l.grid(), l.block(), l.sharedBytes(), stream, l.args());
        }

        private void run(Op op) {
            switch (op) {
                case Op.Launch l -> launch(l);
                case Op.Gemm g -> g.mm().run(g.x(), g.w(), g.bias(), g.y(), workspace, stream);
                case Op.Fft f -> {
                    f.plan().setStream(stream);
                    if (f.forward()) f.plan().execR2C(f.in(), f.out());
                    else f.plan().execC2R(f.in(), f.out());
                }
                case Op.Copy c -> d.memcpyDtoDAsync(c.dst(), c.src(), c.bytes(), stream, "a plan's copy");
            }
        }

        /**
         * Runs the plan once from the host with an event pair around every operation and returns the GPU
         * milliseconds and the count of each kind of work (a kernel's name, "gemm", "fft", "copy"), largest first:
         * where a run's time goes, at the price of one synchronisation per operation.
         */
        public Map<String, Timed> profile() {
            ctx.makeCurrent();
            Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
            Map<String, Timed> ms = new HashMap<>();
            try {
                for (Op op : ops) {
                    d.eventRecord(start, stream);
                    run(op);
                    d.eventRecord(end, stream);
                    d.eventSynchronize(end);
                    String kind = switch (op) {
                        case Op.Launch l -> l.kernel();
                        case Op.Gemm g -> "gemm";
                        case Op.Fft f -> "fft";
                        case Op.Copy c -> "copy";
                    };
                    ms.merge(kind, new Timed(d.eventElapsedTime(start, end), 1), (a, b) -> new Timed(a.ms() + b.ms(), a.count() + b.count()));
                }
            } finally {
                d.eventDestroy(start);
                d.eventDestroy(end);
            }
            Map<String, Timed> sorted = new LinkedHashMap<>();
            ms.entrySet().stream().sorted(Map.Entry.<String, Timed>comparingByValue(java.util.Comparator.comparingDouble(Timed::ms)).reversed())
                    .forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }

        /** A value after the run, as fp32. */
        public float[] read(int value) {
            Buffer b = plan.value(value);
            if (b == null || !plan.wanted().contains(value)) throw new IllegalArgumentException("value %" + value + " is not kept by this plan");
            int count = Math.toIntExact(b.elements().eval(shape));
            if (b.element() == DType.BF16) {
                short[] bits = d.memcpyDtoHShorts(pointers[b.id()], count, "value %" + value);
                float[] out = new float[count];
                for (int i = 0; i < count; i++) out[i] = Floats.bf16ToFloat(bits[i]);
                return out;
            }
            return d.memcpyDtoHFloats(pointers[b.id()], count, "value %" + value);
        }

        @Override public void close() {
            ctx.makeCurrent();
            try {
                if (exec != null) d.graphExecDestroy(exec);
                if (captured != null) d.graphDestroy(captured);
            } catch (RuntimeException e) {
                // after a failed kernel the frees fail too: the run's own error is the one worth reporting
            }
            try {
                if (pool != 0) d.memFree(pool, "a plan's memory pool");
            } catch (RuntimeException e) {
                // as above
            }
            pool = 0;
            arena.close();
        }
    }

    /** Limits every CUDA device since compute capability 3.0 shares. */
    private static final long MAX_GRID_X = (1L << 31) - 1, MAX_GRID_YZ = 65535;

    /** Moves every KV cache to {@code newCapacity} rows per sequence, keeping the rows held. */
    private void growCaches(Plan step, long newCapacity) {
        Shape old = new Shape(decodeBatch, 1, capacity), grown = new Shape(decodeBatch, 1, newCapacity);
        for (Buffer b : step.buffers()) {
            // a KV cache is the state whose size follows the capacity
            if (b.kind() != Buffer.Kind.STATE || b.bytes().eval(old) == b.bytes().eval(grown)) continue;
            long rowsBytes = b.bytes().eval(old) / decodeBatch, newRowsBytes = b.bytes().eval(grown) / decodeBatch;
            long heldBytes = rowsBytes / capacity * position;
            long from = states.get(b.name());
            long to = d.memAlloc(newRowsBytes * decodeBatch, "state " + b.name());
            for (int s = 0; s < decodeBatch; s++) d.memcpyDtoDAsync(to + s * newRowsBytes, from + s * rowsBytes, heldBytes, stream, "growing " + b.name());
            d.ctxSynchronize("growing " + b.name());
            d.memFree(from, "state " + b.name());
            states.put(b.name(), to);
        }
        capacity = newCapacity;
        // the prepared step holds the old caches' addresses
        if (stepPrepared != null) {
            stepPrepared.close();
            stepPrepared = null;
        }
    }

    private void freeStates() {
        if (stepPrepared != null) {
            stepPrepared.close();
            stepPrepared = null;
        }
        for (var e : states.entrySet()) d.memFree(e.getValue(), "state " + e.getKey());
        states.clear();
    }

    private static long require(Long p, String what) {
        if (p == null) throw new IllegalStateException("a plan reads " + what + ", which has no device buffer");
        return p;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        try {
            if (lastPrepared != null) lastPrepared.close();
            freeStates();
            for (CublasLt.Matmul m : matmuls.values()) m.close();
            if (lt != null) lt.close();
            for (Cufft.Plan p : fftPlans.values()) p.close();
            deviceWeights.free();
            if (workspace != 0) d.memFree(workspace, "the cuBLASLt workspace");
            if (stream != null) d.streamDestroy(stream);
            if (kernels != null) kernels.unload();
        } finally {
            ctx.close();
        }
    }
}
