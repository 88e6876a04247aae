package hyenac.backends.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.cuda.NodePlan.Arg;
import hyenac.backends.cuda.NodePlan.Step;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Argument binding for every op of the sample models, without a device. */
class NodePlanTest {
    static final int B = 2, L = 100;

    static Graph graph(String sample) {
        Path root = Path.of(System.getProperty("hyenac.root", "../..")).toAbsolutePath().normalize();
        Compilation.Result r = Compilation.compile(root.resolve("samples").resolve(sample), null);
        if (!r.ok()) throw new IllegalStateException(sample + " does not compile: " + r.checked().diagnostics().all());
        return r.graph();
    }

    private static List<Step> plan(Graph g, Node n) {
        return NodePlan.of(g, n, new CudaKernels(), Precision.FP32, name -> Optional.empty(), B, L);
    }

    @Test
    void everyNodeOfTheSamplesBindsEveryParameterWithTheRightKind() {
        Set<String> ops = new HashSet<>();
        for (String sample : List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena")) {
            Graph g = graph(sample);
            for (Node n : g.nodes()) {
                ops.add(n.op());
                for (Step s : plan(g, n)) {
                    if (!(s instanceof Step.Launch l)) continue;
                    assertEquals(l.kernel().params().size(), l.args().size(), l.kernel().entry());
                    for (int i = 0; i < l.args().size(); i++) {
                        KernelParam p = l.kernel().params().get(i);
                        Arg a = l.args().get(i);
                        assertEquals(p.type() instanceof CType.Pointer, a.isPointer(), l.kernel().entry() + " " + p.name());
                        // a written pointer is a result or scratch, never a weight or an operand
                        if (p.type() instanceof CType.Pointer ptr && !ptr.readOnly()) {
                            assertTrue(a instanceof Arg.Scratch || a instanceof Arg.Value v && n.results().contains(v.id()),
                                    l.kernel().entry() + " writes " + a);
                        }
                        if (a instanceof Arg.Weight w) assertTrue(n.weights().containsValue(w.name()), w.name());
                    }
                }
            }
        }
        assertTrue(ops.containsAll(Set.of("embedding", "rmsnorm", "linear", "unembed", "causal_conv", "modal_conv", "causal_attention")), ops.toString());
    }

    @Test
    void linearAndUnembedAreGemmsOverAllRows() {
        Graph g = graph("transformer-tiny.hyena");
        Node unembed = g.nodes().stream().filter(n -> n.op().equals("unembed")).findFirst().orElseThrow();
        Step.Gemm gm = assertInstanceOf(Step.Gemm.class, plan(g, unembed).getFirst());
        assertEquals(B * L, gm.m());
        assertEquals(g.value(unembed.results().getFirst()).type().channels(), gm.n());
        assertEquals(g.value(unembed.operands().getFirst()).type().channels(), gm.k());
        assertEquals(null, gm.bias());
    }

