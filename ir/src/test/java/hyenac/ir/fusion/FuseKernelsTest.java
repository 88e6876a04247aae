package hyenac.ir.fusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.TensorType;
import hyenac.ir.Weight;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pass on small hand-built graphs: what fuses, what stays in memory, and that no grouping breaks the schedule. */
class FuseKernelsTest {
    /** Builds graphs of width-8 values from ops by name. */
    static final class G {
        final Graph.Builder b = new Graph.Builder();
        final int tokens = b.newValue(new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        final int x;

        G() {
            b.input(tokens);
            x = value(8);
            b.weight(new Weight("embedding.weight", DType.FP32, List.of(16L, 8L), ""));
            node("embedding", List.of(tokens), List.of(x), Map.of("weight", "embedding.weight"), Map.of("vocab", 16L));
        }

        int value(long width) { return b.newValue(TensorType.activation(DType.FP32, width)); }

        Node node(String op, List<Integer> operands, List<Integer> results, Map<String, String> weights, Map<String, Object> attrs) {
            Node n = new Node(b.nextNodeId(), op, attrs, operands, results, weights, op + b.nodes().size(), List.of());
            b.add(n);
            return n;
        }

        int op(String op, int... operands) {
            int y = value(8);
            node(op, java.util.Arrays.stream(operands).boxed().toList(), List.of(y), Map.of(), Map.of());
            return y;
        }

        /** An op no pattern fuses (a linear), standing for any library call between pointwise ops. */
        int gemm(int x) {
            String w = "w" + b.nodes().size();
            b.weight(new Weight(w, DType.FP32, List.of(8L, 8L), ""));
            int y = value(8);
            node("linear", List.of(x), List.of(y), Map.of("weight", w), Map.of("features", 8L, "bias", false));
            return y;
        }

        int norm(int x) {
            String w = "n" + b.nodes().size() + ".scale";
            b.weight(new Weight(w, DType.FP32, List.of(8L), ""));
            int y = value(8);
            node("rmsnorm", List.of(x), List.of(y), Map.of("scale", w), Map.of("eps", 1e-6));
            return y;
        }

        Graph build(int... outputs) {
            for (int o : outputs) b.output(o);
            return b.build();
        }
    }

    static List<Group> fuse(Graph g) { return FuseKernels.standard().run(g); }

    static List<String> kinds(List<Group> groups) { return groups.stream().map(Group::kind).toList(); }

    static Group groupOf(List<Group> groups, int value) {
        return groups.stream().filter(gr -> gr.nodes().stream().anyMatch(n -> n.results().contains(value))).findFirst().orElseThrow();
    }

    /** Every node in exactly one group; running the groups in order meets every operand already computed. */
    static void assertSchedule(Graph g, List<Group> groups) {
        Set<Node> seen = new HashSet<>();
        Set<Integer> available = new HashSet<>(g.inputs());
        for (Group gr : groups) {
            Set<Integer> produced = new HashSet<>();
            for (Node n : gr.nodes()) produced.addAll(n.results());
            for (int v : gr.inputs()) assertTrue(available.contains(v), "%" + v + " read by " + gr + " before it is computed");
            for (Node n : gr.nodes()) {
                assertTrue(seen.add(n), n + " in two groups");
                for (int v : n.operands()) assertTrue(available.contains(v) || produced.contains(v), "%" + v + " unavailable to " + gr);
            }
            available.addAll(gr.materialised());
        }
        assertEquals(Set.copyOf(g.nodes()), seen);
        for (int o : g.outputs()) assertTrue(available.contains(o), "output %" + o + " is never written");
    }

    @Test
    void aChainOfPointwiseOpsIsOneKernelWritingOnlyWhatLeavesIt() {
        G t = new G();
        int a = t.gemm(t.x);
        int act = t.op("gelu", a);
        int b = t.gemm(t.x);
        int prod = t.op("mul", act, b);
        int y = t.gemm(prod);
        Graph g = t.build(y);
        List<Group> groups = fuse(g);
        assertSchedule(g, groups);
        Group chain = groupOf(groups, prod);
        assertEquals("elementwise", chain.kind());
        assertEquals(List.of("gelu", "mul"), chain.nodes().stream().map(Node::op).toList());
        assertEquals(List.of(a, b), chain.inputs());
        assertEquals(List.of(prod), chain.materialised());
        assertEquals(List.of(act), chain.internal());
        // the chain's first node comes before the GEMM b in graph order, but the chain runs after it
        assertEquals(List.of("embedding", "linear", "linear", "gelu", "linear"), groups.stream().map(gr -> gr.nodes().getFirst().op()).toList());
    }

