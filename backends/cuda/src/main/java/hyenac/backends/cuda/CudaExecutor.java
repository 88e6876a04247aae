package hyenac.backends.cuda;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.cuda.Driver.Dim3;
import hyenac.backends.cuda.Driver.Stream;
import hyenac.backends.cuda.NodePlan.Arg;
import hyenac.backends.cuda.NodePlan.Step;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.HostTensor;
import hyenac.runtime.weights.WeightStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a graph's parallel forward pass on one GPU, with the contract of the CPU executor's {@code run}:
 * only the nodes the wanted values need run, starting from the values given. Values live in the precision's
 * storage type (fp32, or bf16 with fp32 arithmetic); filters and FFT data are fp32. Each distinct kernel is
 * compiled once with NVRTC for the device (in memory, and on disk in the {@link KernelCache}); GEMMs are
 * cuBLASLt (TF32 off in fp32 mode); long filters convolve through cuFFT.
 *
 * <p>Work is prepared as a {@link Pass}: for one shape and one set of given and wanted values, every kernel's
 * arguments are bound once to buffers from a memory plan (a value's buffer returns to a pool after its last
 * reader, so memory follows the live values, not the whole graph), and the pass is captured as a CUDA graph
 * that each run replays. The last pass is kept, so a repeated shape costs one graph launch. Weights are
 * uploaded when a pass first needs them, in the type its kernels read.
 *
 * <p>{@link #prefill} and {@link #step} generate as the CPU executor does: the prompt runs through the parallel
 * pass, then each stateful node's device state (FIR ring, modal state, KV cache) is built from that pass; a step
 * runs every stateful node through its codegen decode kernel and every other node with L = 1, from a pass
 * prepared and captured at the first step. Where a token stands the decode kernels read from a clock in device
 * memory ({@link NodePlan#CLOCK}), written before each step, so every step replays the same graph.
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class CudaExecutor implements AutoCloseable {
    private static final long WORKSPACE_BYTES = 32L << 20;
    /** Set {@code -Dhyenac.cuda.graphs=false} to launch every kernel from the host (to compare, or to debug). */
    private static final boolean GRAPHS = !"false".equals(System.getProperty("hyenac.cuda.graphs"));
    /** Set {@code -Dhyenac.fusion=false} to run one kernel per node (the fusion pass's groups otherwise). */
    private static final boolean FUSION = !"false".equals(System.getProperty("hyenac.fusion"));

    private final Graph graph;
    private final WeightStore weights;
    private final Precision precision;
    private final CudaKernels kernels = new CudaKernels();
    private final CudaContext ctx;
    private final Driver d;
    private Nvrtc nvrtc;
    private CublasLt lt;
    private Cufft cufft;
    private String arch;
    private Stream stream;
    private final KernelCache diskCache = KernelCache.atDefaultLocation();
    private final Map<String, Long> weightBuffers = new LinkedHashMap<>();
    private final Map<String, Long> constants = new HashMap<>();
    private final Map<String, Driver.Function> functions = new HashMap<>();
    private final List<Driver.Module> modules = new ArrayList<>();
    private final Map<String, CublasLt.Matmul> matmuls = new HashMap<>();
    private final Map<String, Cufft.Plan> fftPlans = new HashMap<>();
    private long workspace;
    private Pass lastPass, stepPass;
    private boolean closed;

    private enum Phase { PARALLEL, PREFILL, STEP }

    /** Device state per name (see {@link NodePlan#states}), kept from {@link #prefill} through every {@link #step}. */
    private final Map<String, Long> states = new HashMap<>();
    private int decodeBatch;
    private long position, capacity, steps;

    /** Opens GPU 0; no driver, library or GPU → {@link CudaUnavailableException}. */
    public CudaExecutor(Graph graph, WeightStore weights, Precision precision) {
        this.graph = graph;
        this.weights = weights;
        this.precision = precision;
        this.ctx = CudaContext.open(0);
        this.d = ctx.driver();
        try {
            nvrtc = Nvrtc.load();
            arch = nvrtc.archFor(ctx.device().computeMajor(), ctx.device().computeMinor());
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

    public Precision precision() { return precision; }

    /**
     * @param tokens [batch, length] token ids, read by the embedding (may be null when it does not run)
     * @param given  values supplied instead of computed, by value id, [batch, length, width] fp32 (rounded to
     *               the storage type on upload)
     * @param wanted value ids to return, as fp32
     */
    public Map<Integer, float[]> run(int batch, int length, long[] tokens, Map<Integer, float[]> given, Collection<Integer> wanted) {
        Pass p = pass(batch, length, given.keySet(), wanted);
        p.load(tokens, given);
        p.enqueue();
        d.ctxSynchronize("running the forward pass");
        Map<Integer, float[]> out = new HashMap<>();
        for (int w : wanted) out.put(w, p.read(w));
        return out;
    }

    /**
     * The prepared parallel pass for this shape and these given and wanted values: built on first use, kept
     * until a different one is asked for (its buffers then go back to the device). For benchmarks: load, then
     * {@link Pass#enqueue} on {@link #stream()} as often as wanted.
     */
    public Pass pass(int batch, int length, Set<Integer> given, Collection<Integer> wanted) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        ctx.makeCurrent();
        Pass.Key key = new Pass.Key(batch, length, Set.copyOf(given), Set.copyOf(wanted));
        if (lastPass != null && lastPass.key.equals(key)) return lastPass;
        if (lastPass != null) {
            lastPass.close();
            lastPass = null;
        }
        lastPass = build(Phase.PARALLEL, key);
        return lastPass;
    }

    /** The stream passes run on. */
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
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        ctx.makeCurrent();
        freeStates();
        position = 0;
        decodeBatch = batch;
        capacity = Math.max(maxLength, length + 1);
        steps = 0;
        for (Node n : graph.nodes()) {
            if (!NodePlan.stateful(n)) continue;
            for (var e : NodePlan.states(graph, n, batch, capacity).entrySet()) {
                long bytes = stateElementBytes(n, e.getKey()) * Math.max(1, e.getValue());
                long p = d.memAlloc(bytes, "state " + e.getKey());
                states.put(e.getKey(), p);
                // modal states start at zero (the scan adds to them); rings and caches are written before read
                d.memsetD8(p, (byte) 0, bytes, "state " + e.getKey());
            }
        }
        long clock = d.memAlloc(16, "the decode clock");
        states.put(NodePlan.CLOCK, clock);
        int logits = graph.outputs().getFirst();
        // a prompt pass runs once: built, run and freed (the kept parallel pass makes room for it)
        if (lastPass != null) {
            lastPass.close();
            lastPass = null;
        }
        float[] all;
        try (Pass p = build(Phase.PREFILL, new Pass.Key(batch, length, Set.of(), Set.of(logits)))) {
            p.load(tokens, Map.of());
            p.enqueue();
            d.ctxSynchronize("running the prompt");
            all = p.read(logits);
        }
        position = length;
        int vocab = Math.toIntExact(graph.value(logits).type().channels());
        float[] last = new float[batch * vocab];
        for (int b = 0; b < batch; b++) System.arraycopy(all, ((b + 1) * length - 1) * vocab, last, b * vocab, vocab);
        return last;
    }

    /** One decode step for tokens [batch] at the next position through the device states; logits [batch, vocab]. */
    public float[] step(long[] tokens) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        if (position == 0) throw new IllegalStateException("step before prefill");
        ctx.makeCurrent();
        if (position + 1 > capacity) growCaches(Math.max(2 * capacity, position + 1));
        int logits = graph.outputs().getFirst();
        if (stepPass == null) stepPass = build(Phase.STEP, new Pass.Key(decodeBatch, 1, Set.of(), Set.of(logits)));
        try (Arena a = Arena.ofConfined()) {
            d.memcpyHtoD(states.get(NodePlan.CLOCK), a.allocateFrom(JAVA_LONG, position, steps), "the decode clock");
        }
        stepPass.load(tokens, Map.of());
        stepPass.enqueue();
        d.ctxSynchronize("running a decode step");
        float[] out = stepPass.read(logits);
        position++;
        steps++;
        return out;
    }

    /** The tokens the states have seen (prompt and steps); 0 before prefill. */
    public long position() { return position; }

    // ---- passes ----------------------------------------------------------------------------------------

    /** One operation of a pass, with every argument resolved. */
    private sealed interface Op {
        record Launch(Driver.Function f, Dim3 grid, Dim3 block, KernelSource kernel, KernelArgs args) implements Op {}
        record Gemm(CublasLt.Matmul mm, long x, long w, long bias, long y) implements Op {}
        record Fft(Cufft.Plan plan, long in, long out, boolean forward) implements Op {}
        record Copy(long dst, long src, long bytes, String what) implements Op {}
    }

    /**
     * The work of one forward pass of fixed shape with its buffers: built by {@link #build}, replayed by
     * {@link #enqueue} (as a CUDA graph once captured), freed by {@link #close}.
     */
    public final class Pass implements AutoCloseable {
        record Key(int batch, int length, Set<Integer> given, Set<Integer> wanted) {}

        private final Key key;
        private final Arena arena = Arena.ofShared();
        private final List<Op> ops = new ArrayList<>();
        private final Map<Integer, Long> values = new HashMap<>();
        private final List<Long> owned = new ArrayList<>();
        private final Map<Long, Deque<Long>> pool = new HashMap<>();
        private long tokenBuffer;
        private long bytesHeld;
        private Driver.Graph captured;
        private Driver.GraphExec exec;
        private boolean replayable = GRAPHS;

        private Pass(Key key) { this.key = key; }

        public int batch() { return key.batch; }

        public int length() { return key.length; }

        /** Device memory the pass's values and temporaries hold. */
        public long bytesHeld() { return bytesHeld; }

        /** Kernel launches, GEMMs and FFTs a run enqueues. */
        public int operations() { return ops.size(); }

        /** Whether runs replay a captured CUDA graph (after the first). */
        public boolean graphed() { return exec != null; }

        private long take(long bytes, String what) {
            Deque<Long> free = pool.get(bytes);
            if (free != null && !free.isEmpty()) return free.pop();
            return fresh(bytes, what);
        }

        /** Memory for this pass alone, never from the pool. */
        private long fresh(long bytes, String what) {
            long p = d.memAlloc(Math.max(1, bytes), what);
            owned.add(p);
            bytesHeld += bytes;
            return p;
        }

        private void give(long bytes, long p) { pool.computeIfAbsent(bytes, b -> new ArrayDeque<>()).push(p); }

        /** Uploads the token ids and the given values (converted to the storage type). */
        public void load(long[] tokens, Map<Integer, float[]> given) {
            ctx.makeCurrent();
            if (tokenBuffer != 0) {
                checkTokens(tokens, key.batch, key.length);
                try (Arena a = Arena.ofConfined()) {
                    d.memcpyHtoD(tokenBuffer, a.allocateFrom(JAVA_LONG, tokens), "token ids");
                }
            }
            for (var e : given.entrySet()) {
                long want = floats(e.getKey(), key.batch, key.length);
                if (e.getValue().length != want) {
                    throw new IllegalArgumentException("given value %" + e.getKey() + " has " + e.getValue().length + " numbers, the pass needs " + want);
                }
                upload(values.get(e.getKey()), e.getValue(), precision.storage(), "given value %" + e.getKey());
            }
        }

        /** Enqueues the pass on the executor's stream: the captured graph, or (first, or without graphs) every operation. */
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
            try {
                d.streamBeginCapture(stream, Driver.CAPTURE_MODE_THREAD_LOCAL);
                try {
                    for (Op op : ops) run(op);
                } finally {
                    captured = d.streamEndCapture(stream);
                }
                exec = d.graphInstantiate(captured, 0);
            } catch (CudaException e) {
                // a library call that cannot be captured: launch from the host instead, which is only slower
                replayable = false;
                System.err.println("hyenac: running the pass without a CUDA graph: " + e.getMessage());
            }
        }

        private void run(Op op) {
            switch (op) {
                case Op.Launch l -> d.launchKernel(l.f(), l.grid(), l.block(), 0, stream, l.args());
                case Op.Gemm g -> g.mm().run(g.x(), g.w(), g.bias(), g.y(), workspace, stream);
                case Op.Fft f -> {
                    f.plan().setStream(stream);
                    if (f.forward()) f.plan().execR2C(f.in(), f.out());
                    else f.plan().execC2R(f.in(), f.out());
                }
                case Op.Copy c -> d.memcpyDtoDAsync(c.dst(), c.src(), c.bytes(), stream, c.what());
            }
        }

        /**
         * Runs the pass once from the host with an event pair around every operation and returns the GPU
         * milliseconds per kind of work (a kernel's name, "gemm", "fft", "copy"), largest first: where a
         * pass's time goes, at the price of one synchronisation per operation.
         */
        public Map<String, Double> profile() {
            ctx.makeCurrent();
            Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
            Map<String, Double> ms = new HashMap<>();
            try {
                for (Op op : ops) {
                    d.eventRecord(start, stream);
                    run(op);
                    d.eventRecord(end, stream);
                    d.eventSynchronize(end);
                    String kind = switch (op) {
                        case Op.Launch l -> l.kernel().name();
                        case Op.Gemm g -> "gemm";
                        case Op.Fft f -> "fft";
                        case Op.Copy c -> "copy";
                    };
                    ms.merge(kind, (double) d.eventElapsedTime(start, end), Double::sum);
                }
            } finally {
                d.eventDestroy(start);
                d.eventDestroy(end);
            }
            Map<String, Double> sorted = new LinkedHashMap<>();
            ms.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).forEach(e -> sorted.put(e.getKey(), e.getValue()));
            return sorted;
        }

        /** A value after the pass ran, as fp32. */
        public float[] read(int value) {
            Long p = values.get(value);
            if (p == null) throw new IllegalArgumentException("value %" + value + " is not kept by this pass");
            int count = Math.toIntExact(floats(value, key.batch, key.length));
            if (precision.storage() == CType.Scalar.BF16) {
                short[] bits = d.memcpyDtoHShorts(p, count, "value %" + value);
                float[] out = new float[count];
                for (int i = 0; i < count; i++) out[i] = Floats.bf16ToFloat(bits[i]);
                return out;
            }
            return d.memcpyDtoHFloats(p, count, "value %" + value);
        }

        @Override public void close() {
            ctx.makeCurrent();
            RuntimeException first = null;
            try {
                if (exec != null) d.graphExecDestroy(exec);
                if (captured != null) d.graphDestroy(captured);
            } catch (RuntimeException e) {
                first = e;
            }
            // after a failed kernel the frees fail too: the run's own error is the one worth reporting
            for (long p : owned) {
                try {
                    d.memFree(p, "a pass's buffer");
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            owned.clear();
            arena.close();
        }
    }

    /** Prepares a pass: binds every node's steps to buffers from the memory plan. */
    private Pass build(Phase phase, Pass.Key key) {
        int batch = key.batch(), length = key.length();
        List<Node> order = new ArrayList<>();
        Set<Node> needed = needed(key.given(), key.wanted());
        for (Node n : graph.nodes()) if (needed.contains(n)) order.add(n);
        Set<Integer> available = new HashSet<>(key.given());
        for (Node n : order) available.addAll(n.results());
        for (int w : key.wanted()) {
            if (!available.contains(w)) throw new IllegalArgumentException("value %" + w + " cannot be computed from the given values");
        }
        Set<Integer> keep = new HashSet<>(key.wanted());
        keep.addAll(key.given());
        List<Group> groups = FUSION ? FuseKernels.standard().run(graph, order, key.wanted(), switch (phase) {
            case PARALLEL -> FuseKernels.Mode.PARALLEL;
            case PREFILL -> FuseKernels.Mode.PREFILL;
            case STEP -> FuseKernels.Mode.STEP;
        }) : order.stream().map(Group::single).toList();
        // the last group (by index) that reads each value; kept values are never returned to the pool
        Map<Integer, Integer> lastRead = new HashMap<>();
        for (int i = 0; i < groups.size(); i++) for (int v : groups.get(i).inputs()) lastRead.put(v, i);

        Pass pass = new Pass(key);
        // a prompt's pass runs once: capturing it would only cost time
        if (phase == Phase.PREFILL) pass.replayable = false;
        boolean ok = false;
        try {
            for (int v : key.given()) pass.values.put(v, pass.take(valueBytes(v, batch, length), "given value %" + v));
            if (order.stream().anyMatch(n -> n.op().equals("embedding"))) pass.tokenBuffer = pass.take(8L * batch * length, "token ids");
            for (int i = 0; i < groups.size(); i++) {
                Group group = groups.get(i);
                Node n = group.nodes().getLast();
                // values inside a fused group live in registers: only what it materialises gets a buffer
                for (int r : group.materialised()) {
                    if (pass.values.containsKey(r) || graph.value(r).type().dtype() == DType.I64) continue;
                    pass.values.put(r, pass.take(valueBytes(r, batch, length), "value %" + r));
                }
                boolean recurrent = phase == Phase.STEP && !group.fused() && NodePlan.stateful(n);
                List<Step> steps = recurrent
                        ? List.of(NodePlan.decodeStep(graph, n, kernels, precision, weights::buffer, batch, capacity))
                        : NodePlan.ofGroup(graph, group, kernels, precision, weights::buffer, batch, length);
                Temporaries scratch = new Temporaries(pass, steps);
                for (Step s : steps) {
                    if (s instanceof Step.Once once) pass.run(op(once.step(), pass, scratch, batch, length, n));
                    else pass.ops.add(op(s, pass, scratch, batch, length, n));
                }
                if (phase == Phase.PREFILL) {
                    for (Node m : group.nodes()) if (NodePlan.stateful(m)) fillState(m, pass, scratch, batch, length);
                }
                scratch.release();
                Set<Integer> done = new HashSet<>(group.inputs());
                done.addAll(group.materialised());
                for (int v : done) {
                    Long p = pass.values.get(v);
                    if (p != null && !keep.contains(v) && lastRead.getOrDefault(v, -1) <= i) {
                        pass.give(valueBytes(v, batch, length), p);
                        pass.values.remove(v);
                    }
                }
            }
            ok = true;
            return pass;
        } finally {
            if (!ok) pass.close();
        }
    }

    /**
     * A group's temporaries, by name. They come from the pass's pool and go back to it after the group, except
     * what a prepared step ({@link Step.Once}) leaves for the runs: that is written once, at preparation, so it
     * gets memory of its own that nothing else ever reuses.
     */
    private static final class Temporaries {
        private final Pass pass;
        private final Set<String> prepared = new HashSet<>();
        private final Map<String, long[]> buffers = new HashMap<>();

        Temporaries(Pass pass, List<Step> steps) {
            this.pass = pass;
            Set<String> once = new HashSet<>(), runs = new HashSet<>();
            for (Step s : steps) {
                if (s instanceof Step.Once o) once.addAll(scratchOf(o.step()));
                else runs.addAll(scratchOf(s));
            }
            once.retainAll(runs);
            prepared.addAll(once);
        }

        long get(String name, long bytes) {
            return buffers.computeIfAbsent(name, x -> new long[] {prepared.contains(name) ? pass.fresh(bytes, "scratch " + name)
                    : pass.take(bytes, "scratch " + name), bytes})[0];
        }

        Long find(String name) { return buffers.containsKey(name) ? buffers.get(name)[0] : null; }

        void release() {
            buffers.forEach((name, b) -> {
                if (!prepared.contains(name)) pass.give(b[1], b[0]);
            });
        }
    }

    /** The scratch buffers a step reads or writes, by name. */
    private static Set<String> scratchOf(Step s) {
        Set<String> names = new HashSet<>();
        List<Arg> args = switch (s) {
            case Step.Launch l -> l.args();
            case Step.Fft f -> List.of(f.in(), f.out());
            default -> List.of();
        };
        for (Arg a : args) if (a instanceof Arg.Scratch sc) names.add(sc.name());
        return names;
    }

    private Op op(Step s, Pass pass, Temporaries scratch, int batch, int length, Node n) {
        return switch (s) {
            case Step.Gemm g -> {
                CublasLt.Epilogue epilogue = g.bias() == null ? CublasLt.Epilogue.DEFAULT : CublasLt.Epilogue.BIAS;
                CublasLt.DataType type = precision == Precision.BF16 ? CublasLt.DataType.BF16 : CublasLt.DataType.F32;
                String key = g.m() + "x" + g.n() + "x" + g.k() + epilogue + type;
                CublasLt.Matmul mm = matmuls.get(key);
                if (mm == null) {
                    mm = lt.linear(g.m(), g.n(), g.k(), type, type, epilogue, WORKSPACE_BYTES, 256);
                    matmuls.put(key, mm);
                }
                CType.Scalar st = precision.storage();
                yield new Op.Gemm(mm, value(pass, g.x(), n), weight(g.weight(), st, n), g.bias() == null ? 0 : weight(g.bias(), st, n),
                        value(pass, g.y(), n));
            }
            case Step.Fft f -> {
                long in = pointer(f.in(), CType.Scalar.FLOAT, pass, scratch, n), out = pointer(f.out(), CType.Scalar.FLOAT, pass, scratch, n);
                String key = f.n() + "/" + f.batch() + (f.forward() ? "/r2c" : "/c2r");
                if (cufft == null) cufft = Cufft.load();
                Cufft.Plan plan = fftPlans.computeIfAbsent(key, k -> f.forward() ? cufft.planR2C(f.n(), f.batch()) : cufft.planC2R(f.n(), f.batch()));
                yield new Op.Fft(plan, in, out, f.forward());
            }
            case Step.Once o -> throw new IllegalStateException("a prepared step inside a pass");
            case Step.Launch l -> {
                KernelSource k = l.kernel();
                long[] grid = k.launch().grid(Map.of(Extent.B, (long) batch, Extent.L, (long) length));
                KernelArgs args = new KernelArgs(pass.arena, Math.max(1, k.params().size()));
                for (int i = 0; i < k.params().size(); i++) {
                    KernelParam param = k.params().get(i);
                    CType.Scalar element = param.type() instanceof CType.Pointer ptr ? ptr.element() : null;
                    switch (l.args().get(i)) {
                        case Arg.Int v -> args.integer(param.type(), v.value());
                        case Arg.Real v -> args.real(param.type(), v.value());
                        case Arg a -> args.ptr(pointer(a, element, pass, scratch, n));
                    }
                }
                // shared arrays are static in the generated code: no dynamic shared memory
                yield new Op.Launch(function(k), new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])),
                        new Dim3(k.launch().blockX(), k.launch().blockY(), k.launch().blockZ()), k, args);
            }
        };
    }

    /** The device pointer an argument names, allocating scratch (of the reading kernel's element type) on first use. */
    private long pointer(Arg a, CType.Scalar element, Pass pass, Temporaries scratch, Node n) {
        return switch (a) {
            case Arg.Value v -> value(pass, v.id(), n);
            case Arg.Weight w -> weight(w.name(), element, n);
            case Arg.Scratch s -> scratch.get(s.name(), (long) element.bytes() * s.floats());
            case Arg.Host h -> constants.computeIfAbsent(h.key() + "/" + element, x -> {
                long p = d.memAlloc((long) element.bytes() * Math.max(1, h.data().length), h.key());
                upload(p, h.data(), element, h.key());
                return p;
            });
            case Arg.Tokens t -> pass.tokenBuffer;
            case Arg.State st -> require(states.get(st.name()), "state " + st.name() + " (prefill first)", n);
            case Arg.Int i -> throw new IllegalStateException("a scalar bound to a pointer");
            case Arg.Real r -> throw new IllegalStateException("a scalar bound to a pointer");
        };
    }

    private long value(Pass pass, int id, Node n) { return require(pass.values.get(id), "value %" + id, n); }

    /** A weight on the device in {@code element}'s type, uploaded on first use. */
    private long weight(String name, CType.Scalar element, Node n) {
        String key = name + "/" + element;
        Long p = weightBuffers.get(key);
        if (p != null) return p;
        if (!weights.contains(name)) {
            throw new IllegalStateException(n.op() + " " + n.path() + " reads weight " + name + ", which the weight store does not hold");
        }
        HostTensor t = weights.tensor(name);
        long q = d.memAlloc((long) element.bytes() * Math.max(1, t.elements()), "weight " + name);
        weightBuffers.put(key, q);
        if (t instanceof HostTensor.Bf16 b && element == CType.Scalar.BF16) {
            uploadBf16(q, b, "weight " + name);  // already bf16 bits: copied as they are, never widened
        } else {
            upload(q, t.floats(), element, "weight " + name);
        }
        return q;
    }

    /** Copies a bf16 weight's bits (little-endian, as the GPU reads them) to the device through native memory. */
    private void uploadBf16(long p, HostTensor.Bf16 t, String what) {
        if (t.elements() == 0) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(t.bytes(), 2);
            host.copyFrom(t.bits());
            d.memcpyHtoD(p, host, what);
        }
    }

    /** Builds a node's state from its prompt pass, enqueued right after the node's parallel steps. */
    private void fillState(Node n, Pass pass, Temporaries scratch, int batch, int length) {
        for (Step.Launch l : NodePlan.prefillState(graph, n, kernels, precision, batch, length)) {
            pass.ops.add(op(l, pass, scratch, batch, length, n));
        }
        if (!n.op().equals("causal_attention")) return;
        long width = graph.value(n.operands().getFirst()).type().channels();
        long keys = switch (NodePlan.cachedKeys(graph, n, batch, length)) {
            case Arg.Value v -> value(pass, v.id(), n);
            case Arg.Scratch s -> require(scratch.find(s.name()), "scratch " + s.name(), n);
            default -> throw new IllegalStateException("unexpected key source");
        };
        long vals = value(pass, n.operands().get(2), n);
        // the prompt is [B, L, W], the cache [B, capacity, W]: one contiguous copy per sequence
        long element = precision.storage().bytes();
        long bytes = element * length * width;
        for (int b = 0; b < batch; b++) {
            long dst = element * b * capacity * width;
            pass.ops.add(new Op.Copy(states.get("n" + n.id() + ".keys") + dst, keys + b * bytes, bytes, "the KV cache's keys"));
            pass.ops.add(new Op.Copy(states.get("n" + n.id() + ".values") + dst, vals + b * bytes, bytes, "the KV cache's values"));
        }
    }

    /** Moves every KV cache to {@code newCapacity} rows per sequence, keeping the rows held. */
    private void growCaches(long newCapacity) {
        long element = precision.storage().bytes();
        for (Node n : graph.nodes()) {
            if (!n.op().equals("causal_attention")) continue;
            long width = graph.value(n.operands().getFirst()).type().channels();
            for (String part : List.of(".keys", ".values")) {
                String name = "n" + n.id() + part;
                long old = states.get(name);
                long grown = d.memAlloc(element * decodeBatch * newCapacity * width, "state " + name);
                for (int b = 0; b < decodeBatch; b++) {
                    d.memcpyDtoDAsync(grown + element * b * newCapacity * width, old + element * b * capacity * width, element * position * width,
                            stream, "growing " + name);
                }
                d.ctxSynchronize("growing " + name);
                d.memFree(old, "state " + name);
                states.put(name, grown);
            }
        }
        capacity = newCapacity;
        // the step pass holds the old caches' addresses
        if (stepPass != null) {
            stepPass.close();
            stepPass = null;
        }
    }

    /** The element size of a state buffer: the type its decode kernel declares for it. */
    private long stateElementBytes(Node n, String state) {
        String param = switch (state.substring(state.lastIndexOf('.') + 1)) {
            case "ring" -> "ring";
            case "modal" -> "state";
            case "keys" -> "keys";
            case "values" -> "values";
            default -> throw new IllegalStateException("unknown state " + state);
        };
        for (KernelSource k : kernels.decodeForNode(graph, n, precision)) {
            for (KernelParam p : k.params()) {
                if (p.name().equals(param) && p.type() instanceof CType.Pointer ptr) return ptr.element().bytes();
            }
        }
        throw new IllegalStateException("no decode kernel of " + n.op() + " " + n.path() + " reads " + state);
    }

    private void freeStates() {
        if (stepPass != null) {
            stepPass.close();
            stepPass = null;
        }
        for (var e : states.entrySet()) d.memFree(e.getValue(), "state " + e.getKey());
        states.clear();
    }

    private long floats(int value, int batch, int length) {
        return (long) batch * length * graph.value(value).type().channels();
    }

    private long valueBytes(int value, int batch, int length) {
        return floats(value, batch, length) * precision.storage().bytes();
    }

    private static void checkTokens(long[] tokens, int batch, int length) {
        if (tokens == null || tokens.length != (long) batch * length) {
            throw new IllegalArgumentException("the embedding needs " + batch + "×" + length + " token ids, got "
                    + (tokens == null ? "none" : tokens.length));
        }
    }

    private static long require(Long p, String what, Node n) {
        if (p == null) throw new IllegalStateException(n.op() + " " + n.path() + " reads " + what + ", which has no device buffer");
        return p;
    }

    /** Compiles (or finds on disk) and loads a kernel once per distinct code. */
    private Driver.Function function(KernelSource k) {
        Driver.Function f = functions.get(k.code());
        if (f != null) return f;
        List<String> options = Nvrtc.defaultOptions(arch);
        String key = KernelCache.key(k.code(), options, arch + "/nvrtc");
        byte[] image = cached(key);
        if (image == null) {
            image = nvrtc.compile(k.entry(), k.code(), options).image();
            try {
                diskCache.store(key, image, k.text());
            } catch (RuntimeException e) {
                // the disk cache only saves time; a read-only home must not stop a run
            }
        }
        Driver.Module m = d.moduleLoadData(image, k.entry());
        modules.add(m);
        f = d.moduleGetFunction(m, k.entry());
        functions.put(k.code(), f);
        return f;
    }

    private byte[] cached(String key) {
        try {
            return diskCache.lookup(key).orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Copies fp32 data to the device as {@code element} (fp32, or bf16 rounded to nearest even). */
    private void upload(long p, float[] data, CType.Scalar element, String what) {
        if (data.length == 0) return;
        switch (element) {
            case FLOAT -> d.memcpyHtoD(p, data, what);
            case BF16 -> {
                short[] bits = new short[data.length];
                for (int i = 0; i < data.length; i++) bits[i] = Floats.floatToBf16(data[i]);
                d.memcpyHtoD(p, bits, what);
            }
            default -> throw new IllegalStateException(what + " would be uploaded as " + element);
        }
    }

    /** The producers of the wanted values, back to the given values or the graph's inputs. */
    private Set<Node> needed(Set<Integer> given, Collection<Integer> wanted) {
        Set<Node> needed = new HashSet<>();
        Deque<Integer> todo = new ArrayDeque<>(wanted);
        while (!todo.isEmpty()) {
            int v = todo.pop();
            if (given.contains(v)) continue;
            Node p = graph.producer(v);
            if (p != null && needed.add(p)) todo.addAll(p.operands());
        }
        return needed;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        try {
            if (lastPass != null) lastPass.close();
            freeStates();
            for (CublasLt.Matmul m : matmuls.values()) m.close();
            if (lt != null) lt.close();
            for (Cufft.Plan p : fftPlans.values()) p.close();
            for (long p : weightBuffers.values()) d.memFree(p, "a weight");
            for (long p : constants.values()) d.memFree(p, "a constant");
            if (workspace != 0) d.memFree(workspace, "the cuBLASLt workspace");
            if (stream != null) d.streamDestroy(stream);
            for (Driver.Module m : modules) d.moduleUnload(m);
        } finally {
            ctx.close();
        }
    }
}
