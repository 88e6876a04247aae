package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.CpuBackend;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.exec.BatchGenerator;
import hyenac.runtime.exec.Generator;
import hyenac.runtime.exec.Session;
import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batched generation on the CPU backend (fp32) with the sh2-tiny sample, whose layers hold every kind of decode
 * state (FIR rings, modal states, a KV cache): a sequence generates in a batch what it generates alone.
 */
class BatchedGenerationTest {
    static Graph graph;
    static WeightStore weights;
    static final String[] PROMPTS = {"ACGTACGTAC", "GATTACA", "TTGACCAGTAGGCATT", "CCCGGG", "ACGTACGTACGTACGTACGTA"};

    @BeforeAll
    static void compile() {
        Compilation.Result c = Compilation.compile(Path.of(System.getProperty("hyenac.root", ".."), "samples/sh2-tiny.hyena"), null);
        assertTrue(c.ok(), c.checked().diagnostics().all().toString());
        graph = c.graph();
        weights = WeightStore.random(graph, 7);
    }

    static Session open(int batch) { return new CpuBackend().open(graph, weights, batch); }

    static Sampler sampler(int sequence) { return new Sampler(0.8, 0, 1, 40 + sequence); }

    /** Rows are computed independently, in the same order of sums at any batch: a batch's rows are a lone sequence's bits. */
    @Test
    void aBatchsRowsAreBitForBitTheSequencesAlone() {
        int length = 6, vocab = 512;
        long[] both = new long[2 * length];
        long[][] each = {ByteTokenizer.encode("ACGTAC"), ByteTokenizer.encode("TTGACC")};
        for (int b = 0; b < 2; b++) System.arraycopy(each[b], 0, both, b * length, length);
        Session batch = open(2);
        Session[] alone = {open(1), open(1)};
        float[] logits = batch.prefill(both, length);
        float[][] single = {alone[0].prefill(each[0], length), alone[1].prefill(each[1], length)};
        for (int step = 0; step < 4; step++) {
            long[] next = new long[2];
            for (int b = 0; b < 2; b++) {
                float[] row = java.util.Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab);
                assertArrayEquals(single[b], row, "sequence " + b + " after " + step + " steps");
                next[b] = Sampler.argmax(row, 0, vocab);
            }
            logits = batch.step(next);
            for (int b = 0; b < 2; b++) single[b] = alone[b].step(new long[] {next[b]});
        }
    }

    /** Ragged prompts: each finishes its prompt through recurrent steps, then samples as it would alone. */
    @Test
    void raggedPromptsSampledInABatchGenerateWhatEachGeneratesAlone() {
        for (boolean greedy : new boolean[] {true, false}) {
            List<BatchGenerator.Request> requests = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                requests.add(new BatchGenerator.Request(ByteTokenizer.encode(PROMPTS[i]), greedy ? Sampler.greedy() : sampler(i)));
            }
            // five prompts in batches of three: one full wave, then one padded
            BatchGenerator.Result r = BatchGenerator.generate(open(3), 3, requests, 24, true, null, () -> false);
            assertEquals(2, r.waves());
            for (int i = 0; i < PROMPTS.length; i++) {
                Generator.Result one = Generator.generate(open(1), ByteTokenizer.encode(PROMPTS[i]), 24, greedy ? Sampler.greedy() : sampler(i),
                        true, null, () -> false);
                assertArrayEquals(one.generated(), r.sequences().get(i).generated(), (greedy ? "greedy" : "sampled") + " sequence " + i);
                assertEquals(one.end(), r.sequences().get(i).end());
            }
        }
    }

    /** What a longer prompt's forced steps leave is the state its whole prefill leaves: the same logits within fp32 rounding. */
    @Test
    void forcedPromptStepsReachThePrefillsLogits() {
        long[] shortPrompt = ByteTokenizer.encode("GATTACA"), longPrompt = ByteTokenizer.encode("ACGTACGTACGTACGTACGTA");
        int vocab = 512;
        long[] firstPart = new long[2 * shortPrompt.length];
        System.arraycopy(shortPrompt, 0, firstPart, 0, shortPrompt.length);
        System.arraycopy(longPrompt, 0, firstPart, shortPrompt.length, shortPrompt.length);
        Session batch = open(2);
        float[] logits = batch.prefill(firstPart, shortPrompt.length);
        for (int t = shortPrompt.length; t < longPrompt.length; t++) logits = batch.step(new long[] {ByteTokenizer.EOS, longPrompt[t]});
        float[] stepped = java.util.Arrays.copyOfRange(logits, vocab, 2 * vocab);
        float[] prefilled = open(1).prefill(longPrompt, longPrompt.length);
        double err = 0, ref = 0;
        for (int v = 0; v < vocab; v++) {
            err = Math.max(err, Math.abs(stepped[v] - prefilled[v]));
            ref = Math.max(ref, Math.abs(prefilled[v]));
        }
        assertTrue(err <= 1e-5 * ref, "max |stepped − prefilled| = " + err + " against max |logit| " + ref);
    }
}
