package hyenac.conformance;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.HyenaCore;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.backends.cuda.exec.CudaExecutor;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.compiler.Compilation;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseGemv;
import hyenac.ir.fusion.FuseHyenaCore;
import hyenac.ir.fusion.FuseHyenaStep;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The fused group kernels on the GPU: every distinct fused group of the samples (the groups of a parallel pass, a
 * prefill and a decode step, but a decode step's GEMVs and Hyena steps, which {@link GpuCheck}'s decode runs) run
 * alone, as the plan that computes its written values from its inputs, on random inputs; in fp32 bit for bit against
 * the plan of its nodes unfused (a Hyena core computing its featurizer within 2^-20 of the scale: on an H100 nvcc
 * contracted its sum into FMAs otherwise than the featurizer's own kernel, 1 ulp apart), in fp32 and bf16 against the CPU executor running its nodes (in bf16 rounding where the
 * group's kernels round inside it). One line per group; returns the failures.
 */
final class FusedKernelCheck {
    static final int B = 2, L = 100;

    private final SplittableRandom random = new SplittableRandom(5);

    private FusedKernelCheck() {}

    static int run(Path samples, List<String> specs) {
        try {
            FusedKernelCheck check = new FusedKernelCheck();
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
            WeightStore w = p == Precision.BF16 ? weights.roundedToBf16() : weights;
            KernelPipeline fused = new KernelPipeline(g, CudaTarget.lowering(p), true), unfused = new KernelPipeline(g, CudaTarget.lowering(p), false);
            try (CudaExecutor gpuFused = new CudaExecutor(fused, w); CudaExecutor gpuUnfused = new CudaExecutor(unfused, w)) {
                Set<List<Integer>> seen = new HashSet<>();
                for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                    for (Group group : FuseKernels.standard().run(g, g.nodes(), List.of(), mode)) {
                        boolean tokens = group.inputs().stream().anyMatch(v -> g.value(v).type().dtype() == DType.I64);
                        // a decode step's own kinds form only in a step, which a pass cannot run alone: GpuCheck's decode checks them
                        boolean stepOnly = group.kind().equals(FuseGemv.KIND) || group.kind().equals(FuseHyenaStep.KIND);
                        if (!group.fused() || tokens || stepOnly || !seen.add(group.nodes().stream().map(n -> n.id()).toList())) continue;
                        failures += group(g, group, w, p, gpuFused, p == Precision.FP32 ? gpuUnfused : null);
                    }
                }
            }
        }
        return failures;
    }

    private int group(Graph g, Group group, WeightStore weights, Precision p, CudaExecutor fused, CudaExecutor unfused) {
        Map<Integer, float[]> given = new LinkedHashMap<>();
        for (int v : group.inputs()) {
            float[] x = new float[B * L * width(g, v)];
            for (int i = 0; i < x.length; i++) x[i] = p == Precision.BF16 ? Floats.bf16ToFloat(Floats.floatToBf16(gaussian())) : gaussian();
            given.put(v, x);
        }
        Plan plan = fused.planner().plan(Phase.PARALLEL, given.keySet(), group.materialised());
        CpuExecutor cpu = new CpuExecutor(g, weights);
        if (p == Precision.BF16) cpu.storingBf16(roundedInside(group, plan));
        Map<Integer, float[]> want = cpu.run(B, L, null, given, group.materialised());
        Map<Integer, float[]> got = fused.run(B, L, null, given, group.materialised());
        Map<Integer, float[]> plain = unfused == null ? null : unfused.run(B, L, null, given, group.materialised());
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
            if (plain == null) continue;
            float[] u = plain.get(v);
            // a featurizer summed inside the core may be contracted into FMAs by nvcc otherwise than in its own kernel (the
            // emulator never contracts): there, 2^-20 of the tensor's scale, far below any wrong element; elsewhere the bits
            double slack = 0;
            if (HyenaCore.featurizer(group) != null) {
                for (float x : u) slack = Math.max(slack, Math.abs(x));
                slack *= 0x1p-20;
            }
            for (int i = 0; i < u.length; i++) {
                boolean same = slack == 0 ? Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(u[i]) : Math.abs((double) a[i] - u[i]) <= slack;
                if (!same) {
                    problems.add("%" + v + "[" + i + "] = " + a[i] + ", the unfused kernels " + u[i]);
                    break;
                }
            }
        }
        String kernels = String.join(" ", plan.kernels().stream().map(Kernel::entry).toList());
        System.out.println((problems.isEmpty() ? "PASS " : "FAIL ") + group.kind() + " " + kernels + " (" + group.nodes().size() + " nodes at "
                + group.nodes().getFirst().path() + ", " + p.suffix() + ") on " + fused.device().name()
                + (p == Precision.FP32 ? HyenaCore.featurizer(group) != null ? ": the CPU's values, the unfused kernels' within 2^-20 of their scale"
                        : ": the CPU's values, the unfused kernels' bits" : ": the CPU's values")
                + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        return problems.isEmpty() ? 0 : 1;
    }

    /**
     * Where a group's kernels round to bf16 besides what they write: z of a Hyena core computing its featurizer (as the
     * unfused plan stores it), and s = k * v of a blocked core (the tensor cores take it in bf16).
     */
    private static Set<Integer> roundedInside(Group group, Plan plan) {
        Set<Integer> out = new HashSet<>();
        Node featurizer = HyenaCore.featurizer(group);
        if (featurizer != null) out.add(featurizer.results().getFirst());
        if (group.kind().equals(FuseHyenaCore.KIND) && plan.steps().stream().anyMatch(s -> s.site().algorithm() == Algorithm.BLOCKED)) {
            out.addAll(HyenaCore.conv(group).operands());
        }
        return out;
    }

    private float gaussian() {
        double u = 1 - random.nextDouble();
        return (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble()));
    }

    private static int width(Graph g, int v) { return Math.toIntExact(g.value(v).type().channels()); }
}
