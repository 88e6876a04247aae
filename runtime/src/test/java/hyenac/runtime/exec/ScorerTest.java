package hyenac.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Which logits score which token, and how a long sequence is split, against a bigram model whose log-probabilities
 * are known in closed form: p(next | token) = softmax(TABLE[token]).
 */
class ScorerTest {
    static final int VOCAB = 5, LOGITS = 99;
    static final float[][] TABLE = new float[VOCAB][VOCAB];

    static {
        SplittableRandom r = new SplittableRandom(1);
        for (float[] row : TABLE) for (int v = 0; v < VOCAB; v++) row[v] = (float) (4 * r.nextDouble() - 2);
    }

    /** A bigram session: every position's logits are its token's row. Records what the scorer asked of it. */
    static class Bigram implements Session {
        final List<String> calls = new ArrayList<>();
        int batch;

        public int vocab() { return VOCAB; }

        public float[] prefill(long[] tokens, int length) { throw new AssertionError("scoring uses no generation prefill"); }

        public float[] step(long[] tokens) {
            calls.add("step");
            assertEquals(batch, tokens.length, "a step takes one token per sequence of the prefill");
            return rows(tokens);
        }

        public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
            calls.add("forward " + length);
            assertEquals(List.of(LOGITS), List.copyOf(wanted));
            assertEquals(batch * length, tokens.length);
            return Map.of(LOGITS, rows(tokens));
        }

        public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
            calls.add("prefill " + length + " of " + maxLength);
            this.batch = batch;
            assertEquals(batch * length, tokens.length);
            return rows(tokens);
        }

        private static float[] rows(long[] tokens) {
            float[] out = new float[tokens.length * VOCAB];
            for (int i = 0; i < tokens.length; i++) System.arraycopy(TABLE[(int) tokens[i]], 0, out, i * VOCAB, VOCAB);
            return out;
        }
    }

    static double bigram(long from, long to) {
        double sum = 0;
        for (float l : TABLE[(int) from]) sum += Math.exp(l);
        return TABLE[(int) from][(int) to] - Math.log(sum);
    }

    static long[][] sequences(int batch, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[][] s = new long[batch][length];
        for (long[] row : s) for (int t = 0; t < length; t++) row[t] = r.nextInt(VOCAB);
        return s;
    }

    @Test
    void positionTIsScoredByTheLogitsBeforeItInOnePassAndInChunks() {
        long[][] seqs = sequences(3, 11, 2);
        for (int chunk : new int[] {1, 4, 10, 11, 50}) {
            Bigram session = new Bigram();
            double[][] got = Scorer.logProbs(session, LOGITS, seqs, chunk, null);
            for (int b = 0; b < seqs.length; b++) {
                assertEquals(10, got[b].length, "the first token has no score");
                for (int t = 1; t < 11; t++) assertEquals(bigram(seqs[b][t - 1], seqs[b][t]), got[b][t - 1], 1e-6, "chunk " + chunk + " b " + b + " t " + t);
            }
            List<String> expected = new ArrayList<>();
            if (chunk >= 11) {
                expected.add("forward 11");
            } else {
                expected.add("prefill " + chunk + " of 11");
                // the last token predicts nothing, so it is never stepped
                for (int t = chunk; t < 10; t++) expected.add("step");
            }
            assertEquals(expected, session.calls, "chunk " + chunk);
        }
    }

    @Test
    void progressCountsEveryScoredPosition() {
        long[] done = {0};
        hyenac.runtime.progress.Progress.Task task = new hyenac.runtime.progress.Progress.Task() {
            public void advance(long units) { done[0] += units; }
            public void close() {}
        };
        Scorer.logProbs(new Bigram(), LOGITS, sequences(2, 9, 3), 4, task);
        assertEquals(2 * 8, done[0]);
    }

    @Test
    void aNonFiniteLogitNamesTheRowAndPosition() {
        Session poisoned = new Bigram() {
            @Override public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                float[] l = super.forward(tokens, batch, length, wanted).get(LOGITS);
                l[(1 * length + 2) * VOCAB + 3] = Float.NaN;  // row 1, the logits at position 2, which predict position 3
                return Map.of(LOGITS, l);
            }
        };
        var e = assertThrows(Scorer.NonFiniteLogitsException.class, () -> Scorer.logProbs(poisoned, LOGITS, sequences(2, 6, 4), 100, null));
        assertEquals(1, e.sequence());
        assertEquals(3, e.position());
    }

    @Test
    void batchesHoldOneLengthAndAtLeastTwoTokens() {
        assertThrows(IllegalArgumentException.class, () -> Scorer.logProbs(new Bigram(), LOGITS, new long[][] {{1, 2}, {1, 2, 3}}, 8, null));
        assertThrows(IllegalArgumentException.class, () -> Scorer.logProbs(new Bigram(), LOGITS, new long[][] {{1}}, 8, null));
    }
}