    @Test
    void valuesReadOutsideKeptOrLeavingTheGraphStayMaterialised() {
        G t = new G();
        int a = t.op("gelu", t.x);
        int b = t.op("silu", a);
        int c = t.op("neg", b);
        int outside = t.gemm(a);
        Graph g = t.build(c, outside);
        Group chain = groupOf(fuse(g), c);
        assertEquals(List.of(a, c), chain.materialised(), "a is read by the GEMM, c leaves the graph");
        assertEquals(List.of(b), chain.internal());

        Group keeping = groupOf(FuseKernels.standard().run(g, g.nodes(), List.of(b), FuseKernels.Mode.PARALLEL), c);
        assertEquals(List.of(a, b, c), keeping.materialised(), "a value the caller wants is written");
    }

    @Test
    void aGroupNeverSwallowsADependenceThatLeavesAndComesBack() {
        G t = new G();
        int a = t.op("gelu", t.x);
        int viaGemm = t.gemm(a);
        int b = t.op("add", a, viaGemm); // a → gemm → b and a → b: {a, b} would need the GEMM inside
        Graph g = t.build(b);
        List<Group> groups = fuse(g);
        assertSchedule(g, groups);
        assertFalse(groupOf(groups, a).nodes().stream().anyMatch(n -> n.results().contains(b)));
        assertEquals(List.of("single", "single", "single", "single"), kinds(groups));
    }

    @Test
    void groupsThatAreEachConvexButTogetherCyclicAreRefused() {
        // p1 → q2 and q1 → p2: {p1, p2} and {q1, q2} are each fine, but not both
        G t = new G();
        int p1 = t.op("gelu", t.x), q1 = t.op("silu", t.x);
        int g1 = t.gemm(p1), g2 = t.gemm(q1);
        int p2 = t.op("add", p1, g2), q2 = t.op("add", q1, g1);
        Graph g = t.build(p2, q2);
        Pattern pairs = new Pattern() {
            @Override public String kind() { return "pair"; }

            @Override public Optional<Set<Node>> match(Node n, Context ctx) {
                if (!n.op().equals("add")) return Optional.empty();
                Node first = ctx.producer(n.operands().getFirst());
                return Optional.of(Set.of(first, n)); // proposes without asking: the pass must refuse what breaks the schedule
            }
        };
        List<Group> groups = new FuseKernels(List.of(pairs)).run(g);
        assertSchedule(g, groups);
        assertEquals(1, groups.stream().filter(Group::fused).count(), "the second pair would close a cycle");
    }

    @Test
    void theResidualAddAndTheNormAfterItAreOneRowKernel() {
        G t = new G();
        int mixed = t.gemm(t.norm(t.x));
        int r = t.op("add", t.x, mixed);
        int h = t.norm(r);
        int y = t.op("add", r, t.gemm(h));
        int out = t.norm(y);
        Graph g = t.build(out);
        List<Group> groups = fuse(g);
        assertSchedule(g, groups);
        Group first = groupOf(groups, h);
        assertEquals("norm_residual", first.kind());
        assertEquals(List.of(r, h), first.materialised(), "r is read by the next residual add");
        Group last = groupOf(groups, out);
        assertEquals("norm_residual", last.kind());
        assertEquals(List.of(out), last.materialised(), "the last sum is read only by the norm");
        assertEquals("single", groupOf(groups, t.x + 1).kind(), "the norm of the embedding has no residual add");
    }

    @Test
    void theParallelBlocksSumOfThreeFusesIntoTheNorm() {
        G t = new G();
        int h = t.norm(t.x);
        int m = t.gemm(h), f = t.gemm(h);
        int partial = t.op("add", t.x, m);
        int y = t.op("add", partial, f);
        int next = t.norm(y);
        Graph g = t.build(t.gemm(next), y);
        Group fused = groupOf(fuse(g), next);
        assertEquals(List.of("add", "add", "rmsnorm"), fused.nodes().stream().map(Node::op).toList());
        assertEquals(List.of(t.x, m, f), fused.inputs());
        assertEquals(List.of(y, next), fused.materialised());
    }