    @Test
    void modalConvConvolvesThroughFftsOfTwiceTheLengthRoundedToAPowerOfTwo() {
        Graph g = graph("sh2-tiny.hyena");
        Node modal = g.nodes().stream().filter(n -> n.op().equals("modal_conv")).findFirst().orElseThrow();
        int width = Math.toIntExact(g.value(modal.operands().getFirst()).type().channels());
        List<Step> planned = plan(g, modal);
        // the filter's spectrum depends on weights and L only: prepared once per pass
        assertEquals(List.of(true, true, true, false, false, false, false, false), planned.stream().map(s -> s instanceof Step.Once).toList());
        List<Step> steps = planned.stream().map(s -> s instanceof Step.Once o ? o.step() : s).toList();
        assertEquals(List.of("modal_filter", "fft_pad_filter", "fft", "fft_pack", "fft", "fft_product", "fft", "fft_unpack"),
                steps.stream().map(s -> s instanceof Step.Launch l ? l.kernel().name() : "fft").toList());
        int n = Integer.highestOneBit(2 * L - 1) << 1;
        Step.Fft filterFft = (Step.Fft) steps.get(2), signalFft = (Step.Fft) steps.get(4), inverse = (Step.Fft) steps.get(6);
        assertEquals(List.of(n, n, n), List.of(filterFft.n(), signalFft.n(), inverse.n()));
        assertEquals(List.of(width, B * width, B * width), List.of(filterFft.batch(), signalFft.batch(), inverse.batch()));
        assertEquals(List.of(true, true, false), List.of(filterFft.forward(), signalFft.forward(), inverse.forward()));
        Step.Launch filter = (Step.Launch) steps.get(0), pad = (Step.Launch) steps.get(1), pack = (Step.Launch) steps.get(3);
        Step.Launch product = (Step.Launch) steps.get(5), unpack = (Step.Launch) steps.get(7);
        // the data flows filter -> pad -> FFT -> product <- FFT <- pack, product -> inverse FFT -> unpack
        assertEquals(filter.args().get(index(filter, "h")), pad.args().get(index(pad, "h")));
        assertEquals(pad.args().get(index(pad, "hp")), filterFft.in());
        assertEquals(filterFft.out(), product.args().get(index(product, "hf")));
        assertEquals(new Arg.Value(modal.operands().getFirst()), pack.args().get(index(pack, "x")));
        assertEquals(pack.args().get(index(pack, "xp")), signalFft.in());
        assertEquals(signalFft.out(), product.args().get(index(product, "xf")));
        assertEquals(inverse.in(), signalFft.out());
        assertEquals(inverse.out(), unpack.args().get(index(unpack, "yp")));
        assertEquals(new Arg.Value(modal.results().getFirst()), unpack.args().get(index(unpack, "y")));
        assertEquals(new Arg.Int(n), unpack.args().get(index(unpack, "n")));
        assertEquals(new Arg.Int(n / 2 + 1), product.args().get(index(product, "bins")));
        assertEquals(new Arg.Scratch("n" + modal.id() + ".rows", (long) B * width * n), pack.args().get(index(pack, "xp")));
    }

    @Test
    void attentionRotatesQueriesAndKeysIntoScratchFirst() {
        Graph g = graph("transformer-tiny.hyena");
        Node att = g.nodes().stream().filter(n -> n.op().equals("causal_attention")).findFirst().orElseThrow();
        List<Step> steps = plan(g, att);
        Step.Launch last = (Step.Launch) steps.getLast();
        assertEquals(new Arg.Value(att.operands().get(2)), last.args().get(index(last, "v")));
        if ("rope".equals(att.attrs().get("rope"))) {
            assertEquals(3, steps.size());
            Step.Launch q = (Step.Launch) steps.get(0);
            assertEquals(q.args().get(index(q, "y")), last.args().get(index(last, "q")));
            assertFalse(q.args().get(index(q, "y")) instanceof Arg.Value);
        }
    }

    @Test
    void everyStatefulNodeBindsItsDecodeAndPrefillKernelsToItsOwnStates() {
        for (String sample : List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena")) {
            Graph g = graph(sample);
            for (Node n : g.nodes()) {
                if (!NodePlan.stateful(n)) continue;
                Set<String> states = NodePlan.states(g, n, B, 64).keySet();
                List<Step.Launch> launches = new java.util.ArrayList<>(NodePlan.prefillState(g, n, new CudaKernels(), Precision.FP32, B, L));
                launches.add(NodePlan.decodeStep(g, n, new CudaKernels(), Precision.FP32, name -> Optional.empty(), B, 64));
                for (Step.Launch l : launches) {
                    assertEquals(l.kernel().params().size(), l.args().size(), l.kernel().entry());
                    for (Arg a : l.args()) {
                        if (a instanceof Arg.State st) assertTrue(states.contains(st.name()) || st.name().equals(NodePlan.CLOCK), st.name());
                    }
                }
                Step.Launch step = launches.getLast();
                assertEquals(new Arg.Value(n.results().getFirst()), step.args().get(index(step, n.op().equals("causal_attention") ? "out" : "y")));
                // where the token stands comes from the device clock, so one captured step serves every token
                boolean ring = n.op().equals("causal_conv") && n.intAttr("len") > 1;
                if (n.op().equals("causal_attention") || ring) assertEquals(new Arg.State(NodePlan.CLOCK), step.args().get(index(step, "clock")));
                for (Arg a : step.args()) if (a instanceof Arg.Int i) assertTrue(i.value() == B || i.value() == 1 || i.value() == 64, "a per-token scalar: " + a);
                if (n.op().equals("causal_attention")) assertEquals(new Arg.Int(64), step.args().get(index(step, "capacity")));
            }
        }
    }

