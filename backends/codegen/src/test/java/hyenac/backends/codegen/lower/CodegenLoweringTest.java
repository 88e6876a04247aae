package hyenac.backends.codegen.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.codegen.kernels.Decode;
import hyenac.backends.codegen.kernels.HyenaCore;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.PlanPrinter;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Size;
import hyenac.ir.plan.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The CUDA lowering's binding of every op of the sample models, as plans, without a device: what the old per-node
 * NodePlan promised (every parameter bound with the right kind, GEMMs over all rows, modal convolutions through
 * FFTs with the filter's spectrum prepared once, attention through rotated scratch, decode and prefill kernels on
 * their own states and the decode clock), now checked on the plans the kernel pipeline makes with fusion off.
 */
class CodegenLoweringTest {
    static final List<String> SAMPLES = List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena");
    /** A pass's shape where the old test evaluated sizes, and a decode step's with a cache of 64 rows. */
    static final Shape PASS = new Shape(2, 100, 164), STEP = new Shape(2, 1, 64);

    static CodegenLowering lowering(Precision p) { return lowering(new CudaKernels(), p); }

    static CodegenLowering lowering(Kernels k, Precision p) { return new CodegenLowering("cuda", k, p, CodegenLowering.Hardware.H100); }

    static KernelPipeline unfused(Graph g, Precision p) { return new KernelPipeline(g, lowering(p), false); }

    /** The plan of one node alone: its operands given (the tokens excepted), its results wanted. */
    static Plan plan(KernelPipeline pipeline, Node n, Phase phase) {
        Set<Integer> given = new HashSet<>();
        for (int v : n.operands()) if (pipeline.graph().producer(v) != null) given.add(v);
        return pipeline.plan(phase, given, n.results());
    }

    static Plan plan(Graph g, Node n, Phase phase) { return plan(unfused(g, Precision.FP32), n, phase); }

    static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    static Node first(Graph g, String op) { return g.nodes().stream().filter(n -> n.op().equals(op)).findFirst().orElseThrow(); }

    static List<Step.Launch> launches(Plan p) {
        return p.steps().stream().filter(s -> s instanceof Step.Launch).map(s -> (Step.Launch) s).toList();
    }

    static int index(Plan p, Step.Launch l, String param) {
        List<Kernel.Param> params = p.kernel(l.kernel()).params();
        for (int i = 0; i < params.size(); i++) if (params.get(i).name().equals(param)) return i;
        throw new AssertionError(l.kernel() + " has no parameter " + param);
    }

    static Arg arg(Plan p, Step.Launch l, String param) { return l.args().get(index(p, l, param)); }

    static Buffer buffer(Plan p, Step.Launch l, String param) {
        return p.buffer(assertInstanceOf(Arg.Buf.class, arg(p, l, param), l.kernel() + " " + param).buffer());
    }

    static Arg.Buf value(Plan p, int id) {
        Buffer b = p.value(id);
        assertNotNull(b, "%" + id + " has a buffer");
        return new Arg.Buf(b.id());
    }

    static String kind(Plan p, Step s) { return s instanceof Step.Launch l ? p.kernel(l.kernel()).name() : s instanceof Step.Fft ? "fft" : s.getClass().getSimpleName(); }

    // ---- attention's kernel ----

    @Test
    void attentionRunsOnWgmmaWhereTheDeviceHasItUnlessTurnedOff() {
        Graph evo = Samples.graph("evo2-7b.hyena");
        Node attention = evo.nodes().stream().filter(n -> n.is(Primitive.CAUSAL_ATTENTION)).findFirst().orElseThrow();
        CodegenLowering h100 = lowering(Precision.BF16);
        CodegenLowering ampere = new CodegenLowering("cuda", new CudaKernels(), Precision.BF16,
                CodegenLowering.Hardware.scaled("NVIDIA A100-SXM4-80GB", 108, 1.41e9, 2.04e12, false));
        assertEquals(List.of(Algorithm.FLASH, Algorithm.FLASH_WGMMA), h100.algorithms(evo, attention, Phase.PARALLEL));
        assertEquals(List.of(Algorithm.FLASH), ampere.algorithms(evo, attention, Phase.PARALLEL), "no wgmma before compute capability 9.0");
        assertEquals(List.of(), h100.algorithms(evo, attention, Phase.STEP), "a decode step attends with its own kernel");
        assertEquals(List.of(), lowering(Precision.FP32).algorithms(evo, attention, Phase.PARALLEL), "fp32 keeps the plain kernel");
        Shape at = new Shape(1, 8192, 8192);
        assertTrue(h100.cost(evo, attention, Algorithm.FLASH_WGMMA, at) < h100.cost(evo, attention, Algorithm.FLASH, at));
        // the plan launches the chosen algorithm's kernel
        assertEquals("hopper_attention_h32_d128_bf16", attentionKernel(new KernelPipeline(evo, h100, false), attention));
        assertEquals("flash_attention_h32_d128_bf16", attentionKernel(new KernelPipeline(evo, ampere, false), attention));
        String before = System.getProperty("hyenac.attention.wgmma");
        System.setProperty("hyenac.attention.wgmma", "false");
        try {
            assertEquals(List.of(Algorithm.FLASH), h100.algorithms(evo, attention, Phase.PARALLEL));
        } finally {
            if (before == null) System.clearProperty("hyenac.attention.wgmma");
            else System.setProperty("hyenac.attention.wgmma", before);
        }
    }

    /** The entry of the last kernel {@code attention}'s plan launches (after the rotations). */
    private static String attentionKernel(KernelPipeline pipeline, Node attention) {
        Plan p = plan(pipeline, attention, Phase.PARALLEL);
        List<Step.Launch> ls = launches(p);
        return p.kernel(ls.getLast().kernel()).entry();
    }

    // ---- every node, every parameter ----

    @Test
    void everyNodeOfTheSamplesBindsEveryParameterWithTheRightKind() {
        Set<String> ops = new HashSet<>();
        for (String sample : SAMPLES) {
            Graph g = Samples.graph(sample);
            KernelPipeline pipeline = unfused(g, Precision.FP32);
            for (Node n : g.nodes()) {
                ops.add(n.op());
                for (Phase phase : Phase.values()) {
                    Plan p = plan(pipeline, n, phase);
                    String at = sample + " " + phase.spelling() + " " + n.op() + " " + n.path();
                    assertFalse(p.steps().isEmpty(), at);
                    for (Step s : p.steps()) assertEquals(List.of(n.id()), s.site().nodes(), at + ": a step of this node");
                    for (Step.Launch l : launches(p)) {
                        Kernel k = p.kernel(l.kernel());
                        assertEquals(k.params().size(), l.args().size(), at + " " + k.entry());
                        for (int i = 0; i < l.args().size(); i++) {
                            Kernel.Param param = k.params().get(i);
                            Arg a = l.args().get(i);
                            String where = at + " " + k.entry() + " " + param.name();
                            assertEquals(param.pointer(), a instanceof Arg.Buf, where);
                            boolean real = param.type() == Kernel.Param.Type.FLOAT || param.type() == Kernel.Param.Type.DOUBLE;
                            if (!param.pointer()) assertEquals(real, a instanceof Arg.Real, where + " is " + param.type() + ", bound to " + a);
                            if (!(a instanceof Arg.Buf ab)) continue;
                            Buffer b = p.buffer(ab.buffer());
                            assertEquals(param.element(), b.element(), where);
                            switch (b.kind()) {
                                case WEIGHT -> assertTrue(n.weights().containsValue(b.name()), where + ": the node's own weight, not " + b.name());
                                case STATE -> assertTrue(b.name().startsWith("n" + n.id() + ".") || b.name().equals(Plan.CLOCK),
                                        where + ": its own state or the clock, not " + b.name());
                                case CONSTANT -> assertTrue(p.constants().containsKey(b.name()), where);
                                case VALUE -> assertTrue(n.operands().contains(b.valueId()) || n.results().contains(b.valueId()), where);
                                default -> {}
                            }
                            // a written pointer is a result, scratch or state, never a weight, a constant, the tokens or an operand
                            if (!param.readOnly()) {
                                boolean ok = switch (b.kind()) {
                                    case VALUE -> n.results().contains(b.valueId());
                                    case SCRATCH, PREPARED -> true;
                                    case STATE -> phase != Phase.PARALLEL;
                                    default -> false;
                                };
                                assertTrue(ok, where + " writes " + b.kind() + " " + b.name());
                            }
                        }
                    }
                    for (int r : n.results()) assertNotNull(p.value(r), at + ": result %" + r + " has a buffer");
                }
            }
        }
        assertTrue(ops.containsAll(Set.of("embedding", "rmsnorm", "linear", "unembed", "causal_conv", "modal_conv", "causal_attention")), ops.toString());
    }

