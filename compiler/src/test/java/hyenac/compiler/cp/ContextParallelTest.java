package hyenac.compiler.cp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.ContextParallelCpu;
import hyenac.backends.cpu.ContextParallelRank.Sent;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.cp.ContextParallelException;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.cp.CpMode;
import hyenac.runtime.exec.Session;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Sharded passes equal one rank's, and each exchange sends what the paper's formulas say. */
class ContextParallelTest {
    static Graph sample(String name) {
        Path root = Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize();
        Compilation.Result r = Compilation.compile(root.resolve("samples").resolve(name), null);
        if (!r.ok()) throw new IllegalStateException(name + " does not compile: " + r.checked().diagnostics().all());
        return r.graph();
    }

    static long[] tokens(int batch, int length, long seed) {
        Random random = new Random(seed);
        long[] t = new long[batch * length];
        for (int i = 0; i < t.length; i++) t[i] = random.nextInt(256);
        return t;
    }

    static double relative(float[] got, float[] ref) {
        assertEquals(ref.length, got.length);
        double err = 0, max = 0;
        for (int i = 0; i < ref.length; i++) {
            err = Math.max(err, Math.abs((double) got[i] - ref[i]));
            max = Math.max(max, Math.abs(ref[i]));
        }
        return err / max;
    }

    /** Lengths: short enough for the CPU, long enough that p2p's halos (MR: 127, custom-ops: 31) fit a chunk. */
    @ParameterizedTest(name = "{0} N={1} {2} L={3}")
    @CsvSource({
            "sh2-tiny.hyena, 2, auto, 64", "sh2-tiny.hyena, 4, auto, 64", "sh2-tiny.hyena, 2, a2a, 64", "sh2-tiny.hyena, 4, a2a, 64",
            "sh2-tiny.hyena, 2, p2p, 512", "sh2-tiny.hyena, 4, p2p, 1024",
            "transformer-tiny.hyena, 2, auto, 64", "transformer-tiny.hyena, 4, auto, 64", "transformer-tiny.hyena, 4, p2p, 64",
            "custom-ops.hyena, 2, auto, 64", "custom-ops.hyena, 4, auto, 64", "custom-ops.hyena, 2, a2a, 64", "custom-ops.hyena, 4, a2a, 64",
            "custom-ops.hyena, 2, p2p, 128", "custom-ops.hyena, 4, p2p, 256"})
    void logitsEqualOneRank(String name, int ranks, String mode, int length) {
        Graph g = sample(name);
        WeightStore w = WeightStore.random(g, 7);
        int batch = 2, logits = g.outputs().getFirst();
        long[] t = tokens(batch, length, 11);
        float[] ref = new CpuExecutor(g, w).run(batch, length, t, Map.of(), List.of(logits)).get(logits);
        ContextParallelCpu cp = new ContextParallelCpu(PlanContextParallel.plan(g, ranks, CpMode.of(mode)));
        float[] got = cp.run(g, w, batch, length, t, Map.of(), List.of(logits)).values().get(logits);
        double rel = relative(got, ref);
        assertTrue(rel <= 1e-5, name + " N=" + ranks + " " + mode + ": max|err|/max|ref| = " + rel);
    }

    @Test
    void a2aSendsFourDTimesNMinusOneOverNSquaredTimesL() {
        Graph g = sample("sh2-tiny.hyena");
        WeightStore w = WeightStore.random(g, 7);
        int batch = 2, length = 64, d = 64;
        for (int n : new int[] {2, 4}) {
            ContextParallelPlan plan = PlanContextParallel.plan(g, n, CpMode.AUTO);
            var r = new ContextParallelCpu(plan).run(g, w, batch, length, tokens(batch, length, 3), Map.of(), List.of(g.outputs().getFirst()));
            long expected = 4L * (n - 1) * d * length * batch / (n * n);
            for (int rank = 0; rank < n; rank++) {
                List<Sent> a2a = r.traffic().get(rank).stream().filter(s -> s.kind().equals("a2a")).toList();
                assertEquals(4, a2a.size(), "sh2-tiny has two MR and two LI operators"); // auto: SE and featurizers around them by halo
                for (Sent s : a2a) assertEquals(expected, s.elements(), "rank " + rank + " " + s.what());
                // and the plan, which explain prints, says the same as was measured
                long planned = plan.steps().stream().filter(s -> s.kind().equals("a2a")).mapToLong(s -> s.sent(0, n, batch, length)).sum();
                assertEquals(4 * expected, planned);
            }
        }
    }