    @Test
    void bf16AttentionOfTheEvo2ShapeBindsTheTensorCoreKernel() {
        Graph g = graph("evo2-7b.hyena");
        Node att = g.nodes().stream().filter(n -> n.op().equals("causal_attention")).findFirst().orElseThrow();
        List<Step> steps = NodePlan.of(g, att, new CudaKernels(), Precision.BF16, name -> Optional.empty(), B, L);
        Step.Launch last = (Step.Launch) steps.getLast();
        assertEquals("flash_attention_h32_d128_bf16", last.kernel().entry());
        assertEquals(((Step.Launch) steps.get(0)).args().get(index((Step.Launch) steps.get(0), "y")), last.args().get(index(last, "q")));
        assertEquals(new Arg.Value(att.operands().get(2)), last.args().get(index(last, "v")));
        assertEquals(new Arg.Value(att.results().getFirst()), last.args().get(index(last, "out")));
        assertEquals(new Arg.Int(L), last.args().get(index(last, "length")));
        assertEquals("grid (B*32, ceil(L / 64), 1), block (128, 1, 1)", last.kernel().launch().toString());
    }

    @Test
    void theModalPrefillScansThePromptIntoScratch() {
        Graph g = graph("sh2-tiny.hyena");
        Node modal = g.nodes().stream().filter(n -> n.op().equals("modal_conv")).findFirst().orElseThrow();
        Step.Launch scan = NodePlan.prefillState(g, modal, new CudaKernels(), Precision.FP32, B, L).getFirst();
        assertEquals(new Arg.Int(L), scan.args().get(index(scan, "steps")));
        assertInstanceOf(Arg.Scratch.class, scan.args().get(index(scan, "y")));
        assertEquals(new Arg.State("n" + modal.id() + ".modal"), scan.args().get(index(scan, "state")));
    }