    @Test
    void theHyenaCoreFusesOnlyWhenItsIntermediatesArePrivate() {
        G t = new G();
        int z = t.value(24);
        t.b.weight(new Weight("z.weight", DType.FP32, List.of(24L, 8L), ""));
        t.node("linear", List.of(t.x), List.of(z), Map.of("weight", "z.weight"), Map.of("features", 24L, "bias", false));
        int q = t.value(8), k = t.value(8), v = t.value(8);
        t.node("deinterleave", List.of(z), List.of(q, k, v), Map.of(), Map.of("n", 3L));
        int s = t.op("mul", k, v);
        int c = t.value(8);
        t.b.weight(new Weight("h", DType.FP32, List.of(2L, 5L), ""));
        Node conv = t.node("causal_conv", List.of(s), List.of(c), Map.of("weight", "h"), Map.of("len", 5L, "groups", 2L, "taps", "fir", "skip", false));
        int y = t.op("mul", q, c);
        Graph g = t.build(t.gemm(y));
        List<Group> groups = fuse(g);
        assertSchedule(g, groups);
        Group core = groupOf(groups, y);
        assertEquals("hyena_core", core.kind());
        assertEquals(List.of(z), core.inputs());
        assertEquals(List.of(y), core.materialised());

        // wanting c (or a prefill, which builds the FIR ring from s) leaves the core unfused: its kernel writes y alone
        assertEquals("single", groupOf(FuseKernels.standard().run(g, g.nodes(), List.of(c), FuseKernels.Mode.PARALLEL), c).kind());
        List<Group> prefill = FuseKernels.standard().run(g, g.nodes(), List.of(), FuseKernels.Mode.PREFILL);
        assertSchedule(g, prefill);
        assertEquals(List.of(q, s), groupOf(prefill, s).materialised(), "deinterleave and k * v still fuse, writing q and s");
        List<Group> step = FuseKernels.standard().run(g, g.nodes(), List.of(), FuseKernels.Mode.STEP);
        assertEquals(FuseHyenaStep.KIND, groupOf(step, c).kind(), "a decode step steps the convolution inside the mixer's step kernel");
        assertEquals(List.of(y), groupOf(step, c).materialised());
        List<Group> stepKeepingC = FuseKernels.standard().run(g, g.nodes(), List.of(c), FuseKernels.Mode.STEP);
        assertEquals(List.of(conv), groupOf(stepKeepingC, c).nodes(), "wanting c, the convolution steps alone");
    }

    /** z = linear(x) → featurizer (a 3-tap causal_conv) → deinterleave → k * v → filter → q * c: a Hyena mixer. */
    private static Graph mixer(G t, String filterOp, boolean featurizerReadElsewhere, List<Integer> outputs) {
        int z = t.value(24);
        t.b.weight(new Weight("z.weight", DType.FP32, List.of(24L, 8L), ""));
        t.node("linear", List.of(t.x), List.of(z), Map.of("weight", "z.weight"), Map.of("features", 24L, "bias", false));
        int zf = t.value(24);
        t.b.weight(new Weight("feat", DType.FP32, List.of(24L, 3L), ""));
        t.node("causal_conv", List.of(z), List.of(zf), Map.of("weight", "feat"), Map.of("len", 3L, "groups", 24L, "taps", "xcorr", "skip", false));
        int q = t.value(8), k = t.value(8), v = t.value(8);
        t.node("deinterleave", List.of(zf), List.of(q, k, v), Map.of(), Map.of("n", 3L));
        int s = t.op("mul", k, v);
        int c = t.value(8);
        if (filterOp.equals("modal_conv")) {
            t.b.weight(new Weight("lp", DType.FP32, List.of(8L, 4L), ""));
            t.b.weight(new Weight("r", DType.FP32, List.of(8L, 4L), ""));
            t.b.weight(new Weight("d", DType.FP32, List.of(8L), ""));
            t.node("modal_conv", List.of(s), List.of(c), Map.of("log_poles", "lp", "residues", "r", "skip", "d"), Map.of("modes", 4L, "skip", true));
        } else {
            t.b.weight(new Weight("h", DType.FP32, List.of(2L, 5L), ""));
            t.node("causal_conv", List.of(s), List.of(c), Map.of("weight", "h"), Map.of("len", 5L, "groups", 2L, "taps", "fir", "skip", false));
        }
        int y = t.op("mul", t.op("silu", q), c);
        List<Integer> outs = new java.util.ArrayList<>(outputs);
        outs.add(t.gemm(y));
        if (featurizerReadElsewhere) {
            int other = t.value(8);
            t.b.weight(new Weight("other.weight", DType.FP32, List.of(8L, 24L), ""));
            t.node("linear", List.of(zf), List.of(other), Map.of("weight", "other.weight"), Map.of("features", 8L, "bias", false));
            outs.add(other);
        }
        return t.build(outs.stream().mapToInt(Integer::intValue).toArray());
    }

