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
        for (Node n : order) plans.add(NodePlan.of(graph, n, kernels, precision, weights::buffer, batch, length));
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
