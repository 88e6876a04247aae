package hyenac.runtime.exec;

import hyenac.runtime.progress.Progress;
import java.util.List;
import java.util.Locale;

/**
 * The log-likelihood a model gives sequences: for each position t ≥ 1, log p(x_t | x_0 … x_{t−1}) in nats, the
 * log-softmax of the logits at t − 1 taken at x_t. The first token has no prediction (the byte tokenizer has no
 * beginning-of-sequence token to predict it from) and is not scored.
 *
 * <p>A sequence of at most {@code chunk} tokens is one stateless forward pass. A longer one is a prefill of its first
 * {@code chunk} tokens, which returns every position's logits and keeps the recurrent states, then one step per
 * further token: the same numbers as one pass (the recurrent forms are exact), in the memory of a chunk.
 */
public final class Scorer {
    /**
     * A logit that is NaN or infinite, among those that predict {@code position} of row {@code sequence} of a batch: a
     * score from it would be garbage, so scoring stops.
     */
    public static final class NonFiniteLogitsException extends RuntimeException {
        private final int sequence, position;

        NonFiniteLogitsException(int sequence, int position, float value, int token) {
            super(String.format(Locale.ROOT, "the model's logits predicting position %d are not finite (%s for token %d); the weights or"
                    + " activations overflow (check the weights, or run in fp32 with --target cpu)", position, value, token));
            this.sequence = sequence;
            this.position = position;
        }

        /** The row of the batch. */
        public int sequence() { return sequence; }

        public int position() { return position; }
    }

    private Scorer() {}

    /**
     * Per-position log-probabilities of {@code sequences}, all of one length n ≥ 2 and run as one batch: row b, index
     * t − 1 holds position t's. {@code logits} is the value id of the session graph's logits; {@code done} (may be
     * null) advances by the positions scored, across the batch.
     *
     * @throws NonFiniteLogitsException when a logit the score reads is NaN or infinite
     */
    public static double[][] logProbs(Session session, int logits, long[][] sequences, int chunk, Progress.Task done) {
        int batch = sequences.length;
        if (batch == 0) throw new IllegalArgumentException("no sequences to score");
        int length = sequences[0].length;
        for (long[] s : sequences) {
            if (s.length != length) throw new IllegalArgumentException("one batch holds sequences of one length, not " + length + " and " + s.length);
        }
        if (length < 2) throw new IllegalArgumentException("a sequence of " + length + " token has nothing to score: the first token has no prediction");
        if (chunk < 1) throw new IllegalArgumentException("chunk must be at least 1, not " + chunk);
        int vocab = session.vocab();
        double[][] out = new double[batch][length - 1];
        int parallel = Math.min(length, chunk);
        long[] first = new long[batch * parallel];
        for (int b = 0; b < batch; b++) System.arraycopy(sequences[b], 0, first, b * parallel, parallel);
        float[] all = length <= chunk
                ? session.forward(first, batch, length, List.of(logits)).get(logits)
                : session.prefillAllPositions(first, batch, parallel, length);
        // the pass's logits at t − 1 predict x_t: up to the chunk's last position when steps follow
        int predicted = Math.min(parallel, length - 1);
        for (int b = 0; b < batch; b++) {
            for (int t = 1; t <= predicted; t++) out[b][t - 1] = logProbability(all, (b * parallel + t - 1) * vocab, vocab, sequences[b][t], b, t);
        }
        advance(done, (long) batch * predicted);
        // each step feeds x_t and its logits predict x_{t+1}
        long[] fed = new long[batch];
        for (int t = parallel; t < length - 1; t++) {
            for (int b = 0; b < batch; b++) fed[b] = sequences[b][t];
            float[] next = session.step(fed);
            for (int b = 0; b < batch; b++) out[b][t] = logProbability(next, b * vocab, vocab, sequences[b][t + 1], b, t + 1);
            advance(done, batch);
        }
        return out;
    }

    /** log softmax(logits[offset … offset + vocab))[token], in double; {@code sequence} and {@code position} name it in an error. */
    static double logProbability(float[] logits, int offset, int vocab, long token, int sequence, int position) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            float l = logits[offset + v];
            if (!Float.isFinite(l)) throw new NonFiniteLogitsException(sequence, position, l, v);
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max);
        return logits[offset + (int) token] - max - Math.log(sum);
    }

    private static void advance(Progress.Task done, long units) {
        if (done != null) done.advance(units);
    }
}
