package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.Graph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataAndLoopTest {
    @Test
    void fastaRecordsArePackedWithSeparatorsAndSoftMaskingKept(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("x.fasta"), ">a first\nACgt\nNN\r\n>b\n\nTTaa\n>c\nG\n");
        Corpus c = Corpus.open(f, 2, 0);
        assertEquals(13, c.tokens(), "ACgtNN 0 TTaa 0 G");
        // windows of 3 tokens at offsets 0, 2, 4, …: (13 − 1)/2 = 6, the last held out
        assertEquals(5, c.trainSequences());
        assertEquals(1, c.heldOutSequences());
        Batch held = c.evaluation(4, 2).getFirst();
        assertArrayEquals(new long[] {'a', 0}, held.tokens(), "the last window: a, separator → G");
        assertArrayEquals(new long[] {0, 'G'}, held.targets());
        List<String> seen = new ArrayList<>();
        for (int step = 1; step <= 5; step++) {
            Batch b = c.train(step, 1, 2);
            seen.add((char) b.tokens()[0] + "" + (char) b.tokens()[1]);
        }
        assertEquals(List.of("\0T", "AC", "NN", "Ta", "gt"), seen.stream().sorted().toList(), "one epoch visits every training window once");
        assertArrayEquals(c.train(3, 2, 2).tokens(), Corpus.open(f, 2, 0).train(3, 2, 2).tokens(), "the same seed, the same batches");
    }

    @Test
    void mqarQueriesEveryKeyAfterThePairs() {
        Task t = Task.all().get("mqar").apply(new Task.Knobs(8, 3));
        Batch b = t.batch(1, 0, 0, 1, 15);
        long[] seq = new long[16];
        System.arraycopy(b.tokens(), 0, seq, 0, 15);
        seq[15] = b.targets()[14];
        assertEquals(3, b.scored());
        for (int i = 0; i < 15; i++) {
            if (b.mask()[i] == 0) continue;
            assertTrue(i >= 6 && i % 2 == 0, "queries follow the 3 pairs");
            int pair = -1;
            for (int p = 0; p < 3; p++) if (seq[2 * p] == seq[i]) pair = p;
            assertTrue(pair >= 0, "a query is a key of the pairs");
            assertEquals(seq[2 * pair + 1], b.targets()[i], "its target is that key's value");
        }
        assertEquals(Task.PAD, seq[15]);
    }

    @Test
    void aBf16SpecTrainsFp32MasterWeightsTheExecutorReads() {
        // no dtype: the spec declares bf16 weights, which a WeightStore would hand out as fresh fp32 copies
        Graph g = GradCheck.training("bf16", "import \"std\"\nmodel m {\n vocab = 16\n width = 8\n context = 16\n"
                + " op se = hyena_se(len = 3, groups = 2)\n op mlp = gated_mlp(hidden = 8)\n layers = [se]\n}\n");
        var w = Parameters.initial(g, 0);
        for (String name : g.weights().keySet()) assertSame(w.get(name), w.get(name), name + " is one array, updated in place");
        float[] e = w.get("embedding.weight");
        double sumSq = 0;
        for (float x : e) sumSq += (double) x * x;
        assertEquals(1, sumSq / 16, 0.3, "embedding rows scaled to unit norm");
    }

    @Test
    void linearsStartAsSavannaDoesOutputProjectionsSmaller() {
        Graph g = GradCheck.training("init", "import \"std\"\nmodel m {\n vocab = 16\n width = 64\n context = 16\n"
                + " op se = hyena_se(len = 3, groups = 2)\n op mha = attention(heads = 2)\n op mlp = gated_mlp(hidden = 128)\n layers = [se, mha]\n}\n");
        var w = Parameters.initial(g, 0);
        double small = Math.sqrt(2.0 / (5 * 64)), out = 2 / (2 * Math.sqrt(64));
        assertEquals(small, std(w.get("layers.0.mixer.proj_in.weight")), small * 0.05);
        assertEquals(small, std(w.get("layers.1.mixer.qkv.weight")), small * 0.05);
        assertEquals(out, std(w.get("layers.0.mixer.proj_out.weight")), out * 0.05, "writes into the residual stream");
        assertEquals(out, std(w.get("layers.1.mixer.proj_out.weight")), out * 0.05);
        assertEquals(out, std(w.get("layers.1.mlp.w3.weight")), out * 0.05, "the MLP's output projection too");
        assertEquals(small, std(w.get("layers.1.mlp.w1.weight")), small * 0.05);
    }

    private static double std(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s / v.length);
    }

    @Test
    void anInterruptedRunSavesACheckpointAfterTheStepUnderWay(@TempDir Path dir) throws Exception {
        Graph g = GradCheck.training("small", "import \"std\"\nmodel m {\n vocab = 256\n width = 8\n context = 16\n"
                + " op se = hyena_se(len = 3, groups = 2)\n op mlp = gated_mlp(hidden = 8)\n layers = [se]\n}\n");
        Task task = Task.all().get("recall").apply(new Task.Knobs(4, 2));
        Trainer.Options o = new Trainer.Options(10, 1, 8, 1e-3, 0, 0.1, AdamW.Config.of(0.1, false), 1, 0, 0, 0);
        Trainer t = new Trainer(g, new TaskData(task, 0, 1), o, dir, null);
        AtomicInteger asked = new AtomicInteger();
        List<Long> saved = new ArrayList<>();
        Trainer.Result r = t.run(new Trainer.Listener() {
            @Override public void step(long step, long steps, double loss, double lr, double tps, double eta) {}

            @Override public void evaluated(long step, String metric, double value) {}

            @Override public void saved(long step, Path weights) { saved.add(step); }
        }, () -> asked.incrementAndGet() > 2);
        assertEquals(Trainer.End.INTERRUPTED, r.end());
        assertEquals(List.of(r.step()), saved);
        assertTrue(Files.exists(Checkpoints.optimFile(dir, r.step())));
        assertEquals(r.step(), Checkpoints.load(dir, r.step(), g).step());
    }
}