    @Test
    void aDecodeStepsHyenaMixerIsOneKernelFromTheProjectionToTheGate() {
        for (String filter : List.of("causal_conv", "modal_conv")) {
            G t = new G();
            Graph g = mixer(t, filter, false, List.of());
            List<Group> step = step(g);
            assertSchedule(g, step);
            Group mixer = step.stream().filter(gr -> gr.kind().equals(FuseHyenaStep.KIND)).findFirst().orElseThrow();
            assertEquals(List.of("causal_conv", "deinterleave", "mul", filter, "silu", "mul"), ops(mixer), filter);
            assertEquals(1, mixer.inputs().size(), "reads the projection z only");
            assertEquals(g.nodes().get(1).results(), mixer.inputs(), "z, the linear's result");
            assertEquals(1, mixer.materialised().size(), "writes y only");
            // a prompt fuses no state: its mixer is a hyena_core
            assertTrue(fuse(g).stream().noneMatch(gr -> gr.kind().equals(FuseHyenaStep.KIND)));
        }
    }

    @Test
    void aPromptsHyenaCoreTakesTheFeaturizerItsSplitAloneReads() {
        for (String filter : List.of("causal_conv", "modal_conv")) {
            G t = new G();
            Graph g = mixer(t, filter, false, List.of());
            List<Group> groups = fuse(g);
            assertSchedule(g, groups);
            Group core = groups.stream().filter(gr -> gr.kind().equals(FuseHyenaCore.KIND)).findFirst().orElseThrow();
            assertEquals(List.of("causal_conv", "deinterleave", "mul", filter, "silu", "mul"), ops(core), filter);
            assertEquals(g.nodes().get(1).results(), core.inputs(), "reads the projection's output u, not z");
            assertEquals(1, core.materialised().size(), "writes y only");
            assertEquals(g.nodes().get(2).results(), core.internal().subList(0, 1), "z is internal: no buffer");
            // where a target runs the featurizer apart, the rest of the group reads z
            Group rest = core.without(g.nodes().get(2));
            assertEquals(ops(core).subList(1, 6), ops(rest));
            assertEquals(g.nodes().get(2).results(), rest.inputs());
            assertEquals(core.materialised(), rest.materialised());
        }
        // z read elsewhere, or wanted: the featurizer runs alone and the core reads z
        G t = new G();
        Graph g = mixer(t, "causal_conv", true, List.of());
        Node featurizer = g.nodes().get(2);
        List<Group> groups = fuse(g);
        assertSchedule(g, groups);
        assertEquals("single", groupOf(groups, featurizer.results().getFirst()).kind());
        Group core = groups.stream().filter(gr -> gr.kind().equals(FuseHyenaCore.KIND)).findFirst().orElseThrow();
        assertEquals(List.of("deinterleave", "mul", "causal_conv", "silu", "mul"), ops(core));
        assertEquals(featurizer.results(), core.inputs());
        G t2 = new G();
        Graph g2 = mixer(t2, "causal_conv", false, List.of());
        int z = g2.nodes().get(2).results().getFirst();
        Group keeping = groupOf(FuseKernels.standard().run(g2, g2.nodes(), List.of(z), FuseKernels.Mode.PARALLEL), z);
        assertEquals("single", keeping.kind(), "a wanted z is materialised by the featurizer alone");
        // a prefill keeps s for the filter's ring: no core forms, so the featurizer stays apart too
        List<Group> prefill = FuseKernels.standard().run(g2, g2.nodes(), List.of(), FuseKernels.Mode.PREFILL);
        assertEquals("single", groupOf(prefill, z).kind());
    }

    @Test
    void aFeaturizerReadElsewhereStepsAloneAndTheMixerReadsItsOutput() {
        G t = new G();
        Graph g = mixer(t, "causal_conv", true, List.of());
        List<Group> step = step(g);
        assertSchedule(g, step);
        Node featurizer = g.nodes().get(2);
        assertEquals("single", groupOf(step, featurizer.results().getFirst()).kind());
        Group mixer = step.stream().filter(gr -> gr.kind().equals(FuseHyenaStep.KIND)).findFirst().orElseThrow();
        assertEquals(List.of("deinterleave", "mul", "causal_conv", "silu", "mul"), ops(mixer));
        assertEquals(featurizer.results(), mixer.inputs());
    }


    @Test
    void onlyTheNodesThatRunAreGrouped() {
        G t = new G();
        int a = t.op("gelu", t.x);
        int b = t.op("mul", a, t.x);
        int r = t.op("add", b, t.x);
        int n = t.norm(r);
        Graph g = t.build(n);
        // a run given b: the nodes after it only; b is an input of the run, its producer does not run
        List<Node> running = g.nodes().subList(3, 5);
        List<Group> groups = FuseKernels.standard().run(g, running, List.of(), FuseKernels.Mode.PARALLEL);
        assertEquals(1, groups.size());
        assertEquals(List.of(b, t.x), groups.getFirst().inputs());
        assertEquals("norm_residual", groups.getFirst().kind());
    }

