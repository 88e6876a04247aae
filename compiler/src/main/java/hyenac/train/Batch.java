package hyenac.train;

/**
 * One batch of next-token examples, [batch, length] row-major: the model reads {@code tokens}, is scored on
 * {@code targets} (the next tokens) where {@code mask} is non-zero.
 */
public record Batch(int batch, int length, long[] tokens, long[] targets, float[] mask) {
    public Batch {
        int rows = batch * length;
        if (tokens.length != rows || targets.length != rows || mask.length != rows) throw new IllegalArgumentException("batch arrays need " + rows + " elements");
    }

    /** From sequences of length + 1 tokens each: tokens are the first length, targets the last length. */
    public static Batch ofSequences(long[][] sequences, float[][] targetMask) {
        int batch = sequences.length, length = sequences[0].length - 1;
        long[] tokens = new long[batch * length], targets = new long[batch * length];
        float[] mask = new float[batch * length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                tokens[b * length + t] = sequences[b][t];
                targets[b * length + t] = sequences[b][t + 1];
                mask[b * length + t] = targetMask[b][t];
            }
        }
        return new Batch(batch, length, tokens, targets, mask);
    }

    /** Positions scored. */
    public int scored() {
        int n = 0;
        for (float m : mask) if (m != 0) n++;
        return n;
    }
}
