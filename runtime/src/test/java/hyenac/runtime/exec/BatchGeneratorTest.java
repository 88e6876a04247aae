package hyenac.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.runtime.text.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Batched generation over a session whose logits are a function of each sequence's whole history, as a causal
 * model's are: ragged prompts, per-sequence sampling and stopping, waves, and stops, each checked against the same
 * prompt generated alone.
 */
class BatchGeneratorTest {
    static final int VOCAB = 7;

    /**
     * A batch session: row b's logits are a hash of every token row b has seen, so a token fed to the wrong row, or
     * one too many or too few, changes everything after it. Records every step's tokens.
     */
    static class HistorySession implements Session {
        final int batch;
        final List<List<Long>> seen = new ArrayList<>();
        final List<long[]> steps = new ArrayList<>();
        int prefills;

        HistorySession(int batch) { this.batch = batch; }

        public int vocab() { return VOCAB; }

        public float[] prefill(long[] tokens, int length) {
            assertEquals(batch * length, tokens.length, "the prefill is [batch, length]");
            prefills++;
            seen.clear();
            for (int b = 0; b < batch; b++) {
                List<Long> h = new ArrayList<>();
                for (int t = 0; t < length; t++) h.add(tokens[b * length + t]);
                seen.add(h);
            }
            return logits();
        }

        public float[] step(long[] tokens) {
            assertEquals(batch, tokens.length, "one token per sequence");
            steps.add(tokens.clone());
            for (int b = 0; b < batch; b++) seen.get(b).add(tokens[b]);
            return logits();
        }

        // generation asks for neither: it is prefills and steps
        public java.util.Map<Integer, float[]> forward(long[] tokens, int batch, int length, java.util.Collection<Integer> wanted) {
            throw new AssertionError("generation ran a forward pass");
        }

        public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
            throw new AssertionError("generation asked for every position's logits");
        }