    static List<Group> step(Graph g, Integer... keep) { return FuseKernels.standard().run(g, g.nodes(), List.of(keep), FuseKernels.Mode.STEP); }

    static List<String> ops(Group group) { return group.nodes().stream().map(Node::op).toList(); }

    @Test
    void aDecodeStepsGatedMlpIsOneGemvWritingOnlyTheProduct() {
        G t = new G();
        int h = t.norm(t.x);
        int a = t.gemm(h);
        int act = t.op("gelu", a);
        int b = t.gemm(h);
        int prod = t.op("mul", act, b);
        int y = t.gemm(prod);
        Graph g = t.build(t.norm(t.op("add", t.x, y)));
        List<Group> groups = step(g);
        assertSchedule(g, groups);
        Group gemv = groupOf(groups, prod);
        assertEquals(FuseGemv.KIND, gemv.kind());
        assertEquals(List.of("linear", "gelu", "linear", "mul"), ops(gemv));
        assertEquals(List.of(h), gemv.inputs());
        assertEquals(List.of(prod), gemv.materialised());
        assertEquals(List.of(a, act, b), gemv.internal());
        // the projection after the product has no epilogue of its own: its add belongs to the norm
        assertEquals("single", groupOf(groups, y).kind());
        assertEquals("norm_residual", groupOf(groups, y + 1).kind());
        // a prompt's projections are library GEMMs: the gate stays an elementwise chain there
        assertEquals("elementwise", groupOf(fuse(g), prod).kind());
    }

    @Test
    void theGatesActivationMaySitOnEitherProjection() {
        G t = new G();
        int a = t.gemm(t.x);
        int b = t.gemm(t.x);
        int act = t.op("silu", b);
        int prod = t.op("mul", a, act);
        Graph g = t.build(prod);
        Group gemv = groupOf(step(g), prod);
        assertEquals(FuseGemv.KIND, gemv.kind());
        assertEquals(List.of("linear", "linear", "silu", "mul"), ops(gemv));
        assertEquals(List.of(prod), gemv.materialised());
    }

    @Test
    void aProjectionTakesItsActivationAndAResidualAddThatNoNormClaims() {
        G t = new G();
        int a = t.gemm(t.x);
        int act = t.op("relu", a);
        int r = t.op("add", t.x, act);
        int plain = t.op("add", t.gemm(r), r);
        Graph g = t.build(plain);
        List<Group> groups = step(g);
        assertSchedule(g, groups);
        assertEquals(List.of("linear", "relu", "add"), ops(groupOf(groups, r)));
        assertEquals(List.of(t.x), groupOf(groups, r).inputs());
        assertEquals(List.of("linear", "add"), ops(groupOf(groups, plain)));
        assertEquals(List.of(r), groupOf(groups, plain).inputs());
    }

    @Test
    void aGemvStopsAtAValueReadOrKeptElsewhere() {
        G t = new G();
        int a = t.gemm(t.x);
        int act = t.op("gelu", a);
        int b = t.gemm(t.x);
        int prod = t.op("mul", act, b);
        int elsewhere = t.op("neg", a);
        Graph g = t.build(prod, elsewhere);
        List<Group> groups = step(g);
        assertSchedule(g, groups);
        // a is read by neg too: its projection runs alone and writes it
        assertEquals("single", groupOf(groups, a).kind());
        assertEquals(List.of(a), groupOf(groups, a).materialised());

        G u = new G();
        int c = u.gemm(u.x);
        int gelu = u.op("gelu", c);
        Graph kept = u.build(gelu);
        assertEquals(FuseGemv.KIND, groupOf(step(kept), gelu).kind());
        assertEquals("single", groupOf(step(kept, c), c).kind(), "a value the caller wants is written, so nothing fuses past it");
    }

    @Test
    void aProductOfProjectionsOfDifferentInputsIsNoGate() {
        G t = new G();
        int a = t.gemm(t.x);
        int b = t.gemm(t.op("neg", t.x));
        int prod = t.op("mul", a, b);
        Graph g = t.build(prod);
        List<Group> groups = step(g);
        assertSchedule(g, groups);
        assertEquals("single", groupOf(groups, prod).kind(), "mul(x·W0, neg(x)·W1) is not one GEMV");
        assertEquals(List.of("linear"), ops(groupOf(groups, a)));
    }
}
