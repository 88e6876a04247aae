package hyenac.conformance;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.backends.cuda.CudaContext;
import hyenac.backends.cuda.Driver;
import hyenac.backends.cuda.KernelArgs;
import hyenac.backends.cuda.NodePlan;
import hyenac.backends.cuda.NodePlan.Arg;
import hyenac.backends.cuda.NodePlan.Step;
import hyenac.backends.cuda.Nvrtc;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.WeightStore;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The fused group kernels on the GPU, before the executor runs groups: every distinct fused kernel of the
 * samples (the groups of a parallel pass, a prefill and a decode step), bound by {@link NodePlan#ofGroup}, on
 * random inputs; in fp32 bit for bit against the unfused kernels of its nodes ({@link NodePlan#of}), in fp32
 * and bf16 against the CPU executor running its nodes. One line per kernel; returns the failures.
 */
final class FusedKernelCheck {
    static final int B = 2, L = 100;

    private final CudaContext ctx;
    private final Driver d;
    private final Nvrtc nvrtc;
    private final String arch;
    private final CudaKernels kernels = new CudaKernels();
    private final Map<String, Driver.Function> functions = new HashMap<>();
    private final SplittableRandom random = new SplittableRandom(5);

    private FusedKernelCheck(CudaContext ctx) {
        this.ctx = ctx;
        this.d = ctx.driver();
        this.nvrtc = Nvrtc.load();
        this.arch = nvrtc.archFor(ctx.device().computeMajor(), ctx.device().computeMinor());
    }

    static int run(Path samples, List<String> specs) {
        try (CudaContext ctx = CudaContext.open(0)) {
            FusedKernelCheck check = new FusedKernelCheck(ctx);
            int failures = 0;
            for (String spec : specs) failures += check.sample(samples.resolve(spec));
            return failures;
        } catch (RuntimeException e) {
            System.out.println("FAIL fused kernels: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        }
    }

    private int sample(Path spec) {
        Graph g = Compilation.compile(spec, null).graph();
        WeightStore weights = WeightStore.random(g, 11);
        int failures = 0;
        for (Precision p : Precision.values()) {
            Set<String> seen = new HashSet<>();
            for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                for (Group group : FuseKernels.standard().run(g, g.nodes(), List.of(), mode)) {
                    if (!group.fused()) continue;
                    Step.Launch fused = (Step.Launch) NodePlan.ofGroup(g, group, kernels, p, name -> Optional.empty(), B, L).getFirst();
                    if (seen.add(fused.kernel().code())) failures += group(g, group, fused, p == Precision.BF16 ? weights.roundedToBf16() : weights, p);
                }
            }
        }
        return failures;
    }

    private int group(Graph g, Group group, Step.Launch fused, WeightStore weights, Precision p) {
        Map<Integer, float[]> given = new LinkedHashMap<>();
        for (int v : group.inputs()) {
            float[] x = new float[B * L * width(g, v)];
            for (int i = 0; i < x.length; i++) x[i] = p == Precision.BF16 ? Floats.bf16ToFloat(Floats.floatToBf16(gaussian())) : gaussian();
            given.put(v, x);
        }
        Map<Integer, float[]> want = new CpuExecutor(g, weights).run(B, L, null, given, group.materialised());
        Map<Integer, float[]> got = launch(g, p, weights, given, List.of(fused), group.materialised());
        Map<Integer, float[]> unfused = null;
        if (p == Precision.FP32) {
            List<Step> steps = new ArrayList<>();
            for (Node n : group.nodes()) steps.addAll(NodePlan.of(g, n, kernels, p, name -> Optional.empty(), B, L));
            unfused = launch(g, p, weights, given, steps, group.materialised());
        }
        double tolerance = p == Precision.BF16 ? 2e-2 : 2e-4;
        List<String> problems = new ArrayList<>();
        for (int v : group.materialised()) {
            float[] a = got.get(v), w = want.get(v);
            for (int i = 0; i < w.length; i++) {
                if (Float.isNaN(a[i]) || Math.abs((double) a[i] - w[i]) > tolerance * (1 + Math.abs(w[i]))) {
                    problems.add("%" + v + "[" + i + "] = " + a[i] + ", the CPU " + w[i]);
                    break;
                }
            }
            if (unfused == null) continue;
            float[] u = unfused.get(v);
            for (int i = 0; i < u.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(u[i])) {
                    problems.add("%" + v + "[" + i + "] = " + a[i] + ", the unfused kernels " + u[i]);
                    break;
                }
            }
        }
        System.out.println((problems.isEmpty() ? "PASS " : "FAIL ") + fused.kernel().entry() + " (" + group.nodes().size() + " nodes at "
                + group.nodes().getFirst().path() + ") on " + ctx.device().name() + (p == Precision.FP32 ? ": the CPU's values, the unfused kernels' bits"
                : ": the CPU's values") + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        return problems.isEmpty() ? 0 : 1;
    }

    /** Runs launches over fresh device buffers for the values they touch; returns the wanted values as floats. */
    private Map<Integer, float[]> launch(Graph g, Precision p, WeightStore weights, Map<Integer, float[]> given, List<Step> steps, List<Integer> wanted) {
        boolean bf16 = p == Precision.BF16;
        Map<Integer, Long> values = new HashMap<>();
        Map<String, Long> uploaded = new HashMap<>(), scratch = new HashMap<>();
        List<Long> owned = new ArrayList<>();
        try {
            given.forEach((v, x) -> values.put(v, upload(x, bf16, owned)));
            for (Step s : steps) {
                Step.Launch l = (Step.Launch) s;
                KernelSource k = l.kernel();
                try (Arena a = Arena.ofConfined()) {
                    KernelArgs args = new KernelArgs(a, Math.max(1, k.params().size()));
                    for (int i = 0; i < k.params().size(); i++) {
                        KernelParam param = k.params().get(i);
                        boolean bf16Elements = param.type() instanceof CType.Pointer ptr && ptr.element() == CType.Scalar.BF16;
                        switch (l.args().get(i)) {
                            case Arg.Value v -> args.ptr(values.computeIfAbsent(v.id(), id -> alloc((long) B * L * width(g, id) * (bf16 ? 2 : 4), owned)));
                            case Arg.Weight w -> args.ptr(uploaded.computeIfAbsent(w.name() + "/" + bf16Elements, x -> upload(weights.get(w.name()), bf16Elements, owned)));
                            case Arg.Scratch sc -> args.ptr(scratch.computeIfAbsent(sc.name(), x -> alloc(4L * sc.floats(), owned)));
                            case Arg.Int v -> args.integer(param.type(), v.value());
                            case Arg.Real v -> args.real(param.type(), v.value());
                            default -> throw new IllegalStateException(k.entry() + ": a fused group's node takes no " + l.args().get(i));
                        }
                    }
                    long[] grid = k.launch().grid(Map.of(Extent.B, (long) B, Extent.L, (long) L));
                    d.launchKernel(function(k), new Driver.Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])),
                            new Driver.Dim3(k.launch().blockX(), k.launch().blockY(), k.launch().blockZ()), 0, Driver.Stream.DEFAULT, args);
                }
            }
            d.ctxSynchronize("the fused kernel check");
            Map<Integer, float[]> out = new HashMap<>();
            for (int v : wanted) {
                int n = B * L * width(g, v);
                if (!bf16) {
                    out.put(v, d.memcpyDtoHFloats(values.get(v), n, "value %" + v));
                    continue;
                }
                short[] bits = d.memcpyDtoHShorts(values.get(v), n, "value %" + v);
                float[] f = new float[n];
                for (int i = 0; i < n; i++) f[i] = Floats.bf16ToFloat(bits[i]);
                out.put(v, f);
            }
            return out;
        } finally {
            for (long ptr : owned) d.memFree(ptr, "a check buffer");
        }
    }

    private long alloc(long bytes, List<Long> owned) {
        long ptr = d.memAlloc(Math.max(4, bytes), "a check buffer");
        owned.add(ptr);
        return ptr;
    }

    private long upload(float[] x, boolean bf16, List<Long> owned) {
        long ptr = alloc((long) x.length * (bf16 ? 2 : 4), owned);
        if (!bf16) {
            d.memcpyHtoD(ptr, x, "a check input");
            return ptr;
        }
        short[] bits = new short[x.length];
        for (int i = 0; i < x.length; i++) bits[i] = Floats.floatToBf16(x[i]);
        d.memcpyHtoD(ptr, bits, "a check input");
        return ptr;
    }

    private Driver.Function function(KernelSource k) {
        return functions.computeIfAbsent(k.code(), c -> {
            byte[] image = nvrtc.compile(k.entry(), k.code(), Nvrtc.defaultOptions(arch)).image();
            return d.moduleGetFunction(d.moduleLoadData(image, k.entry()), k.entry());
        });
    }

    private float gaussian() {
        double u = 1 - random.nextDouble();
        return (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
    }

    private static int width(Graph g, int v) { return Math.toIntExact(g.value(v).type().channels()); }
}