    @Test
    void everyGroupOfTheSamplesBindsToItsInputsMaterialisedValuesAndWeights() {
        java.util.Map<String, Integer> fusedKinds = new java.util.TreeMap<>();
        for (String sample : List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena")) {
            Graph g = graph(sample);
            for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                for (Group group : FuseKernels.standard().run(g, g.nodes(), List.of(), mode)) {
                    List<Step> steps = NodePlan.ofGroup(g, group, new CudaKernels(), Precision.FP32, name -> Optional.empty(), B, L);
                    if (!group.fused()) {
                        assertEquals(summary(plan(g, group.node())), summary(steps), "a single group is its node's plan");
                        continue;
                    }
                    fusedKinds.merge(group.kind(), 1, Integer::sum);
                    assertEquals(1, steps.size(), group + ": one kernel per fused group");
                    Step.Launch l = assertInstanceOf(Step.Launch.class, steps.getFirst());
                    Set<Integer> read = new HashSet<>(), written = new HashSet<>();
                    Set<String> groupWeights = new HashSet<>();
                    group.nodes().forEach(n -> groupWeights.addAll(n.weights().values()));
                    for (int i = 0; i < l.args().size(); i++) {
                        KernelParam param = l.kernel().params().get(i);
                        Arg a = l.args().get(i);
                        assertEquals(param.type() instanceof CType.Pointer, a.isPointer(), l.kernel().entry() + " " + param.name());
                        if (a instanceof Arg.Weight w) assertTrue(groupWeights.contains(w.name()), w.name());
                        if (a instanceof Arg.Value v) {
                            boolean writes = param.type() instanceof CType.Pointer ptr && !ptr.readOnly();
                            (writes ? written : read).add(v.id());
                        }
                        assertFalse(a instanceof Arg.Scratch, "a fused kernel needs no scratch");
                    }
                    assertEquals(Set.copyOf(group.inputs()), read, group + " reads its inputs");
                    assertEquals(Set.copyOf(group.materialised()), written, group + " writes exactly its materialised values");
                    for (int v : group.internal()) assertFalse(read.contains(v) || written.contains(v), "%" + v + " is internal to " + group);
                }
            }
        }
        assertEquals(Set.of("elementwise", "hyena_core", "norm_residual"), fusedKinds.keySet(), fusedKinds.toString());
    }

    @Test
    void thePlanKeepsStateForThePrimitivesTheTableCallsStateful() {
        for (String sample : List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena")) {
            for (Node n : graph(sample).nodes()) assertEquals(NodePlan.stateful(n), n.primitive().stateful(), n.op());
        }
    }

    @Test
    void aFusedGroupBindsItsWeightsAndSizes() {
        Graph g = graph("sh2-tiny.hyena");
        List<Group> groups = FuseKernels.standard().run(g);
        Group core = groups.stream().filter(gr -> gr.kind().equals("hyena_core")).toList().get(1); // layer 1: Hyena-MR, with a skip
        Step.Launch l = (Step.Launch) NodePlan.ofGroup(g, core, new CudaKernels(), Precision.FP32, name -> Optional.empty(), B, L).getFirst();
        Node conv = core.nodes(Primitive.CAUSAL_CONV).getFirst();
        assertEquals(new Arg.Weight(conv.weights().get("weight")), l.args().get(index(l, "h")));
        assertEquals(new Arg.Weight(conv.weights().get("skip")), l.args().get(index(l, "skip")));
        assertEquals(new Arg.Value(core.inputs().getFirst()), l.args().get(index(l, "z")));
        assertEquals(new Arg.Int(L), l.args().get(index(l, "length")));

        Group norm = groups.stream().filter(gr -> gr.kind().equals("norm_residual")).findFirst().orElseThrow();
        Step.Launch n = (Step.Launch) NodePlan.ofGroup(g, norm, new CudaKernels(), Precision.BF16, name -> Optional.empty(), B, L).getFirst();
        assertEquals(new Arg.Weight("layers.0.post_norm.scale"), n.args().get(index(n, "scale")));
        assertEquals(List.of(new Arg.Value(norm.inputs().get(0)), new Arg.Value(norm.inputs().get(1))), n.args().subList(0, 2));
        assertTrue(n.kernel().entry().endsWith("_bf16"), n.kernel().entry());
    }

    /** Steps as comparable text: kernel or GEMM, and arguments (constant data by key, not by array identity). */
    private static List<String> summary(List<Step> steps) {
        return steps.stream().map(NodePlanTest::summary).toList();
    }

    private static String summary(Step s) {
        return switch (s) {
            case Step.Launch l -> l.kernel().entry() + l.args().stream().map(a -> a instanceof Arg.Host h ? "host " + h.key() : a.toString()).toList();
            case Step.Once o -> "once " + summary(o.step());
            default -> s.toString();
        };
    }

    @Test
    void aParameterNothingBindsIsAnError() {
        Graph g = graph("sh2-tiny.hyena");
        Node norm = g.nodes().stream().filter(n -> n.op().equals("rmsnorm")).findFirst().orElseThrow();
        var k = new CudaKernels().forNode(g, norm, Precision.FP32).getFirst();
        var e = assertThrows(IllegalStateException.class, () -> NodePlan.bind(k, norm, B, L, Map.of("x", new Arg.Value(1))));
        assertTrue(e.getMessage().contains("`scale`"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> NodePlan.bind(k, norm, B, L,
                Map.of("x", new Arg.Int(3), "scale", new Arg.Weight("s"), "y", new Arg.Value(2))));
    }

    private static int index(Step.Launch l, String param) {
        for (int i = 0; i < l.kernel().params().size(); i++) if (l.kernel().params().get(i).name().equals(param)) return i;
        throw new AssertionError(l.kernel().entry() + " has no parameter " + param);
    }
}
