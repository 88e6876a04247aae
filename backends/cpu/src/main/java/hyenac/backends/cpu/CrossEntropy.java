package hyenac.backends.cpu;

/**
 * The training loss: next-token cross-entropy of logits [rows, vocab] against target ids, averaged over the rows
 * whose mask is non-zero (weighted by the mask). Softmax in double with the max shifted out.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** The mean masked loss (0 when the mask is all zero). */
    public static double loss(float[] logits, long[] targets, float[] mask, int rows, int vocab) {
        check(logits, targets, mask, rows, vocab);
        double[] perRow = new double[rows];
        Par.forEach(rows, 3L * vocab, r -> {
            if (mask[r] == 0) return;
            perRow[r] = mask[r] * (logSumExp(logits, r * vocab, vocab) - logits[r * vocab + (int) targets[r]]);
        });
        double total = 0, weight = 0;
        for (int r = 0; r < rows; r++) {
            total += perRow[r];
            weight += mask[r];
        }
        return weight == 0 ? 0 : total / weight;
    }

    /** d loss / d logits = mask_r/Σmask · (softmax − onehot(target)). */
    public static float[] grad(float[] logits, long[] targets, float[] mask, int rows, int vocab) {
        check(logits, targets, mask, rows, vocab);
        double weight = 0;
        for (int r = 0; r < rows; r++) weight += mask[r];
        float[] d = new float[logits.length];
        if (weight == 0) return d;
        double norm = weight;
        Par.forEach(rows, 3L * vocab, r -> {
            if (mask[r] == 0) return;
            int base = r * vocab;
            double lse = logSumExp(logits, base, vocab);
            double m = mask[r] / norm;
            for (int v = 0; v < vocab; v++) d[base + v] = (float) (m * Math.exp(logits[base + v] - lse));
            d[base + (int) targets[r]] = (float) (m * (Math.exp(logits[base + (int) targets[r]] - lse) - 1));
        });
        return d;
    }

    private static double logSumExp(float[] x, int base, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[base + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[base + i] - max);
        return max + Math.log(sum);
    }

    private static void check(float[] logits, long[] targets, float[] mask, int rows, int vocab) {
        Check.size("logits", logits, (long) rows * vocab);
        Check.size("mask", mask, rows);
        if (targets.length != rows) throw new IllegalArgumentException("targets has " + targets.length + " elements, expected " + rows);
        for (int r = 0; r < rows; r++) {
            if (mask[r] != 0 && (targets[r] < 0 || targets[r] >= vocab)) {
                throw new IllegalArgumentException("target " + targets[r] + " is outside the vocabulary of " + vocab);
            }
        }
    }
}
