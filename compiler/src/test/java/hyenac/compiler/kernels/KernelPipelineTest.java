package hyenac.compiler.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.TensorType;
import hyenac.ir.Weight;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Site;
import hyenac.ir.plan.Size;
import hyenac.ir.plan.Step;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The kernel pipeline's stages around a fake target: slicing, algorithm choice, verification, caching and printing. */
class KernelPipelineTest {
    /** tokens → embedding %1 → causal_conv %2 → linear %3 (the output); values of 4, 4 and 8 channels. */
    static Graph graph() {
        Graph.Builder b = new Graph.Builder();
        int tokens = b.newValue(new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        int x = b.newValue(TensorType.activation(DType.FP32, 4));
        int c = b.newValue(TensorType.activation(DType.FP32, 4));
        int y = b.newValue(TensorType.activation(DType.FP32, 8));
        b.input(tokens).output(y);
        b.weight(new Weight("embedding.weight", DType.FP32, List.of(16L, 4L), ""));
        b.weight(new Weight("conv.weight", DType.FP32, List.of(4L, 3L), ""));
        b.weight(new Weight("p.weight", DType.FP32, List.of(8L, 4L), ""));
        b.add(new Node(b.nextNodeId(), "embedding", Map.of("vocab", 16L), List.of(tokens), List.of(x), Map.of("weight", "embedding.weight"), "embedding", List.of()));
        b.add(new Node(b.nextNodeId(), "causal_conv", Map.of("len", 3L), List.of(x), List.of(c), Map.of("weight", "conv.weight"), "conv", List.of()));
        b.add(new Node(b.nextNodeId(), "linear", Map.of("features", 8L), List.of(c), List.of(y), Map.of("weight", "p.weight"), "p", List.of()));
        return b.build();
    }

    /**
     * Every node as one launch of a kernel reading its operands and writing its results; the convolution offered by
     * every algorithm at the costs given; what it was asked recorded.
     */
    static final class FakeLowering implements Lowering {
        final Map<Algorithm, Double> costs;
        final List<Shape> costedAt = new ArrayList<>();
        final List<List<Group>> lowered = new ArrayList<>();
        boolean malformed;

        FakeLowering(Map<Algorithm, Double> costs) { this.costs = costs; }

        @Override public String target() { return "fake"; }

        @Override public List<Algorithm> algorithms(Graph g, Node n, Phase phase) {
            return n.op().equals("causal_conv") ? List.copyOf(costs.keySet()) : List.of();
        }

        @Override public double cost(Graph g, Node n, Algorithm algorithm, Shape shape) {
            costedAt.add(shape);
            return costs.get(algorithm);
        }

        @Override public Plan lower(Graph g, List<Group> groups, Map<Integer, Algorithm> algorithms, Phase phase, Set<Integer> given,
                                    Collection<Integer> wanted) {
            lowered.add(groups);
            List<Buffer> buffers = new ArrayList<>();
            Map<Integer, Integer> values = new HashMap<>();
            Map<String, Kernel> kernels = new LinkedHashMap<>();
            List<Step> steps = new ArrayList<>();
            java.util.function.IntUnaryOperator value = v -> values.computeIfAbsent(v, id -> {
                buffers.add(new Buffer(buffers.size(), g.value(id).type().dtype() == DType.I64 ? Buffer.Kind.TOKENS : Buffer.Kind.VALUE,
                        g.value(id).type().dtype() == DType.I64 ? "tokens" : "%" + id, g.value(id).type().dtype(),
                        g.value(id).type().dtype() == DType.I64 ? Size.rows() : Size.rows().times(g.value(id).type().channels()), -1));
                return buffers.size() - 1;
            });
            for (int v : given) value.applyAsInt(v);
            for (Group group : groups) {
                Node n = group.node();
                List<Kernel.Param> params = new ArrayList<>();
                List<Arg> args = new ArrayList<>();
                for (int i = 0; i < n.operands().size(); i++) {
                    int b = value.applyAsInt(n.operands().get(i));
                    params.add(new Kernel.Param("x" + i, Kernel.Param.Type.POINTER, buffers.get(b).element(), true));
                    args.add(new Arg.Buf(b));
                }
                // a malformed plan: the last node's result is never written
                if (!(malformed && n == groups.getLast().node())) {
                    for (int i = 0; i < n.results().size(); i++) {
                        int b = value.applyAsInt(n.results().get(i));
                        params.add(new Kernel.Param("y" + i, Kernel.Param.Type.POINTER, DType.FP32, false));
                        args.add(new Arg.Buf(b));
                    }
                } else {
                    value.applyAsInt(n.results().getFirst());
                }
                String entry = n.op() + "_fp32";
                kernels.putIfAbsent(entry, new Kernel(entry, n.op(), "fake", "", params, List.of(Size.rows(), Size.of(1), Size.of(1)), List.of(1, 1, 1)));
                steps.add(new Step.Launch(entry, args, false, new Site(List.of(n.id()), n.op(), n.path(), n.origins(), algorithms.get(n.id()))));
            }
            return new Plan(phase, given, List.copyOf(wanted), buffers, List.of(), List.copyOf(kernels.values()), steps, Map.of());
        }
    }

    static Map<Algorithm, Double> costs(Object... pairs) {
        Map<Algorithm, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((Algorithm) pairs[i], (Double) pairs[i + 1]);
        return m;
    }

    @Test
    void theCheapestAlgorithmIsChosenAndTiesGoToTheFirstOffer() {
        Graph g = graph();
        Plan p = new KernelPipeline(g, new FakeLowering(costs(Algorithm.DIRECT, 2.0, Algorithm.FFT, 1.0)), false).plan(Phase.PARALLEL);
        assertEquals(Algorithm.FFT, convStep(p).site().algorithm());
        Plan tie = new KernelPipeline(g, new FakeLowering(costs(Algorithm.FFT, 1.0, Algorithm.DIRECT, 1.0)), false).plan(Phase.PARALLEL);
        assertEquals(Algorithm.FFT, convStep(tie).site().algorithm());
        Plan tie2 = new KernelPipeline(g, new FakeLowering(costs(Algorithm.DIRECT, 1.0, Algorithm.FFT, 1.0)), false).plan(Phase.PARALLEL);
        assertEquals(Algorithm.DIRECT, convStep(tie2).site().algorithm());
        for (Step s : p.steps()) if (!s.site().ops().equals("causal_conv")) assertEquals(null, s.site().algorithm(), "only convolutions have one");
    }

    @Test
    void aPreferredAlgorithmIsChosenWhereverItIsOffered() {
        Graph g = graph();
        FakeLowering target = new FakeLowering(costs(Algorithm.DIRECT, 1.0, Algorithm.BLOCKED, 2.0));
        assertEquals(Algorithm.BLOCKED, convStep(new KernelPipeline(g, target, false, Algorithm.BLOCKED).plan(Phase.PARALLEL)).site().algorithm());
        assertEquals(Algorithm.DIRECT, convStep(new KernelPipeline(g, target, false, Algorithm.FFT).plan(Phase.PARALLEL)).site().algorithm(),
                "not offered: the cheapest");
        assertEquals(Algorithm.BLOCKED, KernelPipeline.preferred(" Blocked "));
        assertEquals(null, KernelPipeline.preferred(null));
        var e = assertThrows(IllegalArgumentException.class, () -> KernelPipeline.preferred("winograd"));
        assertTrue(e.getMessage().contains("direct") && e.getMessage().contains("blocked"), e.getMessage());
        StringWriter out = new StringWriter();
        new KernelPipeline(g, target, false, Algorithm.BLOCKED).printAfter(Set.of("select-algorithms"), new PrintWriter(out)).plan(Phase.PARALLEL);
        assertTrue(out.toString().contains("blocked preferred wherever offered") && out.toString().contains("-> blocked  preferred (direct 1.00e+06 us, blocked 2.00e+06 us)"),
                out.toString());
    }

    private static Step convStep(Plan p) {
        return p.steps().stream().filter(s -> s.site().ops().equals("causal_conv")).findFirst().orElseThrow();
    }

    @Test
    void costsAreJudgedAtTheReferenceShapeAndADecodeStepAtOneToken() {
        Graph g = graph();
        FakeLowering target = new FakeLowering(costs(Algorithm.DIRECT, 1.0, Algorithm.RECURRENT, 2.0));
        KernelPipeline pipeline = new KernelPipeline(g, target, false);
        pipeline.plan(Phase.PARALLEL);
        assertEquals(List.of(KernelPipeline.REFERENCE, KernelPipeline.REFERENCE), target.costedAt);
        target.costedAt.clear();
        pipeline.plan(Phase.STEP);
        Shape step = target.costedAt.getFirst();
        assertEquals(List.of(KernelPipeline.REFERENCE.batch(), 1L), List.of(step.batch(), step.length()));
        assertTrue(step.capacity() >= KernelPipeline.REFERENCE.length(), "a cache holding the reference's tokens: " + step);
    }

    @Test
    void plansAreMadeOnceAndMemoryIsPlanned() {
        FakeLowering target = new FakeLowering(costs(Algorithm.DIRECT, 1.0));
        KernelPipeline pipeline = new KernelPipeline(graph(), target, false);
        Plan p = pipeline.plan(Phase.PARALLEL);
        assertSame(p, pipeline.plan(Phase.PARALLEL));
        assertSame(p, pipeline.plan(Phase.PARALLEL, Set.of(), List.of(3)));
        assertEquals(1, target.lowered.size(), "asking again costs nothing");
        assertTrue(!p.slots().isEmpty());
        for (Buffer b : p.buffers()) assertEquals(b.kind().pooled(), b.slot() >= 0, b.name());
        assertEquals(KernelPipeline.STAGES, pipeline.timings().stream().map(t -> t.pass()).toList());
        pipeline.plan(Phase.PREFILL);
        assertEquals(2, target.lowered.size(), "another phase is another plan");
    }

    @Test
    void aPlanHoldsOnlyTheNodesItsWantedValuesNeedFromItsGivenOnes() {
        FakeLowering target = new FakeLowering(costs(Algorithm.DIRECT, 1.0));
        KernelPipeline pipeline = new KernelPipeline(graph(), target, false);
        // the embedding alone
        Plan first = pipeline.plan(Phase.PARALLEL, Set.of(), List.of(1));
        assertEquals(List.of("embedding"), first.steps().stream().map(s -> s.site().ops()).toList());
        // from a given %1: the convolution and the projection, no embedding and no tokens
        Plan rest = pipeline.plan(Phase.PARALLEL, Set.of(1), List.of(3));
        assertEquals(List.of("causal_conv", "linear"), rest.steps().stream().map(s -> s.site().ops()).toList());
        assertTrue(rest.buffers().stream().noneMatch(b -> b.kind() == Buffer.Kind.TOKENS));
        assertEquals(Set.of(1), rest.given());
        // the convolution only, between two given and wanted values
        Plan conv = pipeline.plan(Phase.PARALLEL, Set.of(1), List.of(2));
        assertEquals(List.of("causal_conv"), conv.steps().stream().map(s -> s.site().ops()).toList());
    }

    @Test
    void aValueTheGivenOnesCannotReachIsAnError() {
        KernelPipeline pipeline = new KernelPipeline(graph(), new FakeLowering(costs(Algorithm.DIRECT, 1.0)), false);
        var e = assertThrows(IllegalArgumentException.class, () -> pipeline.plan(Phase.PARALLEL, Set.of(), List.of(0)));
        assertTrue(e.getMessage().contains("%0 cannot be computed"), e.getMessage());
    }

    @Test
    void aMalformedLoweringIsCaughtNotRun() {
        FakeLowering target = new FakeLowering(costs(Algorithm.DIRECT, 1.0));
        target.malformed = true;
        var e = assertThrows(IllegalStateException.class, () -> new KernelPipeline(graph(), target, false).plan(Phase.PARALLEL));
        assertTrue(e.getMessage().contains("wanted value %3 is never written"), e.getMessage());
    }

    @Test
    void printAfterPrintsTheNamedStagesInOrder() {
        StringWriter all = new StringWriter();
        new KernelPipeline(graph(), new FakeLowering(costs(Algorithm.DIRECT, 3e-6, Algorithm.FFT, 1e-6)), false)
                .printAfter(Set.of("all"), new PrintWriter(all)).plan(Phase.PARALLEL);
        List<String> headers = all.toString().lines().filter(l -> l.startsWith("// ----- ")).toList();
        assertEquals(KernelPipeline.STAGES.stream().map(s -> "// ----- parallel after " + s).toList(), headers);
        assertTrue(all.toString().contains("causal_conv conv -> fft  (direct 3.00 us, fft 1.00 us)"), all.toString());
        assertTrue(all.toString().contains("group 1  single [causal_conv] reads %1 writes %2  ; conv"), all.toString());

        StringWriter one = new StringWriter();
        new KernelPipeline(graph(), new FakeLowering(costs(Algorithm.DIRECT, 1.0)), false)
                .printAfter(Set.of("plan-memory"), new PrintWriter(one)).plan(Phase.PARALLEL);
        assertEquals(List.of("// ----- parallel after plan-memory"), one.toString().lines().filter(l -> l.startsWith("// ----- ")).toList());
        assertTrue(one.toString().contains("bytes at " + KernelPipeline.REFERENCE), "the pool at the reference shape:\n" + one);
    }
}