    @Test
    void theTargetOffersEachConvolutionItsAlgorithms() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        CodegenLowering l = lowering(Precision.FP32);
        assertEquals(List.of(Algorithm.DIRECT), l.algorithms(g, first(g, "causal_conv"), Phase.PARALLEL));
        assertEquals(List.of(Algorithm.FFT, Algorithm.FUSED_FFT, Algorithm.SCAN), l.algorithms(g, first(g, "modal_conv"), Phase.PREFILL));
        assertEquals(List.of(Algorithm.DIRECT, Algorithm.FUSED_FFT), l.algorithms(g, filterOf(g, 1), Phase.PARALLEL), "MR's 128 taps fit a chunk");
        assertEquals(List.of(Algorithm.DIRECT), l.algorithms(g, filterOf(g, 0), Phase.PARALLEL), "SE's 7 taps are too few for FFTs");
        assertEquals(List.of(Algorithm.RECURRENT), l.algorithms(g, first(g, "modal_conv"), Phase.STEP));
        assertEquals(List.of(), l.algorithms(g, first(g, "rmsnorm"), Phase.PARALLEL));
        assertEquals(List.of(), l.algorithms(g, first(g, "causal_attention"), Phase.STEP));
        Node modal = first(g, "modal_conv");
        assertTrue(l.cost(g, modal, Algorithm.FFT, new Shape(1, 65536, 0)) > 4 * l.cost(g, modal, Algorithm.FFT, new Shape(1, 8192, 0)),
                "an FFT costs more than linearly in L");
        assertTrue(l.cost(g, modal, Algorithm.FFT, KernelPipeline.REFERENCE) > 0);
    }

    /** The filter (not the featurizer) of layer {@code layer}'s Hyena mixer. */
    static Node filterOf(Graph g, int layer) {
        return g.nodes().stream().filter(n -> n.path().equals("layers." + layer + ".mixer.filter")).findFirst().orElseThrow();
    }

    @Test
    void evo2sExplicitFiltersTakeTheTensorCoresInBf16() {
        Graph evo = Samples.graph("evo2-7b.hyena");
        Node se = filterOf(evo, 0), mr = filterOf(evo, 1);
        Node featurizer = evo.nodes().stream().filter(n -> n.path().equals("layers.1.mixer.featurizer")).findFirst().orElseThrow();
        assertEquals(List.of(7L, 128L), List.of(se.intAttr("len"), mr.intAttr("len")));
        CodegenLowering bf16 = lowering(Precision.BF16), fp32 = lowering(Precision.FP32);
        for (Node filter : List.of(se, mr)) {
            // MR's 128 taps fit the fused FFT's chunks too; SE's 7 are too few for it
            List<Algorithm> fft = filter == mr ? List.of(Algorithm.FUSED_FFT) : List.of();
            assertEquals(concat(List.of(Algorithm.DIRECT, Algorithm.BLOCKED), fft), bf16.algorithms(evo, filter, Phase.PARALLEL), filter.path());
            assertEquals(concat(List.of(Algorithm.DIRECT, Algorithm.BLOCKED), fft), bf16.algorithms(evo, filter, Phase.PREFILL), filter.path());
            assertEquals(List.of(Algorithm.RECURRENT), bf16.algorithms(evo, filter, Phase.STEP), filter.path());
            // fp32 has no blocked: the tensor cores' products round s and h to bf16, far outside fp32's tolerance
            assertEquals(concat(List.of(Algorithm.DIRECT), fft), fp32.algorithms(evo, filter, Phase.PARALLEL), filter.path());
        }
        assertEquals(List.of(Algorithm.DIRECT), bf16.algorithms(evo, featurizer, Phase.PARALLEL), "one channel a group: nothing to share");

        // at the reference shape (B = 1, L = 8192), as an H100 measured them: 128 taps are far cheaper as products
        // (0.108 vs 1.67 ms), and even 7 (0.100 vs 0.131 ms: the blocked kernel reads memory closer to the copy rate)
        Shape at = KernelPipeline.REFERENCE;
        assertTrue(bf16.cost(evo, mr, Algorithm.BLOCKED, at) < bf16.cost(evo, mr, Algorithm.DIRECT, at) / 10);
        assertTrue(bf16.cost(evo, se, Algorithm.BLOCKED, at) < bf16.cost(evo, se, Algorithm.DIRECT, at));
        assertTrue(bf16.cost(evo, mr, Algorithm.BLOCKED, at) < bf16.cost(evo, mr, Algorithm.FUSED_FFT, at), "128 taps: the products beat FFTs");
        assertTrue(fp32.cost(evo, mr, Algorithm.FUSED_FFT, at) < fp32.cost(evo, mr, Algorithm.DIRECT, at), "in fp32 the FFTs beat the direct window");
        assertTrue(fp32.cost(evo, se, Algorithm.DIRECT, at) < 0.2e-3, "7 taps direct run near the memory's rate");
        Plan plan = new KernelPipeline(evo, bf16, true).plan(Phase.PARALLEL);
        Map<String, Algorithm> chosen = new TreeMap<>();
        for (Step st : plan.steps()) if (st.site().algorithm() != null) chosen.put(st.site().path() + " " + kind(plan, st), st.site().algorithm());
        assertEquals(Algorithm.BLOCKED, chosen.get("layers.1.mixer hyena_core"), chosen.toString());
        assertEquals(Algorithm.BLOCKED, chosen.get("layers.0.mixer hyena_core"), chosen.toString());
        assertTrue(plan.kernels().stream().anyMatch(k -> k.entry().startsWith("hyena_core_blocked_c4096_k128_g256_fir_skip")), "the blocked core is launched");
    }

    @Test
    void evo2LiTakesTheScanAndATinyModelKeepsLibraryFfts() {
        Graph evo = Samples.graph("evo2-7b.hyena");
        Node li = filterOf(evo, 2);
        assertEquals("modal_conv", li.op());
        for (Precision p : Precision.values()) {
            CodegenLowering l = lowering(p);
            for (long length : new long[] {8192, 65536}) {
                Shape at = new Shape(1, length, length + 64);
                double fft = l.cost(evo, li, Algorithm.FFT, at), fused = l.cost(evo, li, Algorithm.FUSED_FFT, at), scan = l.cost(evo, li, Algorithm.SCAN, at);
                // the scan streams q, k, v (k and v twice) and a small scratch of states; the FFTs, as measured, far slower
                String costs = p.suffix() + " L = " + length + ": scan " + scan + " s, fused " + fused + " s, library " + fft + " s";
                assertTrue(scan * 4 < fused && fused < fft, costs);
                // the memory floor: q, k, v read and y written once at the H100's peak
                double floor = 4.0 * length * 4096 * (p == Precision.BF16 ? 2 : 4) / CodegenLowering.Hardware.H100.bytesPerSecond();
                assertTrue(scan < 2 * floor, costs + ", floor " + floor + " s");
            }
            Plan plan = new KernelPipeline(evo, l, true).plan(Phase.PARALLEL);
            List<Step> core = plan.steps().stream().filter(st -> st.site().nodes().contains(li.id())).toList();
            assertEquals(List.of("scan_states", "scan_carry", "scan_core"), core.stream().map(st -> kind(plan, st)).toList(), p.suffix());
            core.forEach(st -> assertEquals(Algorithm.SCAN, st.site().algorithm()));
            assertEquals(List.of(false, false, false), core.stream().map(Step::once).toList(), "nothing prepared: the poles are read as they are");
            // one scratch of states, [B, ceil(L / 128), 16, 4096] fp32, written by the first, carried in place by the second, read by the third
            List<Buffer> states = core.stream().map(st -> plan.buffer(((Arg.Buf) arg(plan, (Step.Launch) st, "states")).buffer())).distinct().toList();
            assertEquals(1, states.size(), states.toString());
            Buffer scratch = states.getFirst();
            assertEquals(Buffer.Kind.SCRATCH, scratch.kind());
            assertEquals(DType.FP32, scratch.element());
            assertEquals(2L * 64 * 16 * 4096, scratch.elements().eval(new Shape(2, 8192, 0)));
            assertEquals(2L * 65 * 16 * 4096, scratch.elements().eval(new Shape(2, 8193, 0)), "a partial last chunk has its slot");
            Step.Launch run = (Step.Launch) core.getLast();
            assertTrue(plan.kernel(run.kernel()).entry().startsWith("scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_" + p.suffix()), run.kernel());
            assertEquals(List.of(li.weights().get("log_poles"), li.weights().get("residues"), li.weights().get("skip")),
                    List.of("log_poles", "residues", "skip").stream().map(w -> plan.buffer(((Arg.Buf) arg(plan, run, w)).buffer()).name()).toList());
            // the featurizer inside: the first and third kernels read u, the projection's output, and z is never stored
            Node featurizer = evo.nodes().stream().filter(n -> n.path().equals("layers.2.mixer.featurizer")).findFirst().orElseThrow();
            assertTrue(core.stream().allMatch(st -> st.site().nodes().contains(featurizer.id())), "the scan's site holds the featurizer");
            assertTrue(plan.steps().stream().noneMatch(st -> st.site().nodes().equals(List.of(featurizer.id()))), "no featurizer kernel of its own");
            for (Step st : List.of(core.getFirst(), run)) {
                assertEquals(value(plan, featurizer.operands().getFirst()), arg(plan, (Step.Launch) st, "u"));
                assertEquals(featurizer.weights().get("weight"), plan.buffer(((Arg.Buf) arg(plan, (Step.Launch) st, "feature_h")).buffer()).name());
            }
            assertTrue(plan.buffers().stream().noneMatch(b -> b.name().equals("n" + featurizer.id() + ".z")), "no scratch for z");
        }

        // forced, the fused FFT's spectra are prepared once and its twiddles are a constant
        Plan fusedPlan = new KernelPipeline(evo, lowering(Precision.BF16), true, Algorithm.FUSED_FFT).plan(Phase.PARALLEL);
        List<Step> fusedCore = fusedPlan.steps().stream().filter(st -> st.site().nodes().contains(li.id())).toList();
        assertEquals(List.of("fused_fft_spectrum", "fused_fft_core"), fusedCore.stream().map(st -> kind(fusedPlan, st)).toList());
        assertEquals(List.of(true, false), fusedCore.stream().map(Step::once).toList(), "the spectra once, the core every run");
        Step.Launch spectrum = (Step.Launch) fusedCore.getFirst(), fusedRun = (Step.Launch) fusedCore.getLast();
        Buffer spectra = fusedPlan.buffer(((Arg.Buf) spectrum.args().get(index(fusedPlan, spectrum, "hf"))).buffer());
        assertEquals(Buffer.Kind.PREPARED, spectra.kind(), "written once, read by every run: " + spectra);
        assertEquals(spectra.id(), ((Arg.Buf) fusedRun.args().get(index(fusedPlan, fusedRun, "hf"))).buffer());
        Buffer twiddles = fusedPlan.buffer(((Arg.Buf) fusedRun.args().get(index(fusedPlan, fusedRun, "twiddles"))).buffer());
        assertEquals(Buffer.Kind.CONSTANT, twiddles.kind());
        var blocking = hyenac.backends.codegen.kernels.FusedFft.DEFAULT;
        assertTrue(java.util.Arrays.equals(hyenac.backends.codegen.kernels.FusedFft.twiddles(blocking), fusedPlan.constants().get(twiddles.name())));

        // sh2-tiny's 64 channels fill 8 blocks of 132 multiprocessors' 528, and the scan's 64 chunks of them a twelfth of
        // the threads an H100 holds: the library's FFTs stay cheapest
        Graph tiny = Samples.graph("sh2-tiny.hyena");
        Node modal = filterOf(tiny, 2);
        CodegenLowering bf16 = lowering(Precision.BF16);
        double fft = bf16.cost(tiny, modal, Algorithm.FFT, KernelPipeline.REFERENCE);
        assertTrue(fft < bf16.cost(tiny, modal, Algorithm.FUSED_FFT, KernelPipeline.REFERENCE));
        assertTrue(fft < bf16.cost(tiny, modal, Algorithm.SCAN, KernelPipeline.REFERENCE));
    }

    @Test
    void preferringTheScanLowersEveryModalConvolutionAsItsThreeKernelsAroundAScratchOfStates() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        for (Precision p : Precision.values()) {
            for (Phase phase : List.of(Phase.PARALLEL, Phase.PREFILL)) {
                Plan plan = new KernelPipeline(g, lowering(p), true, Algorithm.SCAN).plan(phase);
                Map<String, List<String>> byPath = new TreeMap<>();
                for (Step st : plan.steps()) {
                    if (st.site().algorithm() == Algorithm.SCAN) byPath.computeIfAbsent(st.site().path(), k -> new ArrayList<>()).add(kind(plan, st));
                }
                // LI only (SE and MR have no modes); the parallel pass fuses its core, a prefill runs the convolution alone,
                // then fills the decode state from its input as before
                Map<String, List<String>> want = new TreeMap<>();
                for (int layer : new int[] {2, 6}) {
                    if (phase == Phase.PARALLEL) want.put("layers." + layer + ".mixer", List.of("scan_states", "scan_carry", "scan_core"));
                    else want.put("layers." + layer + ".mixer.filter", List.of("scan_states", "scan_carry", "scan_conv", "modal_scan"));
                }
                assertEquals(want, byPath, p.suffix() + " " + phase);
                // the parallel pass's scan computes LI's featurizer, as the direct cores compute SE's and MR's: none runs alone
                if (phase == Phase.PARALLEL) {
                    assertTrue(plan.steps().stream().noneMatch(st -> st.site().path().endsWith(".mixer.featurizer")), p.suffix() + ": a featurizer alone");
                }
                assertTrue(plan.buffers().stream().noneMatch(b -> b.kind() == Buffer.Kind.PREPARED), "the scan prepares nothing");
                assertEquals(2, plan.buffers().stream().filter(b -> b.name().endsWith(".scan_states") && b.kind() == Buffer.Kind.SCRATCH).count());
            }
        }
    }

    @Test
    void preferringTheFusedFftLowersEveryConvolutionThatHasItAsItsKernelAndPreparedSpectra() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        for (Precision p : Precision.values()) {
            for (Phase phase : List.of(Phase.PARALLEL, Phase.PREFILL)) {
                Plan plan = new KernelPipeline(g, lowering(p), true, Algorithm.FUSED_FFT).plan(phase);
                Map<String, List<String>> byPath = new TreeMap<>();
                for (Step st : plan.steps()) {
                    if (st.site().algorithm() == Algorithm.FUSED_FFT) byPath.computeIfAbsent(st.site().path(), k -> new ArrayList<>()).add(kind(plan, st));
                }
                // MR and LI by the fused FFT, SE (7 taps) not; the parallel pass fuses their cores, a prefill keeps the
                // convolutions' inputs for the decode states, so there they run alone, the states filled after them
                Map<String, List<String>> want = new TreeMap<>();
                for (int layer : new int[] {1, 2, 5, 6}) {
                    if (phase == Phase.PARALLEL) want.put("layers." + layer + ".mixer", List.of("fused_fft_spectrum", "fused_fft_core"));
                    else want.put("layers." + layer + ".mixer.filter", List.of("fused_fft_spectrum", "fused_fft_conv", layer % 4 == 1 ? "fir_prefill" : "modal_scan"));
                }
                assertEquals(want, byPath, p.suffix() + " " + phase);
                for (Buffer b : plan.buffers()) {
                    if (b.name().endsWith(".chunk_spectra")) assertEquals(Buffer.Kind.PREPARED, b.kind(), b.name());
                }
            }
        }
    }

    @Test
    void aFilterLongerThanTheChunkFallsBackToDirect(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        for (int len : new int[] {128, 129}) {
            java.nio.file.Path spec = dir.resolve("mr" + len + ".hyena");
            java.nio.file.Files.writeString(spec, """
                    import "std"
                    model mr_%d {
                      vocab = 512
                      width = 64
                      context = 4096
                      dtype = bf16
                      op mr = hyena_mr(len = %d, groups = 4)
                      op mlp = gated_mlp(hidden = 16, act = identity)
                      layers = [mr]
                    }
                    """.formatted(len, len));
            Graph g = Samples.graph(spec);
            Node filter = filterOf(g, 0);
            boolean fits = len <= hyenac.backends.codegen.kernels.BlockedConv.CHUNK;
            assertEquals(fits ? List.of(Algorithm.DIRECT, Algorithm.BLOCKED, Algorithm.FUSED_FFT) : List.of(Algorithm.DIRECT, Algorithm.FUSED_FFT),
                    lowering(Precision.BF16).algorithms(g, filter, Phase.PARALLEL), len + " taps (the fused FFT's chunk is 512)");
            for (boolean fused : new boolean[] {true, false}) {
                Plan p = new KernelPipeline(g, lowering(Precision.BF16), fused).plan(Phase.PARALLEL);
                Step conv = p.steps().stream().filter(st -> st.site().nodes().contains(filter.id())).findFirst().orElseThrow();
                assertEquals(fits ? Algorithm.BLOCKED : Algorithm.DIRECT, conv.site().algorithm(), len + " taps, fused " + fused);
                String entry = ((Step.Launch) conv).kernel();
                assertEquals(fits, entry.contains("_blocked_"), entry);
                assertTrue(entry.contains("_k" + len + "_"), entry);
            }
        }
    }

    // ---- GEMMs ----

    @Test
    void linearAndUnembedAreGemmsOverAllRowsOfAPrompt() {
        Graph g = Samples.graph("transformer-tiny.hyena");
        for (Node n : List.of(first(g, "unembed"), first(g, "linear"))) {
            for (Phase phase : List.of(Phase.PARALLEL, Phase.PREFILL)) {
                Plan p = plan(g, n, phase);
                assertEquals(1, p.steps().size(), n.op());
                Step.Gemm gm = assertInstanceOf(Step.Gemm.class, p.steps().getFirst());
                assertEquals(Size.rows(), gm.m(), "B·L rows");
                assertEquals(200, gm.m().eval(PASS));
                assertEquals(g.value(n.results().getFirst()).type().channels(), gm.n());
                assertEquals(g.value(n.operands().getFirst()).type().channels(), gm.k());
                assertEquals(p.value(n.operands().getFirst()).id(), gm.x());
                assertEquals(p.value(n.results().getFirst()).id(), gm.y());
                assertEquals(n.weights().get("weight"), p.buffer(gm.w()).name());
                assertEquals(Buffer.Kind.WEIGHT, p.buffer(gm.w()).kind());
                String bias = n.weights().get("bias");
                if (bias == null) assertEquals(-1, gm.bias(), n.op() + " has no bias");
                else assertEquals(bias, p.buffer(gm.bias()).name());
            }
        }
        // the sh2 sample's output projections have a bias
        Graph sh2 = Samples.graph("sh2-tiny.hyena");
        Node proj = sh2.nodes().stream().filter(n -> n.op().equals("linear") && n.weights().containsKey("bias")).findFirst().orElseThrow();
        Step.Gemm gm = (Step.Gemm) plan(sh2, proj, Phase.PARALLEL).steps().getFirst();
        assertEquals(proj.weights().get("bias"), plan(sh2, proj, Phase.PARALLEL).buffer(gm.bias()).name());
    }

    @Test
    void aDecodeStepsProjectionIsAGemvOverItsWeightAndBias() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        Node proj = g.nodes().stream().filter(n -> n.op().equals("linear") && n.weights().containsKey("bias")).findFirst().orElseThrow();
        for (Node n : List.of(first(g, "unembed"), proj)) {
            Plan p = plan(g, n, Phase.STEP);
            assertTrue(p.steps().stream().noneMatch(st -> st instanceof Step.Gemm), "no library GEMM in a step");
            Step.Launch l = assertInstanceOf(Step.Launch.class, p.steps().getFirst());
            assertEquals(1, p.steps().size(), n.op() + ": K = 64 is one chunk per block, no split");
            assertEquals("gemv", p.kernel(l.kernel()).name());
            assertEquals(p.value(n.operands().getFirst()).id(), ((Arg.Buf) l.args().get(index(p, l, "x"))).buffer());
            assertEquals(p.value(n.results().getFirst()).id(), ((Arg.Buf) l.args().get(index(p, l, "y"))).buffer());
            assertEquals(n.weights().get("weight"), p.buffer(((Arg.Buf) l.args().get(index(p, l, "w0"))).buffer()).name());
            assertEquals(new Arg.Int(Size.rows()), l.args().get(index(p, l, "rows")));
            String bias = n.weights().get("bias");
            boolean bound = p.kernel(l.kernel()).params().stream().anyMatch(param -> param.name().equals("bias0"));
            assertEquals(bias != null, bound, n.op() + " binds a bias exactly when it has one");
            if (bias != null) assertEquals(bias, p.buffer(((Arg.Buf) l.args().get(index(p, l, "bias0"))).buffer()).name());
            // one block of 16 rows per 16 sequences along x, the features along y
            Kernel k = p.kernel(l.kernel());
            assertEquals(1, k.grid().getFirst().eval(STEP));
            assertEquals(2, k.grid().getFirst().eval(new Shape(17, 1, 64)));
        }
    }

    @Test
    void aGemvSplitAlongKWritesPartialSumsToScratchThatItsReductionReads() {
        // 8 features of 4096 inputs: two blocks of features cannot fill a GPU, so K splits
        Graph.Builder b = new Graph.Builder();
        int x = b.newValue(hyenac.ir.TensorType.activation(DType.FP32, 4096)), y = b.newValue(hyenac.ir.TensorType.activation(DType.FP32, 8));
        int r = b.newValue(hyenac.ir.TensorType.activation(DType.FP32, 8)), sum = b.newValue(hyenac.ir.TensorType.activation(DType.FP32, 8));
        b.input(x).input(r);
        b.weight(new hyenac.ir.Weight("w", DType.FP32, List.of(8L, 4096L), ""));
        b.weight(new hyenac.ir.Weight("b", DType.FP32, List.of(8L), ""));
        b.add(new Node(b.nextNodeId(), "linear", Map.of("features", 8L, "bias", true), List.of(x), List.of(y), Map.of("weight", "w", "bias", "b"), "p", List.of()));
        b.add(new Node(b.nextNodeId(), "add", Map.of(), List.of(r, y), List.of(sum), Map.of(), "residual", List.of()));
        Graph g = b.output(sum).build();
        Plan p = new KernelPipeline(g, lowering(Precision.FP32), true).plan(Phase.STEP, Set.of(x, r), List.of(sum));
        List<Step.Launch> ls = launches(p);
        assertEquals(List.of("gemv", "gemv_reduce"), ls.stream().map(l -> p.kernel(l.kernel()).name()).toList());
        assertEquals(2, p.steps().size(), "the residual add is the reduction's epilogue");
        Buffer partials = p.buffer(((Arg.Buf) ls.get(0).args().get(index(p, ls.get(0), "partials"))).buffer());
        assertEquals(Buffer.Kind.SCRATCH, partials.kind());
        assertEquals(partials.id(), ((Arg.Buf) ls.get(1).args().get(index(p, ls.get(1), "partials"))).buffer());
        int splits = Math.toIntExact(p.kernel(ls.get(0).kernel()).grid().get(2).eval(STEP));
        assertTrue(splits > 1, "split along K (grid z)");
        assertEquals(Size.rows().times((long) splits * 8), partials.elements());
        assertEquals(p.value(r).id(), ((Arg.Buf) ls.get(1).args().get(index(p, ls.get(1), "residual"))).buffer());
        assertEquals(p.value(sum).id(), ((Arg.Buf) ls.get(1).args().get(index(p, ls.get(1), "y"))).buffer());
        assertEquals("b", p.buffer(((Arg.Buf) ls.get(1).args().get(index(p, ls.get(1), "bias0"))).buffer()).name());
        assertNull(p.value(y), "the projection's own result lives only in the partial sums");
    }

    // ---- modal convolution ----

    @Test
    void modalConvConvolvesThroughFftsOfTwiceTheLengthRoundedToAPowerOfTwo() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        Node modal = first(g, "modal_conv");
        int width = Math.toIntExact(g.value(modal.operands().getFirst()).type().channels());
        Plan p = plan(g, modal, Phase.PARALLEL);
        List<Step> steps = p.steps();
        // the filter's spectrum depends on weights and L only: prepared once
        assertEquals(List.of(true, true, true, false, false, false, false, false), steps.stream().map(Step::once).toList());
        assertEquals(List.of("modal_filter", "fft_pad_filter", "fft", "fft_pack", "fft", "fft_product", "fft", "fft_unpack"),
                steps.stream().map(s -> kind(p, s)).toList());
        for (Step s : steps) assertEquals(Algorithm.FFT, s.site().algorithm());
        Size fft = new Size.FftLength(Size.length());
        long n = Integer.highestOneBit(2 * 100 - 1) << 1; // 256 at L = 100
        Step.Fft filterFft = (Step.Fft) steps.get(2), signalFft = (Step.Fft) steps.get(4), inverse = (Step.Fft) steps.get(6);
        assertEquals(List.of(fft, fft, fft), List.of(filterFft.n(), signalFft.n(), inverse.n()));
        assertEquals(n, fft.eval(PASS));
        assertEquals(List.of((long) width, 2L * width, 2L * width), List.of(filterFft.batch().eval(PASS), signalFft.batch().eval(PASS), inverse.batch().eval(PASS)));
        assertEquals(List.of(true, true, false), List.of(filterFft.forward(), signalFft.forward(), inverse.forward()));
        Step.Launch filter = (Step.Launch) steps.get(0), pad = (Step.Launch) steps.get(1), pack = (Step.Launch) steps.get(3);
        Step.Launch product = (Step.Launch) steps.get(5), unpack = (Step.Launch) steps.get(7);
        // the data flows filter -> pad -> FFT -> product <- FFT <- pack, product -> inverse FFT -> unpack
        assertEquals(arg(p, filter, "h"), arg(p, pad, "h"));
        assertEquals(arg(p, pad, "hp"), new Arg.Buf(filterFft.in()));
        assertEquals(new Arg.Buf(filterFft.out()), arg(p, product, "hf"));
        assertEquals(value(p, modal.operands().getFirst()), arg(p, pack, "x"));
        assertEquals(arg(p, pack, "xp"), new Arg.Buf(signalFft.in()));
        assertEquals(new Arg.Buf(signalFft.out()), arg(p, product, "xf"));
        assertEquals(inverse.in(), signalFft.out());
        assertEquals(new Arg.Buf(inverse.out()), arg(p, unpack, "yp"));
        assertEquals(value(p, modal.operands().getFirst()), arg(p, unpack, "x"));
        assertEquals(value(p, modal.results().getFirst()), arg(p, unpack, "y"));
        assertEquals(new Arg.Int(fft), arg(p, unpack, "n"));
        assertEquals(new Arg.Int(fft), arg(p, pack, "n"));
        assertEquals(n / 2 + 1, ((Arg.Int) arg(p, product, "bins")).value().eval(PASS));
        Buffer rows = buffer(p, pack, "xp");
        assertEquals("n" + modal.id() + ".rows", rows.name());
        assertEquals(2L * width * n, rows.elements().eval(PASS));
        // what lives on between runs is only the filter's spectrum; the rest is scratch
        Buffer spectrum = p.buffer(filterFft.out());
        assertEquals(Buffer.Kind.PREPARED, spectrum.kind());
        assertEquals("n" + modal.id() + ".filter_spectra", spectrum.name());
        assertEquals((n / 2 + 1) * 2 * width, spectrum.elements().eval(PASS));
        for (Buffer b : List.of(buffer(p, filter, "h"), buffer(p, pad, "hp"), rows, p.buffer(signalFft.out()))) {
            assertEquals(Buffer.Kind.SCRATCH, b.kind(), b.name());
            assertEquals(DType.FP32, b.element(), "FFTs are fp32: " + b.name());
        }
        assertEquals(List.of(modal.weights().get("log_poles"), modal.weights().get("residues")),
                List.of(buffer(p, filter, "log_poles").name(), buffer(p, filter, "residues").name()));
        // the prepared spectrum keeps its memory: nothing else is ever placed in its slot
        for (Buffer b : p.buffers()) if (b.id() != spectrum.id() && b.slot() >= 0) assertTrue(b.slot() != spectrum.slot(), b.name());
    }

    @Test
    void theModalPrefillScansThePromptIntoScratch() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        Node modal = first(g, "modal_conv");
        Plan p = plan(g, modal, Phase.PREFILL);
        // the parallel steps, then the scan that builds the state
        Step.Launch scan = (Step.Launch) p.steps().getLast();
        assertEquals("modal_scan", p.kernel(scan.kernel()).name());
        assertEquals(new Arg.Int(Size.length()), arg(p, scan, "steps"));
        Buffer y = buffer(p, scan, "y");
        assertEquals(Buffer.Kind.SCRATCH, y.kind());
        assertEquals("n" + modal.id() + ".scan_y", y.name());
        Buffer state = buffer(p, scan, "state");
        assertEquals(Buffer.Kind.STATE, state.kind());
        assertEquals("n" + modal.id() + ".modal", state.name());
        assertEquals(value(p, modal.operands().getFirst()), arg(p, scan, "s"));
        assertEquals(List.of("modal_filter", "fft_pad_filter", "fft", "fft_pack", "fft", "fft_product", "fft", "fft_unpack", "modal_scan"),
                p.steps().stream().map(s -> kind(p, s)).toList());
    }

    // ---- attention ----

    @Test
    void attentionRotatesQueriesAndKeysIntoScratchFirst() {
        for (String sample : List.of("transformer-tiny.hyena", "sh2-tiny.hyena")) {
            Graph g = Samples.graph(sample);
            Node att = first(g, "causal_attention");
            assertEquals("rope", att.attrs().get("rope"), sample + "'s attention rotates");
            Plan p = plan(g, att, Phase.PARALLEL);
            assertEquals(List.of("rope", "rope", "causal_attention"), p.steps().stream().map(s -> kind(p, s)).toList());
            Step.Launch q = (Step.Launch) p.steps().get(0), k = (Step.Launch) p.steps().get(1), last = (Step.Launch) p.steps().get(2);
            assertEquals(value(p, att.operands().get(0)), arg(p, q, "x"));
            assertEquals(value(p, att.operands().get(1)), arg(p, k, "x"));
            assertEquals(arg(p, q, "y"), arg(p, last, "q"));
            assertEquals(arg(p, k, "y"), arg(p, last, "k"));
            assertEquals(List.of(Buffer.Kind.SCRATCH, Buffer.Kind.SCRATCH), List.of(buffer(p, q, "y").kind(), buffer(p, k, "y").kind()));
            assertEquals(List.of("n" + att.id() + ".q_rotated", "n" + att.id() + ".k_rotated"), List.of(buffer(p, q, "y").name(), buffer(p, k, "y").name()));
            assertEquals(value(p, att.operands().get(2)), arg(p, last, "v"), "values are not rotated");
            assertEquals(value(p, att.results().getFirst()), arg(p, last, "out"));
            // one table of frequencies for both, the reference's constants
            Buffer invFreq = buffer(p, q, "inv_freq");
            assertEquals(arg(p, q, "inv_freq"), arg(p, k, "inv_freq"));
            assertEquals(Buffer.Kind.CONSTANT, invFreq.kind());
            assertTrue(invFreq.name().endsWith(".inv_freq"), invFreq.name());
            long headDim = g.value(att.operands().getFirst()).type().channels() / att.intAttr("heads");
            assertEquals(headDim / 2, p.constants().get(invFreq.name()).length);
            assertEquals(headDim / 2, invFreq.elements().eval(PASS));
            // a prompt starts at position 0 and is written into rows of its own length
            for (Step.Launch r : List.of(q, k)) {
                assertEquals(new Arg.Int(Size.of(0)), arg(p, r, "first_position"));
                assertEquals(new Arg.Int(Size.length()), arg(p, r, "y_length"));
                assertEquals(new Arg.Int(Size.rows()), arg(p, r, "rows"));
            }
        }
    }

    @Test
    void bf16AttentionOfTheEvo2ShapeBindsTheTensorCoreKernel() {
        Graph g = Samples.graph("evo2-7b.hyena");
        Node att = first(g, "causal_attention");
        Plan p = plan(unfused(g, Precision.BF16), att, Phase.PARALLEL);
        Step.Launch rope = (Step.Launch) p.steps().getFirst(), last = (Step.Launch) p.steps().getLast();
        assertEquals("hopper_attention_h32_d128_bf16", last.kernel(), "on an H100: wgmma");
        assertEquals(arg(p, rope, "y"), arg(p, last, "q"));
        assertEquals(value(p, att.operands().get(2)), arg(p, last, "v"));
        assertEquals(value(p, att.results().getFirst()), arg(p, last, "out"));
        assertEquals(new Arg.Int(Size.length()), arg(p, last, "length"));
        Kernel k = p.kernel(last.kernel());
        assertEquals("grid (B*32, ceil(L / 64), 1), block (128, 1, 1)",
                "grid (" + String.join(", ", k.grid().stream().map(Size::toString).toList()) + "), block ("
                        + String.join(", ", k.block().stream().map(String::valueOf).toList()) + ")");
        assertEquals(List.of(32L * 3, 128L, 1L), k.grid().stream().map(s -> s.eval(new Shape(3, 8192, 0))).toList());
        for (Buffer b : p.buffers()) if (b.kind() == Buffer.Kind.VALUE || b.kind() == Buffer.Kind.SCRATCH) assertEquals(DType.BF16, b.element(), b.name());
    }

    // ---- decode and prefill ----

    @Test
    void everyStatefulNodeBindsItsDecodeAndPrefillKernelsToItsOwnStatesAndTheClock() {
        int checked = 0;
        for (String sample : SAMPLES) {
            Graph g = Samples.graph(sample);
            KernelPipeline pipeline = unfused(g, Precision.FP32);
            for (Node n : g.nodes()) {
                if (!n.primitive().stateful()) continue;
                checked++;
                String own = "n" + n.id() + ".";
                String at = sample + " " + n.op() + " " + n.path();
                boolean ring = n.op().equals("causal_conv") && n.intAttr("len") > 1;

                Plan step = plan(pipeline, n, Phase.STEP);
                boolean attention = n.op().equals("causal_attention");
                int heads = attention ? Math.toIntExact(n.intAttr("heads")) : 1;
                long width = g.value(n.operands().getFirst()).type().channels();
                // attention with its keys split across blocks: kv_attend's partials, then kv_combine merging them into the result
                boolean splitKeys = attention && Decode.attendSplits(heads) > 1;
                assertEquals(splitKeys ? 2 : 1, step.steps().size(), at + ": its decode kernels");
                Step.Launch l = (Step.Launch) step.steps().getFirst(), last = (Step.Launch) step.steps().getLast();
                if (!n.op().equals("causal_attention")) assertEquals(Algorithm.RECURRENT, l.site().algorithm(), at);
                Set<String> states = new HashSet<>();
                for (Arg a : l.args()) {
                    if (a instanceof Arg.Buf b && step.buffer(b.buffer()).kind() == Buffer.Kind.STATE) states.add(step.buffer(b.buffer()).name());
                }
                Set<String> expected = switch (n.op()) {
                    case "causal_conv" -> ring ? Set.of(own + "ring", Plan.CLOCK) : Set.of();
                    case "modal_conv" -> Set.of(own + "modal");
                    default -> Set.of(own + "keys", own + "values", Plan.CLOCK);
                };
                assertEquals(expected, states, at + " decodes on its own states");
                assertEquals(value(step, n.results().getFirst()), arg(step, last, attention ? "out" : "y"), at);
                if (splitKeys) {
                    assertEquals("kv_combine", step.kernel(last.kernel()).name(), at);
                    Buffer partials = buffer(step, l, "partials");
                    assertEquals(partials, buffer(step, last, "partials"), at + ": the combine reads what kv_attend wrote");
                    assertEquals(Buffer.Kind.SCRATCH, partials.kind(), at);
                    assertEquals(STEP.batch() * Decode.attendPartialsPerSequence(heads, Math.toIntExact(width / heads)), partials.elements().eval(STEP), at);
                    assertEquals(buffer(step, l, "clock"), buffer(step, last, "clock"), at + ": both count the live keys from the clock");
                }
                // where the token stands comes from the device clock, so one captured step serves every token
                if (n.op().equals("causal_attention") || ring) {
                    Buffer clock = buffer(step, l, "clock");
                    assertEquals(List.of(Plan.CLOCK, DType.I64, 2L), List.of(clock.name(), clock.element(), clock.elements().eval(STEP)));
                }
                for (Arg a : l.args()) {
                    if (a instanceof Arg.Int i) {
                        long v = i.value().eval(STEP);
                        assertTrue(v == STEP.batch() || v == 1 || v == STEP.capacity(), at + ": a per-token scalar: " + a);
                    }
                }
                if (n.op().equals("causal_attention")) assertEquals(new Arg.Int(Size.capacity()), arg(step, l, "capacity"));
                // every state a step reads is declared with the size its kernel expects
                for (Buffer b : step.buffers()) {
                    if (b.kind() != Buffer.Kind.STATE || !b.name().startsWith(own)) continue;
                    long c = g.value(n.operands().getFirst()).type().channels();
                    long per = switch (b.name().substring(own.length())) {
                        case "ring" -> c * (n.intAttr("len") - 1);
                        case "modal" -> c * n.intAttr("modes");
                        default -> STEP.capacity() * c;
                    };
                    assertEquals(STEP.batch() * per, b.elements().eval(STEP), at + " " + b.name());
                }

                Plan prefill = plan(pipeline, n, Phase.PREFILL);
                Plan parallel = plan(pipeline, n, Phase.PARALLEL);
                List<Step> fills = prefill.steps().subList(parallel.steps().size(), prefill.steps().size());
                assertEquals(parallel.steps().stream().map(s -> kind(parallel, s)).toList(),
                        prefill.steps().subList(0, parallel.steps().size()).stream().map(s -> kind(prefill, s)).toList(),
                        at + ": a prefill runs the parallel steps first");
                Set<String> filled = new HashSet<>();
                for (Step s : fills) {
                    for (int w : s.writes(prefill)) {
                        Buffer b = prefill.buffer(w);
                        if (b.kind() == Buffer.Kind.STATE) filled.add(b.name());
                        else assertEquals(Buffer.Kind.SCRATCH, b.kind(), at + ": filling a state writes no value: " + b.name());
                    }
                }
                Set<String> fillsExpected = new HashSet<>(expected);
                fillsExpected.remove(Plan.CLOCK); // the clock is the executor's to set
                assertEquals(fillsExpected, filled, at + " fills its own states");
            }
        }
        assertTrue(checked >= 10, "stateful nodes checked: " + checked);
    }

    @Test
    void theKeysAndValuesOfAPromptAreCopiedIntoTheCacheSequenceBySequence() {
        for (String sample : List.of("transformer-tiny.hyena", "sh2-tiny.hyena")) {
            Graph g = Samples.graph(sample);
            for (Precision precision : Precision.values()) {
                Plan p = plan(unfused(g, precision), first(g, "causal_attention"), Phase.PREFILL);
                Node att = first(g, "causal_attention");
                long w = g.value(att.operands().getFirst()).type().channels();
                List<Step.Copy> copies = p.steps().stream().filter(s -> s instanceof Step.Copy).map(s -> (Step.Copy) s).toList();
                assertEquals(2, copies.size());
                assertEquals(List.of("n" + att.id() + ".keys", "n" + att.id() + ".values"), copies.stream().map(c -> p.buffer(c.dst()).name()).toList());
                // the rotated keys (what decode compares against), the values as they are
                assertEquals("n" + att.id() + ".k_rotated", p.buffer(copies.get(0).src()).name());
                assertEquals(p.value(att.operands().get(2)).id(), copies.get(1).src());
                for (Step.Copy c : copies) {
                    Buffer src = p.buffer(c.src()), dst = p.buffer(c.dst());
                    long e = dst.element().bytes;
                    assertEquals(src.element(), dst.element(), "a copy does not convert");
                    assertEquals(precision == Precision.BF16 ? DType.BF16 : DType.FP32, dst.element());
                    for (Shape s : List.of(PASS, new Shape(3, 7, 9), new Shape(1, 8192, 8256))) {
                        // [B, L, W] rows into [B, C, W]: B copies of L·W elements, strides L·W and C·W
                        assertEquals(List.of(s.batch(), s.length() * w * e, s.length() * w * e, s.capacity() * w * e, 0L, 0L),
                                List.of(c.count().eval(s), c.bytes().eval(s), c.srcStride().eval(s), c.dstStride().eval(s), c.srcOffset().eval(s),
                                        c.dstOffset().eval(s)), sample + " " + precision + " at " + s);
                        assertEquals(s.batch() * s.capacity() * w * e, dst.bytes().eval(s), "the cache holds C rows per sequence");
                    }
                }
            }
        }
    }

    @Test
    void aStepPlansScalarsArePerTokenConstantsAndItsStatesAreTheOnesAPrefillFills() {
        for (String sample : SAMPLES) {
            Graph g = Samples.graph(sample);
            for (boolean fusion : new boolean[] {false, true}) {
                KernelPipeline pipeline = new KernelPipeline(g, lowering(Precision.BF16), fusion);
                Plan step = pipeline.plan(Phase.STEP), prefill = pipeline.plan(Phase.PREFILL);
                String at = sample + (fusion ? " fused" : " unfused");
                Buffer clock = null;
                for (Buffer b : step.buffers()) if (b.name().equals(Plan.CLOCK)) clock = b;
                assertNotNull(clock, at);
                for (Step.Launch l : launches(step)) {
                    Kernel k = step.kernel(l.kernel());
                    for (int i = 0; i < l.args().size(); i++) {
                        String param = k.params().get(i).name();
                        // the position is never baked into a step: it comes from the clock
                        assertFalse(param.equals("first_position"), at + " " + k.entry() + " takes a position");
                        if (param.equals("clock")) assertEquals(new Arg.Buf(clock.id()), l.args().get(i), at + " " + k.entry());
                        if (l.args().get(i) instanceof Arg.Int v) {
                            long x = v.value().eval(STEP);
                            assertTrue(x == STEP.batch() || x == 1 || x == STEP.capacity(), at + " " + k.entry() + " " + param + " = " + v.value());
                        }
                    }
                }
                for (Step s : step.steps()) {
                    if (s.site().nodes().size() == 1 && g.nodes().stream().filter(n -> n.id() == s.site().nodes().getFirst()).findFirst().orElseThrow().primitive().stateful()
                            && !s.site().ops().equals("causal_attention")) {
                        assertEquals(Algorithm.RECURRENT, s.site().algorithm(), at + " " + s.site());
                    }
                    assertFalse(s.once(), at + ": a decode step prepares nothing");
                    assertFalse(s instanceof Step.Fft || s instanceof Step.Copy, at + ": a decode step is kernels and GEMMs");
                }
                // a prefill declares every state a step uses, alike
                List<String> stepStates = step.buffers().stream().filter(b -> b.kind() == Buffer.Kind.STATE).map(b -> b.name() + " " + b.element() + "[" + b.elements() + "]").toList();
                List<String> prefillStates = prefill.buffers().stream().filter(b -> b.kind() == Buffer.Kind.STATE).map(b -> b.name() + " " + b.element() + "[" + b.elements() + "]").toList();
                assertEquals(stepStates, prefillStates, at);
                assertTrue(step.buffers().stream().noneMatch(b -> b.kind() == Buffer.Kind.PREPARED), at);
            }
        }
    }

    // ---- fused groups ----

    @Test
    void everyGroupOfTheSamplesBindsToItsInputsMaterialisedValuesAndWeights() {
        Map<String, Integer> fusedKinds = new TreeMap<>();
        for (String sample : SAMPLES) {
            Graph g = Samples.graph(sample);
            for (Phase phase : Phase.values()) {
                FuseKernels.Mode mode = FuseKernels.Mode.valueOf(phase.name());
                List<Group> groups = FuseKernels.standard().run(g, g.nodes(), List.of(g.outputs().getFirst()), mode);
                Plan p = lowering(Precision.FP32).lower(g, groups, Map.of(), phase, Set.of(), List.of(g.outputs().getFirst()));
                for (Group group : groups) {
                    if (!group.fused()) continue;
                    fusedKinds.merge(group.kind(), 1, Integer::sum);
                    // a featurizer its core's kernels do not compute runs first, alone, into scratch that the rest reads as z
                    boolean apart = new CudaKernels().featurizerApart(g, group, Precision.FP32, null);
                    Group kernelled = apart ? HyenaCore.withoutFeaturizer(group) : group;
                    List<Integer> ids = kernelled.nodes().stream().map(Node::id).toList();
                    List<Step> steps = p.steps().stream().filter(s -> s.site().nodes().equals(ids)).toList();
                    List<Step> featurizer = !apart ? List.of()
                            : p.steps().stream().filter(s -> s.site().nodes().equals(List.of(HyenaCore.featurizer(group).id()))).toList();
                    if (apart) {
                        fusedKinds.merge("core with its featurizer apart", 1, Integer::sum);
                        assertEquals(1, featurizer.size(), group + ": the featurizer's one kernel");
                        assertEquals(HyenaCore.featurizer(group).path(), featurizer.getFirst().site().path());
                    }
                    // a modal core's convolution by default goes through library FFTs: its kernels around three FFTs
                    boolean library = new CudaKernels().throughLibraryFfts(g, kernelled, Precision.FP32, null);
                    if (library) {
                        fusedKinds.merge("modal core through library FFTs", 1, Integer::sum);
                        assertEquals(List.of("modal_filter", "fft_pad_filter", "fft", "fft_pack", "fft", "fft_product", "fft", "fft_unpack"),
                                steps.stream().map(s -> kind(p, s)).toList(), group.toString());
                    } else {
                        // a GEMV group is two kernels where K splits, which the samples' widths never make it
                        assertEquals(1, steps.size(), group + ": one kernel per fused group");
                        assertInstanceOf(Step.Launch.class, steps.getFirst());
                    }
                    Set<Integer> read = new HashSet<>(), written = new HashSet<>();
                    Set<String> groupWeights = new HashSet<>();
                    group.nodes().forEach(n -> groupWeights.addAll(n.weights().values()));
                    for (Step st : java.util.stream.Stream.concat(featurizer.stream(), steps.stream()).toList()) {
                        if (!(st instanceof Step.Launch l)) continue;
                        Kernel k = p.kernel(l.kernel());
                        for (int i = 0; i < l.args().size(); i++) {
                            Kernel.Param param = k.params().get(i);
                            Arg a = l.args().get(i);
                            assertEquals(param.pointer(), a instanceof Arg.Buf, k.entry() + " " + param.name());
                            if (!(a instanceof Arg.Buf ab)) continue;
                            Buffer b = p.buffer(ab.buffer());
                            assertFalse(!library && !apart && (b.kind() == Buffer.Kind.SCRATCH || b.kind() == Buffer.Kind.PREPARED), group + ": a fused kernel needs no scratch");
                            if (b.kind() == Buffer.Kind.WEIGHT) assertTrue(groupWeights.contains(b.name()), b.name());
                            if (b.kind() == Buffer.Kind.VALUE) (param.readOnly() ? read : written).add(b.valueId());
                        }
                    }
                    assertEquals(Set.copyOf(group.inputs()), read, group + " reads its inputs");
                    assertEquals(Set.copyOf(group.materialised()), written, group + " writes exactly its materialised values");
                    for (int v : group.internal()) assertNull(p.value(v), "%" + v + " is internal to " + group + " and has no buffer");
                }
            }
        }
        assertEquals(Set.of("core with its featurizer apart", "elementwise", "gemv", "hyena_core", "hyena_step", "modal core through library FFTs", "norm_residual"),
                fusedKinds.keySet(),
                fusedKinds.toString());
    }

    @Test
    void aFusedGroupBindsItsWeightsAndSizes() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<Group> groups = FuseKernels.standard().run(g);
        Group core = groups.stream().filter(gr -> gr.kind().equals("hyena_core")).toList().get(1); // layer 1: Hyena-MR, with a skip
        Plan p = lowering(Precision.FP32).lower(g, List.of(core), Map.of(), Phase.PARALLEL, Set.copyOf(core.inputs()), core.materialised());
        Step.Launch l = (Step.Launch) p.steps().getFirst();
        Node conv = HyenaCore.conv(core), featurizer = HyenaCore.featurizer(core);
        assertEquals(conv.weights().get("weight"), buffer(p, l, "h").name());
        assertEquals(conv.weights().get("skip"), buffer(p, l, "skip").name());
        assertEquals("layers.1.mixer.featurizer.weight", buffer(p, l, "feature_h").name());
        assertEquals(featurizer.operands(), core.inputs(), "the core reads the input projection's output");
        assertEquals(value(p, core.inputs().getFirst()), arg(p, l, "u"));
        assertEquals(1, p.steps().size(), "the featurizer inside the core's one kernel");
        assertEquals(new Arg.Int(Size.length()), arg(p, l, "length"));
        assertEquals(Algorithm.DIRECT, new KernelPipeline(g, lowering(Precision.FP32), true).plan(Phase.PARALLEL).steps().stream()
                .filter(s -> s.site().nodes().equals(core.nodes().stream().map(Node::id).toList())).findFirst().orElseThrow().site().algorithm(),
                "a fused group's site names its convolution's algorithm");

        Group norm = groups.stream().filter(gr -> gr.kind().equals("norm_residual")).findFirst().orElseThrow();
        Plan q = lowering(Precision.BF16).lower(g, List.of(norm), Map.of(), Phase.PARALLEL, Set.copyOf(norm.inputs()), norm.materialised());
        Step.Launch n = (Step.Launch) q.steps().getFirst();
        assertEquals("layers.0.post_norm.scale", buffer(q, n, "scale").name());
        assertEquals(List.of(value(q, norm.inputs().get(0)), value(q, norm.inputs().get(1))), n.args().subList(0, 2));
        assertTrue(n.kernel().endsWith("_bf16"), n.kernel());
    }

    @Test
    void theSameGivenValuesInAnyOrderGiveTheSamePlan() {
        // a Set's iteration order is no part of what a plan computes (Set.of's even differs from process to process)
        Graph g = Samples.graph("transformer-tiny.hyena");
        Node att = first(g, "causal_attention");
        List<Integer> qkv = att.operands();
        String forward = PlanPrinter.print(unfused(g, Precision.FP32).plan(Phase.PARALLEL, new java.util.LinkedHashSet<>(qkv), att.results()));
        String backward = PlanPrinter.print(unfused(g, Precision.FP32).plan(Phase.PARALLEL, new java.util.LinkedHashSet<>(qkv.reversed()), att.results()));
        assertEquals(forward, backward);
    }

    // ---- mistakes are errors ----

    /** The CUDA kernels, with rmsnorm's changed by {@code edit}. */
    static Kernels editedRmsnorm(java.util.function.UnaryOperator<List<KernelParam>> edit) {
        return new Kernels(CudaDialect.INSTANCE) {
            @Override public List<KernelSource> forNode(Graph g, Node n, Precision p, Algorithm algorithm) {
                List<KernelSource> ks = super.forNode(g, n, p, algorithm);
                if (!n.op().equals("rmsnorm")) return ks;
                KernelSource k = ks.getFirst();
                return List.of(new KernelSource(k.name(), k.entry(), k.dialect(), k.text(), k.code(), k.launch(), edit.apply(new ArrayList<>(k.params())),
                        k.sharedBytes(), k.sites()));
            }
        };
    }

    @Test
    void aParameterNothingBindsIsAnError() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        Node norm = first(g, "rmsnorm");
        Kernels extra = editedRmsnorm(ps -> {
            ps.add(new KernelParam("mystery", CType.Scalar.INT64, "who knows"));
            return ps;
        });
        var e = assertThrows(IllegalStateException.class, () -> plan(new KernelPipeline(g, lowering(extra, Precision.FP32), false), norm, Phase.PARALLEL));
        assertTrue(e.getMessage().contains("`mystery`") && e.getMessage().contains(norm.path()), e.getMessage());

        Kernels scalarX = editedRmsnorm(ps -> {
            ps.set(0, new KernelParam(ps.getFirst().name(), CType.Scalar.INT64, "x as a number"));
            return ps;
        });
        var f = assertThrows(IllegalStateException.class, () -> plan(new KernelPipeline(g, lowering(scalarX, Precision.FP32), false), norm, Phase.PARALLEL));
        assertTrue(f.getMessage().contains("is a scalar but was bound to"), f.getMessage());
    }

    @Test
    void aWantedValueInsideAFusedKernelIsAnError() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<Group> groups = FuseKernels.standard().run(g);
        Group core = groups.stream().filter(Group::fused).filter(gr -> !gr.internal().isEmpty()).findFirst().orElseThrow();
        int inside = core.internal().getFirst();
        var e = assertThrows(IllegalArgumentException.class,
                () -> lowering(Precision.FP32).lower(g, List.of(core), Map.of(), Phase.PARALLEL, Set.copyOf(core.inputs()), List.of(inside)));
        assertTrue(e.getMessage().contains("%" + inside), e.getMessage());
        assertNotNull(PlanPrinter.print(lowering(Precision.FP32).lower(g, List.of(core), Map.of(), Phase.PARALLEL, Set.copyOf(core.inputs()), core.materialised())));
    }
}