    @Test
    void p2pSendsTwoDTimesKMinusOnePerExchange() {
        Graph g = sample("sh2-tiny.hyena");
        WeightStore w = WeightStore.random(g, 7);
        int batch = 1, length = 64, n = 4;
        ContextParallelPlan plan = PlanContextParallel.plan(g, n, CpMode.AUTO);
        var r = new ContextParallelCpu(plan).run(g, w, batch, length, tokens(batch, length, 3), Map.of(), List.of(g.outputs().getFirst()));
        Map<String, Long> channelsTimesHalo = new java.util.HashMap<>();
        for (Node node : g.nodes()) {
            if (node.is(Primitive.CAUSAL_CONV)) {
                channelsTimesHalo.put(node.path(), g.value(node.operands().getFirst()).type().channels() * (node.intAttr("len") - 1));
            }
        }
        for (int rank = 0; rank < n; rank++) {
            List<Sent> p2p = r.traffic().get(rank).stream().filter(s -> s.kind().equals("p2p")).toList();
            assertEquals(4, p2p.size(), "two SE operators: featurizer and filter each"); // MR and LI featurizers ride their a2a
            for (Sent s : p2p) {
                long dk = channelsTimesHalo.get(s.what());
                // a rank with neighbours on both sides sends both halos, 2·D·(ℓh−1); the ends send one
                long expected = (rank == 0 || rank == n - 1 ? 1 : 2) * dk * batch;
                assertEquals(expected, s.elements(), "rank " + rank + " " + s.what());
            }
        }
    }

    @Test
    void prefillThenDecodeOnRankZeroMatchesOneRank() {
        Graph g = sample("sh2-tiny.hyena");
        WeightStore w = WeightStore.random(g, 5);
        int batch = 1, length = 37; // padded to 48 for N = 4: 8 chunks of 6, the SE halo
        long[] prompt = tokens(batch, length, 9);
        CpuExecutor one = new CpuExecutor(g, w);
        float[] ref = one.prefill(prompt, batch, length);
        Session cp = new ContextParallelCpu(PlanContextParallel.plan(g, 4, CpMode.AUTO)).open(g, w, batch);
        float[] got = cp.prefill(prompt, length);
        assertTrue(relative(got, ref) <= 1e-5, "prefill: " + relative(got, ref));
        for (int s = 0; s < 4; s++) {
            long[] next = {hyenac.runtime.text.Sampler.argmax(ref, 0, ref.length)};
            ref = one.step(next);
            got = cp.step(next);
            assertTrue(relative(got, ref) <= 1e-5, "step " + s + ": " + relative(got, ref));
        }
    }

    @Test
    void errorsSayWhatAndHowToFix() {
        Graph g = sample("sh2-tiny.hyena");
        WeightStore w = WeightStore.random(g, 7);
        ContextParallelCpu two = new ContextParallelCpu(PlanContextParallel.plan(g, 2, CpMode.AUTO));
        var e = assertThrows(ContextParallelException.class, () -> two.run(g, w, 1, 66, tokens(1, 66, 1), Map.of(), List.of(g.outputs().getFirst())));
        assertTrue(e.getMessage().contains("does not cut into 2N = 4 equal chunks") && e.getMessage().contains("64 or 68"), e.getMessage());
        // sh2-tiny's MR has 4 filter groups: 8 ranks would split them
        e = assertThrows(ContextParallelException.class, () -> PlanContextParallel.plan(g, 8, CpMode.AUTO));
        assertTrue(e.getMessage().contains("not a whole number of filter groups") && e.getMessage().contains("divides 4"), e.getMessage());
        // p2p: MR's 127-position halo does not fit chunks of 16
        ContextParallelCpu p2p = new ContextParallelCpu(PlanContextParallel.plan(g, 2, CpMode.P2P));
        e = assertThrows(ContextParallelException.class, () -> p2p.run(g, w, 1, 64, tokens(1, 64, 1), Map.of(), List.of(g.outputs().getFirst())));
        assertTrue(e.getMessage().contains("--cp-mode a2a") && e.getMessage().contains("at least 2N·(K−1) = 508 tokens"), e.getMessage());
    }

    @Test
    void planPrintsItsExchanges() {
        Graph g = sample("sh2-tiny.hyena");
        String text = PlanContextParallel.plan(g, 4, CpMode.AUTO).print(g, 1, 64);
        assertTrue(text.contains("a2a   region"), text);
        assertTrue(text.contains("p2p   layers.0.mixer.filter"), text);
        assertTrue(text.contains("ring  layers.3.mixer"), text);
        assertTrue(text.contains("in   %") && text.contains("[B, L/N, 192] → [B, L, 192/N]"), text);
    }
}
