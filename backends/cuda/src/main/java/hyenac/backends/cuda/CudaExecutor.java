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
import hyenac.runtime.weights.WeightStore;
import java.lang.foreign.Arena;
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
 * only the nodes the wanted values need run, starting from the values given. Weights are uploaded once at
 * construction (fp32); each distinct kernel is compiled once with NVRTC for the device (kept in memory, and
 * on disk in the {@link KernelCache}); GEMMs are cuBLASLt in fp32 without TF32. A run allocates a buffer per
 * value, enqueues every node in graph order on the legacy stream, then downloads the wanted values. Every
 * CUDA failure surfaces as the bindings' exceptions.
 *
 * <p>{@link #prefill} and {@link #step} generate as the CPU executor does: the prompt runs through the parallel
 * pass, then each stateful node's device state (FIR ring, modal state, KV cache) is built from that pass; a step
 * runs every stateful node through its codegen decode kernel and every other node with L = 1.
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class CudaExecutor implements AutoCloseable {
    private static final long WORKSPACE_BYTES = 32L << 20;

    private final Graph graph;
    private final WeightStore weights;
    private final Precision precision;
    private final CudaKernels kernels = new CudaKernels();
    private final CudaContext ctx;
    private final Driver d;
    private Nvrtc nvrtc;
    private CublasLt lt;
    private String arch;
    private final KernelCache diskCache = KernelCache.atDefaultLocation();
    private final Map<String, Long> weightBuffers = new LinkedHashMap<>();
    private final Map<String, Long> constants = new HashMap<>();
    private final Map<String, Driver.Function> functions = new HashMap<>();
    private final List<Driver.Module> modules = new ArrayList<>();
    private final Map<String, CublasLt.Matmul> matmuls = new HashMap<>();
    private long workspace;
    private boolean closed;

    private enum Phase { PARALLEL, PREFILL, STEP }

    /** Device state per name (see {@link NodePlan#states}), kept from {@link #prefill} through every {@link #step}. */
    private final Map<String, Long> states = new HashMap<>();
    private int decodeBatch;
    private long position, capacity, steps;

    /** Opens GPU 0; no driver, library or GPU → {@link CudaUnavailableException}. */
    public CudaExecutor(Graph graph, WeightStore weights, Precision precision) {
        if (precision != Precision.FP32) {
            throw new UnsupportedOperationException("the CUDA executor runs fp32 only for now, not " + precision);
        }
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
            // A store may hold only some layers (one block of a conformance case): upload what it has;
            // a node that runs without its weights fails by name.
            for (Node n : graph.nodes()) {
                for (String name : n.weights().values()) {
                    if (!weightBuffers.containsKey(name) && weights.tensors().containsKey(name)) {
                        weightBuffers.put(name, upload(weights.get(name), "weight " + name));
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public DeviceInfo device() { return ctx.device(); }

    /** The arch kernels compile for, e.g. sm_90. */
    public String arch() { return arch; }

    /**
     * @param tokens [batch, length] token ids, read by the embedding (may be null when it does not run)
     * @param given  values supplied instead of computed, by value id, [batch, length, width] fp32
     * @param wanted value ids to return
     */
    public Map<Integer, float[]> run(int batch, int length, long[] tokens, Map<Integer, float[]> given, Collection<Integer> wanted) {
        return forward(Phase.PARALLEL, batch, length, tokens, given, wanted);
    }

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
                long p = d.memAlloc(4L * Math.max(1, e.getValue()), "state " + e.getKey());
                states.put(e.getKey(), p);
                // modal states start at zero (the scan adds to them); rings and caches are written before read
                d.memsetD8(p, (byte) 0, 4L * e.getValue(), "state " + e.getKey());
            }
        }
        int logits = graph.outputs().getFirst();
        float[] all = forward(Phase.PREFILL, batch, length, tokens, Map.of(), List.of(logits)).get(logits);
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
        float[] out = forward(Phase.STEP, decodeBatch, 1, tokens, Map.of(), List.of(logits)).get(logits);
        position++;
        steps++;
        return out;
    }

    /** The tokens the states have seen (prompt and steps); 0 before prefill. */
    public long position() { return position; }

    private Map<Integer, float[]> forward(Phase phase, int batch, int length, long[] tokens, Map<Integer, float[]> given,
                                          Collection<Integer> wanted) {
        if (closed) throw new IllegalStateException("the CUDA executor is closed");
        ctx.makeCurrent();
        List<Node> order = new ArrayList<>();
        Set<Node> needed = needed(given.keySet(), wanted);
        for (Node n : graph.nodes()) if (needed.contains(n)) order.add(n);
        Set<Integer> available = new HashSet<>(given.keySet());
        for (Node n : order) available.addAll(n.results());
        for (int w : wanted) {
            if (!available.contains(w)) throw new IllegalArgumentException("value %" + w + " cannot be computed from the given values");
        }
        List<List<Step>> plans = new ArrayList<>();
        for (Node n : order) {
            boolean recurrent = phase == Phase.STEP && NodePlan.stateful(n);
            plans.add(recurrent ? List.of(NodePlan.decodeStep(graph, n, kernels, precision, weights::buffer, batch, next(n), position, capacity))
                    : NodePlan.of(graph, n, kernels, precision, weights::buffer, batch, length));
        }
        boolean embeds = order.stream().anyMatch(n -> n.op().equals("embedding"));
        if (embeds) checkTokens(tokens, batch, length);

        Map<Integer, Long> values = new HashMap<>();
        List<Long> owned = new ArrayList<>();
        boolean ok = false;
        try {
            for (var e : given.entrySet()) {
                long p = upload(e.getValue(), "given value %" + e.getKey());
                owned.add(p);
                values.put(e.getKey(), p);
            }
            for (Node n : order) {
                for (int r : n.results()) {
                    if (values.containsKey(r) || graph.value(r).type().dtype() == DType.I64) continue;
                    long p = d.memAlloc(4L * floats(r, batch, length), "value %" + r);
                    owned.add(p);
                    values.put(r, p);
                }
            }
            long tokenBuffer = 0;
            if (embeds) {
                tokenBuffer = d.memAlloc(8L * tokens.length, "token ids");
                owned.add(tokenBuffer);
                try (Arena a = Arena.ofConfined()) {
                    d.memcpyHtoD(tokenBuffer, a.allocateFrom(JAVA_LONG, tokens), "token ids");
                }
            }
            Map<String, Long> scratch = new HashMap<>();
            for (int i = 0; i < order.size(); i++) {
                for (Step s : plans.get(i)) {
                    switch (s) {
                        case Step.Gemm gm -> gemm(gm, values);
                        case Step.Launch l -> launch(l, values, scratch, owned, tokenBuffer, batch, length, order.get(i));
                    }
                }
                if (phase == Phase.PREFILL && NodePlan.stateful(order.get(i))) fillState(order.get(i), values, scratch, owned, batch, length);
            }
            d.ctxSynchronize("running the forward pass");
            Map<Integer, float[]> out = new HashMap<>();
            for (int w : wanted) out.put(w, d.memcpyDtoHFloats(values.get(w), Math.toIntExact(floats(w, batch, length)), "value %" + w));
            ok = true;
            return out;
        } finally {
            // after a failed kernel the frees fail too: the run's own error is the one worth reporting
            RuntimeException first = null;
            for (long p : owned) {
                try {
                    d.memFree(p, "a run's buffer");
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            if (ok && first != null) throw first;
        }
    }

    /** The ring slot a FIR's next input takes: the prefill leaves the oldest input in slot 0. */
    private int next(Node n) {
        if (!n.op().equals("causal_conv") || n.intAttr("len") < 2) return 0;
        return Math.toIntExact(steps % (n.intAttr("len") - 1));
    }

    /** Builds a node's state from its prompt pass, enqueued right after the node's parallel steps. */
    private void fillState(Node n, Map<Integer, Long> values, Map<String, Long> scratch, List<Long> owned, int batch, int length) {
        for (Step.Launch l : NodePlan.prefillState(graph, n, kernels, precision, batch, length)) {
            launch(l, values, scratch, owned, 0, batch, length, n);
        }
        if (!n.op().equals("causal_attention")) return;
        long width = graph.value(n.operands().getFirst()).type().channels();
        long keys = switch (NodePlan.cachedKeys(graph, n, batch, length)) {
            case Arg.Value v -> require(values.get(v.id()), "value %" + v.id(), n);
            case Arg.Scratch s -> require(scratch.get(s.name() + "/" + s.floats()), "scratch " + s.name(), n);
            default -> throw new IllegalStateException("unexpected key source");
        };
        long vals = require(values.get(n.operands().get(2)), "value %" + n.operands().get(2), n);
        // the prompt is [B, L, W], the cache [B, capacity, W]: one contiguous copy per sequence
        long bytes = 4L * length * width;
        for (int b = 0; b < batch; b++) {
            long dst = 4L * b * capacity * width;
            d.memcpyDtoDAsync(states.get("n" + n.id() + ".keys") + dst, keys + b * bytes, bytes, Stream.DEFAULT, "the KV cache's keys");
            d.memcpyDtoDAsync(states.get("n" + n.id() + ".values") + dst, vals + b * bytes, bytes, Stream.DEFAULT, "the KV cache's values");
        }
    }

    /** Moves every KV cache to {@code newCapacity} rows per sequence, keeping the rows held. */
    private void growCaches(long newCapacity) {
        for (Node n : graph.nodes()) {
            if (!n.op().equals("causal_attention")) continue;
            long width = graph.value(n.operands().getFirst()).type().channels();
            for (String part : List.of(".keys", ".values")) {
                String name = "n" + n.id() + part;
                long old = states.get(name);
                long grown = d.memAlloc(4L * decodeBatch * newCapacity * width, "state " + name);
                for (int b = 0; b < decodeBatch; b++) {
                    d.memcpyDtoDAsync(grown + 4L * b * newCapacity * width, old + 4L * b * capacity * width, 4L * position * width,
                            Stream.DEFAULT, "growing " + name);
                }
                d.ctxSynchronize("growing " + name);
                d.memFree(old, "state " + name);
                states.put(name, grown);
            }
        }
        capacity = newCapacity;
    }

    private void freeStates() {
        for (var e : states.entrySet()) d.memFree(e.getValue(), "state " + e.getKey());
        states.clear();
    }

    private long floats(int value, int batch, int length) {
        return (long) batch * length * graph.value(value).type().channels();
    }

    private static void checkTokens(long[] tokens, int batch, int length) {
        if (tokens == null || tokens.length != (long) batch * length) {
            throw new IllegalArgumentException("the embedding needs " + batch + "×" + length + " token ids, got "
                    + (tokens == null ? "none" : tokens.length));
        }
    }

    private void gemm(Step.Gemm g, Map<Integer, Long> values) {
        CublasLt.Epilogue epilogue = g.bias() == null ? CublasLt.Epilogue.DEFAULT : CublasLt.Epilogue.BIAS;
        String key = g.m() + "x" + g.n() + "x" + g.k() + epilogue;
        CublasLt.Matmul mm = matmuls.get(key);
        if (mm == null) {
            mm = lt.linear(g.m(), g.n(), g.k(), CublasLt.DataType.F32, CublasLt.DataType.F32, epilogue, WORKSPACE_BYTES, 256);
            matmuls.put(key, mm);
        }
        mm.run(values.get(g.x()), weightBuffers.get(g.weight()), g.bias() == null ? 0 : weightBuffers.get(g.bias()), values.get(g.y()),
                workspace, Stream.DEFAULT);
    }

    private void launch(Step.Launch l, Map<Integer, Long> values, Map<String, Long> scratch, List<Long> owned, long tokens, int batch,
                        int length, Node n) {
        KernelSource k = l.kernel();
        Driver.Function f = function(k);
        long[] grid = k.launch().grid(Map.of(Extent.B, (long) batch, Extent.L, (long) length));
        try (Arena a = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(a, Math.max(1, k.params().size()));
            for (int i = 0; i < k.params().size(); i++) {
                KernelParam param = k.params().get(i);
                switch (l.args().get(i)) {
                    case Arg.Value v -> args.ptr(require(values.get(v.id()), "value %" + v.id(), n));
                    case Arg.Weight w -> args.ptr(require(weightBuffers.get(w.name()), "weight " + w.name(), n));
                    case Arg.Scratch s -> args.ptr(scratch.computeIfAbsent(s.name() + "/" + s.floats(), x -> {
                        long p = d.memAlloc(4L * s.floats(), "scratch " + s.name());
                        owned.add(p);
                        return p;
                    }));
                    case Arg.Host h -> args.ptr(constants.computeIfAbsent(h.key(), x -> upload(h.data(), h.key())));
                    case Arg.Tokens t -> args.ptr(tokens);
                    case Arg.State st -> args.ptr(require(states.get(st.name()), "state " + st.name() + " (prefill first)", n));
                    case Arg.Int v -> {
                        if (param.type() == CType.Scalar.INT) args.i32(Math.toIntExact(v.value()));
                        else args.i64(v.value());
                    }
                    case Arg.Real v -> {
                        if (param.type() == CType.Scalar.FLOAT) args.f32((float) v.value());
                        else args.f64(v.value());
                    }
                }
            }
            // shared arrays are static in the generated code: no dynamic shared memory
            d.launchKernel(f, new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])),
                    new Dim3(k.launch().blockX(), k.launch().blockY(), k.launch().blockZ()), 0, Stream.DEFAULT, args);
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

    private long upload(float[] data, String what) {
        long p = d.memAlloc(4L * Math.max(1, data.length), what);
        if (data.length > 0) d.memcpyHtoD(p, data, what);
        return p;
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
            freeStates();
            for (CublasLt.Matmul m : matmuls.values()) m.close();
            if (lt != null) lt.close();
            for (long p : weightBuffers.values()) d.memFree(p, "a weight");
            for (long p : constants.values()) d.memFree(p, "a constant");
            if (workspace != 0) d.memFree(workspace, "the cuBLASLt workspace");
            for (Driver.Module m : modules) d.moduleUnload(m);
        } finally {
            ctx.close();
        }
    }
}