        private float[] logits() {
            float[] l = new float[batch * VOCAB];
            for (int b = 0; b < batch; b++) {
                long h = seen.get(b).hashCode();
                for (int v = 0; v < VOCAB; v++) l[b * VOCAB + v] = new SplittableRandom(h * VOCAB + v).nextInt(1000) / 100f;
            }
            return l;
        }
    }

    static Sampler sampler(int sequence) { return new Sampler(0.9, 0, 1, 100 + sequence); }

    static List<BatchGenerator.Request> requests(long[]... prompts) {
        List<BatchGenerator.Request> r = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) r.add(new BatchGenerator.Request(prompts[i], sampler(i)));
        return r;
    }

    static Generator.Result alone(long[] prompt, int sequence, int maxNew, boolean stopAtEos) {
        return Generator.generate(new HistorySession(1), prompt, maxNew, sampler(sequence), stopAtEos, null, () -> false);
    }

    static final long[][] RAGGED = {{3, 4, 5, 6, 2, 3}, {2}, {5, 5, 1}, {6, 1, 2, 3, 4, 5, 6, 1, 2}, {4, 4}};

    @Test
    void raggedPromptsGenerateWhatEachGeneratesAlone() {
        for (boolean stopAtEos : new boolean[] {false, true}) {
            for (int batch : new int[] {1, 2, 3, 5, 8}) {
                HistorySession session = new HistorySession(batch);
                BatchGenerator.Result r = BatchGenerator.generate(session, batch, requests(RAGGED), 12, stopAtEos, null, () -> false);
                assertEquals(RAGGED.length, r.started());
                assertEquals((RAGGED.length + batch - 1) / batch, r.waves());
                assertEquals(r.waves(), session.prefills);
                for (int i = 0; i < RAGGED.length; i++) {
                    Generator.Result one = alone(RAGGED[i], i, 12, stopAtEos);
                    Generator.Result got = r.sequences().get(i);
                    assertArrayEquals(one.generated(), got.generated(), "sequence " + i + " at batch " + batch + ", eos " + stopAtEos);
                    assertEquals(one.end(), got.end());
                    assertArrayEquals(RAGGED[i], got.prompt());
                }
                assertEquals(r.sequences().stream().mapToLong(s -> s.generated().length).sum(), r.tokens());
            }
        }
    }

    @Test
    void eachSequenceStopsAtItsOwnEndAndIsFedFillerAfter() {
        // greedy: this history model's argmax reaches end-of-sequence (0) after 3, 6 and 5 tokens; the cap is 5
        long[][] prompts = {{3, 4}, {2, 5}, {6, 6}};
        List<BatchGenerator.Request> reqs = new ArrayList<>();
        for (long[] p : prompts) reqs.add(new BatchGenerator.Request(p, Sampler.greedy()));
        HistorySession session = new HistorySession(3);
        List<String> finished = new ArrayList<>();
        BatchGenerator.Result r = BatchGenerator.generate(session, 3, reqs, 5, true, new BatchGenerator.Listener() {
            @Override public void finished(int sequence, Generator.Result result) {
                finished.add(sequence + ":" + result.end() + "@" + result.generated().length);
            }
        }, () -> false);
        int endedAtEos = 0;
        for (int i = 0; i < prompts.length; i++) {
            Generator.Result got = r.sequences().get(i);
            Generator.Result one = Generator.generate(new HistorySession(1), prompts[i], 5, Sampler.greedy(), true, null, () -> false);
            assertArrayEquals(one.generated(), got.generated());
            if (got.end() == Generator.End.END_OF_SEQUENCE) {
                endedAtEos++;
                assertEquals(0, got.generated()[got.generated().length - 1], "the end is the last token");
                // every step after a sequence's end feeds it the filler
                for (int s = got.generated().length; s < session.steps.size(); s++) {
                    assertEquals(BatchGenerator.FILLER, session.steps.get(s)[i], "step " + s + " of sequence " + i);
                }
            }
        }
        assertEquals(2, endedAtEos, "a mix of ends is what this test needs: " + finished);
        // heard as they finish: 1 at its end, then 0 at the cap and 2 at its end in the same step
        assertEquals(List.of("1:END_OF_SEQUENCE@3", "0:LENGTH@5", "2:END_OF_SEQUENCE@5"), finished);
        assertEquals(r.sequences().stream().mapToInt(s -> s.generated().length).max().orElseThrow() - 1, session.steps.size(),
                "the wave ends with its longest sequence: no step after the last token");
    }

    @Test
    void aShortLastWaveIsPaddedAndThePaddingsOutputGoesNowhere() {
        HistorySession session = new HistorySession(4);
        List<Integer> heard = new ArrayList<>();
        BatchGenerator.Result r = BatchGenerator.generate(session, 4, requests(Arrays.copyOf(RAGGED, 5)), 5, false,
                new BatchGenerator.Listener() {
                    @Override public void token(int sequence, long id, int index) { heard.add(sequence); }
                }, () -> false);
        assertEquals(2, r.waves());
        assertEquals(5, r.sequences().size());
        assertTrue(heard.stream().allMatch(s -> s >= 0 && s < 5), "no token from a padding slot: " + heard);
        assertEquals(5 * 5, heard.size());
        // the second wave: sequence 4 and three padding slots, prefilled at its prompt's length, fed the filler
        assertEquals(List.of(4L, 4L), session.seen.get(1).subList(0, 2));
        assertTrue(session.steps.getLast()[1] == BatchGenerator.FILLER && session.steps.getLast()[3] == BatchGenerator.FILLER);
    }

    @Test
    void aStopRequestEndsTheWaveUnderWayAndStartsNoOther() {
        int[] polls = {0};
        BatchGenerator.Result r = BatchGenerator.generate(new HistorySession(2), 2, requests(RAGGED), 50, false, null, () -> ++polls[0] > 4);
        assertEquals(1, r.waves());
        assertEquals(2, r.started());
        for (int i = 0; i < 2; i++) assertEquals(Generator.End.STOPPED, r.sequences().get(i).end());
        for (int i = 2; i < RAGGED.length; i++) assertNull(r.sequences().get(i), "never started");
        // four polls let four steps' tokens through: sequence 1 (one prompt token) samples all four, sequence 0 (six) none
        assertEquals(4, r.sequences().get(1).generated().length);
        assertEquals(0, r.sequences().get(0).generated().length);
    }

    @Test
    void zeroTokensEndsEverySequenceAfterThePrefill() {
        BatchGenerator.Result r = BatchGenerator.generate(new HistorySession(3), 3, requests(RAGGED), 0, true, null, () -> false);
        for (Generator.Result s : r.sequences()) {
            assertEquals(0, s.generated().length);
            assertEquals(Generator.End.LENGTH, s.end());
        }
    }

    @Test
    void nonFiniteLogitsNameTheSequence() {
        HistorySession nan = new HistorySession(2) {
            @Override public float[] step(long[] tokens) {
                float[] l = super.step(tokens);
                l[VOCAB + 2] = Float.NaN;
                return l;
            }
        };
        var e = assertThrows(Generator.NonFiniteLogitsException.class,
                () -> BatchGenerator.generate(nan, 2, requests(new long[] {1}, new long[] {2}), 5, false, null, () -> false));
        assertTrue(e.getMessage().startsWith("the model's logits for sequence 2 are not finite (NaN for token 2) after 1 generated token;"),
                e.getMessage());
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BatchGenerator.Request(new long[0], Sampler.greedy()));
        assertThrows(IllegalArgumentException.class, () -> BatchGenerator.generate(new HistorySession(1), 0, requests(RAGGED), 1, true, null, null));
    }
}
