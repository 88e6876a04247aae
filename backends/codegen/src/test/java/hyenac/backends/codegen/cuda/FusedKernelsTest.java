package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.Synthetic;
import hyenac.backends.codegen.kernels.Binding;
import hyenac.backends.codegen.kernels.FusedKernel;
import hyenac.backends.codegen.kernels.HyenaCore;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseElementwise;
import hyenac.ir.fusion.FuseGemv;
import hyenac.ir.fusion.FuseHyenaCore;
import hyenac.ir.fusion.FuseHyenaStep;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.FuseNormResidual;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every distinct fused group kernel of sh2-tiny, custom-ops and {@link Synthetic} (the groups of a parallel pass, a
 * prefill and a decode step, but a decode step's GEMVs and Hyena steps; a Hyena core by each algorithm its convolution
 * has, its preparations first, computing its featurizer where that algorithm's kernel does, else the kernel of the rest
 * of the group, which the featurizer's own kernel feeds; and the elementwise and norm kernels of Synthetic at 50
 * channels, their scalar forms), run on the CPU through {@link CudaOnCpu} on random inputs, against the CPU backend
 * running the group's nodes, in fp32 and bf16; and, where its convolution is direct, in fp32 against the unfused kernels
 * of the same nodes, bit for bit (the fused kernels do the same fp32 ops in the same order; {@link FeaturizedCoreTest}
 * checks bf16's bits, with z rounded where the unfused plan stores it). A modal core through library FFTs or by the scan
 * is no one kernel: {@link PlanOnCpuTest} runs it (and {@link ModalScanTest} the scan's).
 */
class FusedKernelsTest {
    static final int B = 2, L = 70;

    /** A buffer to check: against the oracle's values, or (when {@code reference} is set) bit for bit against that scenario's buffer. */
    private record Check(CudaOnCpu.Scenario scenario, String buffer, float[] want, CudaOnCpu.Scenario reference, String what) {}

    private final List<Check> checks = new ArrayList<>();
    private final Random random = new Random(20261127);
    private final CudaKernels kernels = new CudaKernels();

    @Test
    void fusedKernelsMatchTheCpuBackendAndTheUnfusedKernels() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-fused"));
        Set<String> kinds = new HashSet<>();
        Graph narrow = Synthetic.graph(50);
        for (Graph g : List.of(Samples.graph("sh2-tiny.hyena"), Samples.graph("custom-ops.hyena"), Synthetic.graph(), narrow)) {
            WeightStore weights = WeightStore.random(g, 11);
            for (Precision p : Precision.values()) {
                Set<String> seen = new HashSet<>();
                for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                    for (Group group : FuseKernels.standard().run(g, g.nodes(), List.of(), mode)) {
                        // a decode step's own kinds run one token through states and GEMVs, not a pass over [B, L]: EmulatedGemvTest,
                        // EmulatedKernelsTest and the whole step plans (PlanOnCpuTest) check them
                        if (!group.fused() || group.kind().equals(FuseGemv.KIND) || group.kind().equals(FuseHyenaStep.KIND)) continue;
                        // at 50 channels, the scalar forms of the kernels that have a vector form
                        if (g == narrow && !(group.kind().equals(FuseElementwise.KIND) || group.kind().equals(FuseNormResidual.KIND))) continue;
                        // each algorithm the group's convolution has (a Hyena core in bf16 also runs blocked on the tensor cores)
                        List<Node> convs = group.kind().equals(FuseHyenaCore.KIND) ? List.of(HyenaCore.conv(group)) : group.nodes();
                        List<Algorithm> algorithms = convs.stream().map(n -> kernels.algorithms(g, n, p)).filter(a -> !a.isEmpty())
                                .findFirst().orElse(java.util.Collections.singletonList(null));
                        for (Algorithm a : algorithms) {
                            // by an algorithm whose kernel reads z, the featurizer runs apart (its own kernel): the kernel is the rest's
                            boolean apart = kernels.featurizerApart(g, group, p, a);
                            Group kernelled = apart ? HyenaCore.withoutFeaturizer(group) : group;
                            if (kernels.throughLibraryFfts(g, kernelled, p, a) || kernels.byScan(g, kernelled, p, a)) continue;
                            FusedKernel k = kernels.fused(g, kernelled, p, a);
                            if (!seen.add(k.source().code())) continue;
                            kinds.add(group.kind() + (a == Algorithm.BLOCKED || a == Algorithm.FUSED_FFT ? " " + a.spelling() : "")
                                    + (HyenaCore.featurizer(kernelled) != null ? " with featurizer" : ""));
                            scenario(emu, g, kernelled, k, p == Precision.BF16 ? weights.roundedToBf16() : weights, p, a);
                        }
                    }
                }
            }
        }
        assertTrue(kinds.containsAll(Set.of("hyena_core with featurizer", "hyena_core blocked with featurizer", "hyena_core fused_fft", "norm_residual",
                "elementwise")), kinds.toString());
        emu.run(cxx.get());

        List<String> failures = new ArrayList<>();
        for (Check c : checks) {
            float[] got = c.scenario().read(c.buffer());
            boolean bf16 = c.what().contains("bf16");
            String problem = c.reference() != null ? identical(c.reference().read(c.buffer()), got)
                    : EmulatedKernelsTest.compare(c.want(), got, bf16 ? 2e-2 : 2e-4, bf16 ? 2e-2 : 2e-4);
            if (problem != null) failures.add(c.what() + " (" + c.buffer() + "): " + problem);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + checks.size() + " checks failed:\n" + String.join("\n", failures));
        System.out.println("fused kernels: " + checks.size() + " checks against the CPU backend and the unfused kernels passed");
    }

    /** The group's kernel on random inputs; expected: the CPU backend running its nodes, and (fp32) the unfused kernels. */
    private void scenario(CudaOnCpu emu, Graph g, Group group, FusedKernel k, WeightStore weights, Precision p, Algorithm algorithm) {
        boolean direct = algorithm == null || algorithm == Algorithm.DIRECT;
        String name = "s" + checks.size() + "_" + group.kind() + "_" + p.suffix();
        String what = k.source().entry() + " at " + group.nodes().getFirst().path() + " " + p.suffix();
        Map<Integer, float[]> given = new LinkedHashMap<>();
        for (int v : group.inputs()) given.put(v, stored(p, normal(B * L * width(g, v))));

        var fused = emu.scenario(name);
        Map<String, String> weightBuffers = new HashMap<>();
        given.forEach((v, data) -> fused.buffer("v" + v, p.storage(), data));
        for (int v : group.materialised()) fused.zeros("v" + v, p.storage(), B * L * width(g, v));
        for (FusedKernel prep : k.prepare()) fused.launch(prep.source(), B, L, arguments(prep, fused, weights, weightBuffers));
        fused.launch(k.source(), B, L, arguments(k, fused, weights, weightBuffers));
        CpuExecutor cpu = new CpuExecutor(g, weights);
        // the CPU rounds to bf16 where the kernel does beyond its own output: z of a core computing its featurizer (where the
        // unfused plan stores it), and s = k * v of a blocked core (which the tensor cores take in bf16)
        Set<Integer> rounded = new HashSet<>();
        Node featurizer = HyenaCore.featurizer(group);
        if (featurizer != null) rounded.add(featurizer.results().getFirst());
        if (algorithm == Algorithm.BLOCKED) rounded.addAll(HyenaCore.conv(group).operands());
        if (p == Precision.BF16 && !rounded.isEmpty()) cpu.storingBf16(rounded);
        Map<Integer, float[]> want = cpu.run(B, L, null, given, group.materialised());
        for (int v : group.materialised()) checks.add(new Check(fused, "v" + v, want.get(v), null, what + " vs the CPU backend"));
        if (p == Precision.BF16 || !direct) return;

        var unfused = emu.scenario(name + "_unfused");
        Map<String, String> unfusedWeights = new HashMap<>();
        given.forEach((v, data) -> unfused.buffer("v" + v, p.storage(), data));
        for (Node n : group.nodes()) for (int r : n.results()) unfused.zeros("v" + r, p.storage(), B * L * width(g, r));
        for (Node n : group.nodes()) {
            for (KernelSource nk : kernels.forNode(g, n, p)) unfused.launch(nk, B, L, nodeArguments(n, nk, unfused, weights, unfusedWeights));
        }
        for (int v : group.materialised()) checks.add(new Check(fused, "v" + v, null, unfused, what + " vs the unfused kernels"));
    }

    private Map<String, Object> arguments(FusedKernel k, CudaOnCpu.Scenario s, WeightStore weights, Map<String, String> buffers) {
        Map<String, Object> args = new HashMap<>(Map.of("rows", (long) B * L, "length", (long) L));
        for (KernelParam param : k.source().params()) {
            Binding b = k.bindings().get(param.name());
            if (b == null) continue;
            args.put(param.name(), switch (b) {
                case Binding.Value v -> "v" + v.id();
                case Binding.Weight w -> weightBuffer(s, param, w.name(), weights, buffers);
                case Binding.Real r -> r.value();
                case Binding.State st -> throw new IllegalStateException(k.source().entry() + " steps state " + st.name() + ": not a kernel of a pass");
                // prepared data and constants by name, like weights: a preparation writes the buffer its kernel reads
                case Binding.Prepared d -> buffers.computeIfAbsent("p " + d.name(), n -> {
                    String buffer = "w" + buffers.size();
                    s.zeros(buffer, ((CType.Pointer) param.type()).element(), Math.toIntExact(d.elements()));
                    return buffer;
                });
                case Binding.Constant c -> buffers.computeIfAbsent("c " + c.name(), n -> {
                    String buffer = "w" + buffers.size();
                    s.buffer(buffer, ((CType.Pointer) param.type()).element(), c.values());
                    return buffer;
                });
            });
        }
        return args;
    }

    /** A per-node kernel's arguments, as the CUDA executor binds them (NodePlan), for the ops a fused group holds. */
    private Map<String, Object> nodeArguments(Node n, KernelSource k, CudaOnCpu.Scenario s, WeightStore weights, Map<String, String> weightBuffers) {
        Map<String, Object> args = new HashMap<>(Map.of("rows", (long) B * L, "length", (long) L));
        for (KernelParam param : k.params()) {
            String p = param.name();
            Object a = switch (p) {
                case "a", "x" -> "v" + n.operands().getFirst();
                case "b" -> "v" + n.operands().get(1);
                case "y" -> "v" + n.results().getFirst();
                case "y0", "y1", "y2" -> "v" + n.results().get(p.charAt(1) - '0');
                case "by" -> n.floatAttr("by");
                case "h" -> weightBuffer(s, param, n.weights().get("weight"), weights, weightBuffers);
                case "skip", "scale" -> weightBuffer(s, param, n.weights().get(p), weights, weightBuffers);
                default -> null;
            };
            if (a != null) args.put(p, a);
        }
        return args;
    }

    private static String weightBuffer(CudaOnCpu.Scenario s, KernelParam param, String weight, WeightStore weights, Map<String, String> buffers) {
        return buffers.computeIfAbsent(weight, w -> {
            String buffer = "w" + buffers.size();
            s.buffer(buffer, ((CType.Pointer) param.type()).element(), weights.get(w));
            return buffer;
        });
    }

    private static int width(Graph g, int v) { return Math.toIntExact(g.value(v).type().channels()); }

    private float[] normal(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) random.nextGaussian();
        return x;
    }

    private static float[] stored(Precision p, float[] x) {
        if (p == Precision.FP32) return x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = CudaOnCpu.bf16(x[i]);
        return y;
    }

    private static String identical(float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) return "at " + i + " got " + got[i] + ", the unfused kernels " + want[i];
        }
        return want.length == got.length ? null : "length " + got.length + ", expected " + want.length;
    }

}
