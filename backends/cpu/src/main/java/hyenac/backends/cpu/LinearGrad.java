package hyenac.backends.cpu;

/**
 * Gradients of {@link Linear} (and of the tied unembedding and the embedding lookup). Sums in double, one rounding, in an
 * order fixed by the shapes alone: the same bits on any number of threads.
 */
public final class LinearGrad {
    private LinearGrad() {}

    /** Rows per task of {@link #input}. */
    private static final int ROW_BLOCK = 16;
    /** Weight rows per task of {@link #weight}: each x row read serves this many. */
    private static final int OUT_BLOCK = 4;

    /**
     * dx [rows, in] = dy [rows, out] · W [out, in]: two rows at a time (each weight row read serves both), summed over o
     * in order; outputs whose dy is zero in both rows are skipped (masked positions leave whole rows of zeros).
     */
    public static float[] input(float[] dy, int rows, int out, float[] weight, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("weight", weight, (long) out * in);
        float[] dx = new float[Math.multiplyExact(rows, in)];
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        Par.forEach(blocks, (long) ROW_BLOCK * in * out, block -> {
            double[] a0 = new double[in], a1 = new double[in];
            for (int r = block * ROW_BLOCK, end = Math.min(rows, r + ROW_BLOCK); r < end; r += 2) {
                boolean two = r + 1 < end;
                java.util.Arrays.fill(a0, 0);
                java.util.Arrays.fill(a1, 0);
                for (int o = 0; o < out; o++) {
                    double d0 = dy[r * out + o], d1 = two ? dy[(r + 1) * out + o] : 0;
                    if (d0 == 0 && d1 == 0) continue;
                    int w = o * in;
                    for (int i = 0; i < in; i++) {
                        double wi = weight[w + i];
                        a0[i] += d0 * wi;
                        a1[i] += d1 * wi;
                    }
                }
                for (int i = 0; i < in; i++) dx[r * in + i] = (float) a0[i];
                if (two) for (int i = 0; i < in; i++) dx[(r + 1) * in + i] = (float) a1[i];
            }
        });
        return dx;
    }

    /**
     * dW [out, in] = dyᵀ [out, rows] · x [rows, in]: four weight rows per task (each x row read serves four), summed over
     * rows in order; rows whose dy is zero for all four are skipped.
     */
    public static float[] weight(float[] dy, float[] x, int rows, int out, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("x", x, (long) rows * in);
        float[] dw = new float[Math.multiplyExact(out, in)];
        int blocks = (out + OUT_BLOCK - 1) / OUT_BLOCK;
        Par.forEach(blocks, (long) rows * in * OUT_BLOCK, block -> {
            int o0 = block * OUT_BLOCK, n = Math.min(OUT_BLOCK, out - o0);
            double[][] acc = new double[OUT_BLOCK][in];
            double[] a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
            for (int r = 0; r < rows; r++) {
                int at = r * out + o0;
                double d0 = dy[at], d1 = n > 1 ? dy[at + 1] : 0, d2 = n > 2 ? dy[at + 2] : 0, d3 = n > 3 ? dy[at + 3] : 0;
                if (d0 == 0 && d1 == 0 && d2 == 0 && d3 == 0) continue;
                int xr = r * in;
                for (int i = 0; i < in; i++) {
                    double xi = x[xr + i];
                    a0[i] += d0 * xi;
                    a1[i] += d1 * xi;
                    a2[i] += d2 * xi;
                    a3[i] += d3 * xi;
                }
            }
            for (int k = 0; k < n; k++) for (int i = 0; i < in; i++) dw[(o0 + k) * in + i] = (float) acc[k][i];
        });
        return dw;
    }

    /** The bias gradient: Σ over rows of dy [rows, channels]. */
    public static float[] sumRows(float[] dy, int rows, int channels) {
        Check.size("dy", dy, (long) rows * channels);
        float[] out = new float[channels];
        Par.forEach(channels, rows, c -> {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += dy[r * channels + c];
            out[c] = (float) acc;
        });
        return out;
    }

    /** The embedding table's gradient [vocab, width]: each row of dy added to its token's row. */
    public static float[] embedding(float[] dy, long[] tokens, int rows, int vocab, int width) {
        Check.size("dy", dy, (long) rows * width);
        double[] acc = new double[Math.multiplyExact(vocab, width)];
        for (int r = 0; r < rows; r++) {
            long t = tokens[r];
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token " + t + " is outside the vocabulary of " + vocab);
            int base = (int) t * width;
            for (int c = 0; c < width; c++) acc[base + c] += dy[r * width + c];
        }
        float[] out = new float[acc.length];
        for (int i = 0; i < acc.length; i++) out[i] = (float) acc[i];
        return out;
    }
}
