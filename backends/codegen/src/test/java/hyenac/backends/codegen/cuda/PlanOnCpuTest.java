package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.lower.CodegenLowering;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Step;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole kernel plans of the samples run on the CPU through the emulator ({@link PlanOnCpu}): memory plan, argument
 * binding, {@code once} steps, copies and the decode states together, against the CPU executor. A parallel plan runs
 * twice on one prepared pool with different tokens (as a replayed CUDA graph does), then a prefill and two decode
 * steps; the samples as the cost model plans them, and with the fused FFT or the modal scan forced, at edge shapes too.
 * Small shapes: the emulator is slow.
 */
class PlanOnCpuTest {
    private static final int B = 2, L = 16, STEPS = 2;

    private static KernelPipeline pipeline(Graph g, Precision p) { return pipeline(g, p, null); }

    private static KernelPipeline pipeline(Graph g, Precision p, Algorithm preferred) {
        return new KernelPipeline(g, new CodegenLowering("cuda", new CudaKernels(), p, CodegenLowering.Hardware.H100), true, preferred);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sh2-tiny.hyena", "transformer-tiny.hyena"})
    void wholePlansMatchTheCpuExecutor(String sample) throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        List<String> failures = new ArrayList<>();
        for (Precision p : Precision.values()) {
            run(cxx.get(), Samples.graph(sample), sample.replace(".hyena", ""), p, null, new int[] {L}, failures);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The fused FFT forced wherever it is offered (-Dhyenac.algorithm=fused_fft: the cost model keeps library FFTs and
     * direct windows at these widths): sh2-tiny, whose LI and MR cores then run as fused_fft_core with their spectra
     * prepared once, and whose prefill runs the plain kernel before the states' scans.
     */
    @Test
    void sh2TinyWithTheFusedFftMatchesTheCpuExecutor() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<String> failures = new ArrayList<>();
        for (Precision p : Precision.values()) {
            Plan parallel = pipeline(g, p, Algorithm.FUSED_FFT).plan(Phase.PARALLEL);
            assertTrue(parallel.steps().stream().filter(st -> st.site().algorithm() == Algorithm.FUSED_FFT).count() >= 8, "MR and LI, twice each");
            run(cxx.get(), g, "sh2-tiny-fused-fft", p, Algorithm.FUSED_FFT, new int[] {L}, failures);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The fused FFT's edge shapes through whole plans: one step, a few, and a length past the 512-step chunk that is not a
     * multiple of it (the modes' states and the overlap-save history carry the first chunk into the second); 20 channels,
     * so a block's eight channels are partly empty, and an explicit filter of 40 taps in 5 groups of 4 channels, so a
     * block's channels span groups; LI's modes and MR's taps both by the fused FFT, plain (prefill) and as the core.
     */
    @Test
    void theFusedFftAtEdgeShapesMatchesTheCpuExecutor(@TempDir Path dir) throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        Path spec = dir.resolve("fft-edges.hyena");
        Files.writeString(spec, """
                import "std"
                model fft_edges {
                  vocab = 64
                  width = 20
                  context = 4096
                  dtype = fp32
                  op li = hyena_li(modes = 5)
                  op mr = hyena_mr(len = 40, groups = 5)
                  op mlp = gated_mlp(hidden = 16, act = identity)
                  layers = [li, mr]
                }
                """);
        Graph g = Samples.graph(spec);
        for (Phase phase : List.of(Phase.PARALLEL, Phase.PREFILL)) {
            Plan plan = pipeline(g, Precision.FP32, Algorithm.FUSED_FFT).plan(phase);
            String kernel = phase == Phase.PARALLEL ? "fused_fft_core" : "fused_fft_conv";
            assertTrue(plan.kernels().stream().filter(k -> k.name().equals(kernel)).count() == 2, phase + ": LI's and MR's " + kernel);
        }
        List<String> failures = new ArrayList<>();
        for (Precision p : Precision.values()) run(cxx.get(), g, "fft-edges", p, Algorithm.FUSED_FFT, new int[] {1, 7, 600}, failures);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The modal scan forced (-Dhyenac.algorithm=scan: at these widths the cost model keeps library FFTs): sh2-tiny, whose LI
     * cores then run as the scan's three kernels around their scratch of states, computing their featurizer from the
     * projection's output, and whose prefill runs the plain scan before the decode states' own scan.
     */
    @Test
    void sh2TinyWithTheScanMatchesTheCpuExecutor() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<String> failures = new ArrayList<>();
        for (Precision p : Precision.values()) {
            Plan parallel = pipeline(g, p, Algorithm.SCAN).plan(Phase.PARALLEL);
            assertTrue(parallel.steps().stream().filter(st -> st.site().algorithm() == Algorithm.SCAN).count() == 6, "LI twice, three kernels each");
            run(cxx.get(), g, "sh2-tiny-scan", p, Algorithm.SCAN, new int[] {L}, failures);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The scan's edge shapes through whole plans (its chunks are 128 steps): one step, a chunk but one, a chunk, a chunk and
     * one, and several chunks with a partial last one; 20 channels, so a block's 128 threads are mostly idle, and 5 modes;
     * plain (prefill) and as the core.
     */
    @Test
    void theScanAtEdgeShapesMatchesTheCpuExecutor(@TempDir Path dir) throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        Path spec = dir.resolve("scan-edges.hyena");
        Files.writeString(spec, """
                import "std"
                model scan_edges {
                  vocab = 64
                  width = 20
                  context = 4096
                  dtype = fp32
                  op li = hyena_li(modes = 5)
                  op mlp = gated_mlp(hidden = 16, act = identity)
                  layers = [li, li]
                }
                """);
        Graph g = Samples.graph(spec);
        for (Phase phase : List.of(Phase.PARALLEL, Phase.PREFILL)) {
            Plan plan = pipeline(g, Precision.FP32, Algorithm.SCAN).plan(phase);
            String kernel = phase == Phase.PARALLEL ? "scan_core" : "scan_conv";
            assertTrue(plan.kernels().stream().filter(k -> k.name().equals(kernel)).count() == 1, phase + ": both layers' " + kernel + ", one kernel");
            assertTrue(plan.steps().stream().filter(st -> st instanceof Step.Launch l && plan.kernel(l.kernel()).name().equals(kernel)).count() == 2, phase
                    + ": launched in both layers");
        }
        List<String> failures = new ArrayList<>();
        for (Precision p : Precision.values()) run(cxx.get(), g, "scan-edges", p, Algorithm.SCAN, new int[] {1, 127, 128, 129, 300}, failures);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The plans of {@code g} in {@code p} ({@code preferred} chosen wherever offered, null: the cost model's choice) on the
     * emulator against the CPU executor, at each length: the parallel plan twice on one pool with different tokens, a
     * prefill, and {@link #STEPS} decode steps.
     */
    private static void run(Path cxx, Graph g, String name, Precision p, Algorithm preferred, int[] lengths, List<String> failures) throws Exception {
        WeightStore weights = WeightStore.random(g, 5);
        int logits = g.outputs().getFirst();
        int vocab = Math.toIntExact(g.value(logits).type().channels());
        Random random = new Random(42);
        KernelPipeline pipe = pipeline(g, p, preferred);
        Plan parallel = pipe.plan(Phase.PARALLEL), prefill = pipe.plan(Phase.PREFILL), step = pipe.plan(Phase.STEP);
        boolean bf16 = p == Precision.BF16;
        WeightStore w = bf16 ? weights.roundedToBf16() : weights;
        double bound = bf16 ? 5e-2 : 1e-4;

        record Case(int length, long[][] prompts, long[][] next, List<PlanOnCpu.Run> passes, PlanOnCpu.Run prompt, List<PlanOnCpu.Run> steps) {}
        PlanOnCpu emu = new PlanOnCpu(Path.of("target", "emulated-plans", name + "-" + p.suffix()), w);
        List<Case> cases = new ArrayList<>();
        for (int length : lengths) {
            long[][] prompts = {tokens(random, B * length, vocab), tokens(random, B * length, vocab)};
            long[][] next = new long[STEPS][];
            for (int s = 0; s < STEPS; s++) next[s] = tokens(random, B, vocab);
            long capacity = length + 4;
            PlanOnCpu.Prepared pass = emu.prepare(parallel, new Shape(B, length, 0));
            List<PlanOnCpu.Run> passes = List.of(pass.run(prompts[0], null), pass.run(prompts[1], null));
            Shape prompt = new Shape(B, length, capacity);
            emu.zeroStates(prefill, prompt);
            PlanOnCpu.Run promptRun = emu.prepare(prefill, prompt).run(prompts[0], null);
            PlanOnCpu.Prepared stepping = emu.prepare(step, new Shape(B, 1, capacity));
            List<PlanOnCpu.Run> steps = new ArrayList<>();
            for (int s = 0; s < STEPS; s++) steps.add(stepping.run(next[s], new long[] {length + s, s}));
            cases.add(new Case(length, prompts, next, passes, promptRun, steps));
        }
        long t0 = System.nanoTime();
        emu.execute(cxx);
        System.out.printf("%s %s: emulated %d+%d+%d steps at L = %s in %.1f s%n", name, p.suffix(), parallel.steps().size(), prefill.steps().size(),
                step.steps().size(), java.util.Arrays.toString(lengths), (System.nanoTime() - t0) / 1e9);

        for (Case c : cases) {
            String what = name + " " + p.suffix() + " L=" + c.length();
            for (int i = 0; i < c.passes().size(); i++) {
                CpuExecutor cpu = reference(g, w, bf16, parallel);
                float[] want = cpu.run(B, c.length(), c.prompts()[i], Map.of(), List.of(logits)).get(logits);
                check(failures, what + " parallel run " + (i + 1), want, c.passes().get(i).read(logits), bound);
            }
            CpuExecutor cpu = reference(g, w, bf16, prefill);
            float[] all = cpu.prefill(c.prompts()[0], B, c.length(), List.of()).get(logits);
            check(failures, what + " prefill", all, c.prompt().read(logits), bound);
            if (bf16) cpu.storingBf16(bf16Values(step));
            for (int s = 0; s < STEPS; s++) check(failures, what + " step " + (s + 1), cpu.step(c.next()[s]), c.steps().get(s).read(logits), bound);
        }
    }

    /** The control: a memory plan that puts a GEMM's output over its own input must not pass. */
    @Test
    void aMemoryPlanThatOverlapsLiveBuffersIsCaught() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        Graph g = Samples.graph("transformer-tiny.hyena");
        WeightStore weights = WeightStore.random(g, 5);
        int logits = g.outputs().getFirst();
        long[] prompt = tokens(new Random(42), B * L, Math.toIntExact(g.value(logits).type().channels()));
        Plan plan = pipeline(g, Precision.FP32).plan(Phase.PARALLEL);
        Shape shape = new Shape(B, L, 0);
        long[] at = plan.offsets(shape);
        Step.Gemm gemm = plan.steps().stream().filter(s -> s instanceof Step.Gemm m && plan.buffer(m.x()).slot() >= 0 && plan.buffer(m.y()).slot() >= 0
                && plan.buffer(m.x()).slot() != plan.buffer(m.y()).slot()).map(s -> (Step.Gemm) s).findFirst().orElseThrow();
        Buffer x = plan.buffer(gemm.x()), y = plan.buffer(gemm.y());
        List<Buffer> moved = new ArrayList<>(plan.buffers());
        if (at[x.slot() + 1] - at[x.slot()] >= y.bytes().eval(shape)) moved.set(y.id(), y.inSlot(x.slot()));
        else moved.set(x.id(), x.inSlot(y.slot()));
        Plan broken = plan.withMemory(moved, plan.slots());

        PlanOnCpu emu = new PlanOnCpu(Path.of("target", "emulated-plans", "broken"), weights);
        PlanOnCpu.Run run = emu.prepare(broken, shape).run(prompt, null);
        emu.execute(cxx.get());
        float[] want = new CpuExecutor(g, weights).run(B, L, prompt, Map.of(), List.of(logits)).get(logits);
        List<String> failures = new ArrayList<>();
        check(failures, "transformer-tiny fp32 with " + y.name() + " over " + x.name() + " (" + gemm.site() + ")", want, run.read(logits), 1e-4);
        assertFalse(failures.isEmpty(), "the emulator ran a plan whose GEMM writes over its own input and saw nothing wrong");
    }

    private static CpuExecutor reference(Graph g, WeightStore w, boolean bf16, Plan plan) {
        CpuExecutor cpu = new CpuExecutor(g, w);
        if (!bf16) return cpu;
        Set<Integer> rounded = bf16Values(plan);
        // a prompt's Hyena core computing its featurizer (or running it apart into scratch) rounds z where the unfused plan
        // stores it; a decode step's fused mixer keeps z in registers
        if (plan.phase() != Phase.STEP) rounded.addAll(featurized(g));
        return cpu.storingBf16(rounded);
    }

    /** The values a plan keeps in bf16 memory: where the CPU executor rounds to match it. */
    private static Set<Integer> bf16Values(Plan plan) {
        Set<Integer> out = new HashSet<>();
        for (Buffer b : plan.buffers()) if (b.kind() == Buffer.Kind.VALUE && b.element() == DType.BF16) out.add(b.valueId());
        return out;
    }

    /** z of every Hyena mixer: the featurizer's output, which the split reads. */
    private static Set<Integer> featurized(Graph g) {
        Set<Integer> out = new HashSet<>();
        for (Node n : g.nodes()) {
            if (!n.is(Primitive.DEINTERLEAVE)) continue;
            Node producer = g.nodes().stream().filter(m -> m.results().contains(n.operands().getFirst())).findFirst().orElse(null);
            if (producer != null && producer.is(Primitive.CAUSAL_CONV)) out.add(producer.results().getFirst());
        }
        return out;
    }

    private static long[] tokens(Random r, int n, int vocab) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** Max |got − want| against bound·max|want|; prints the measured error either way. */
    private static double check(List<String> failures, String what, float[] want, float[] got, double bound) {
        if (want.length != got.length) {
            failures.add(what + ": " + got.length + " numbers, want " + want.length);
            return Double.POSITIVE_INFINITY;
        }
        double scale = 0, err = 0;
        int worst = -1;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            double e = Math.abs((double) got[i] - want[i]);
            if (!(e <= err)) {
                err = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e;
                worst = i;
            }
        }
        String line = String.format("%s: max error %.3g = %.3g of max|ref| %.3g (at %d: got %s, want %s)", what, err, err / scale, scale, worst,
                worst < 0 ? "-" : got[worst], worst < 0 ? "-" : want[worst]);
        System.out.println(line);
        if (!(err <= bound * scale)) failures.add(line);
        return err / scale;
    }
}
