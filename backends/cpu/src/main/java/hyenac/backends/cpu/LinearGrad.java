package hyenac.backends.cpu;

/**
 * Gradients of {@link Linear} (and of the tied unembedding and the embedding lookup). Sums in double, one rounding, in an
 * order fixed by the shapes alone: the same bits on any number of threads.
 */
public final class LinearGrad {
    private LinearGrad() {}

    /** Rows per task of {@link #input}: groups of four. */
    private static final int ROW_BLOCK = 16;
    /** Weight rows per task of {@link #weight}: each x row read serves this many. */
    private static final int OUT_BLOCK = 4;

    /**
     * dx [rows, in] = dy [rows, out] · W [out, in], summed over o in order, in groups of four rows (each weight row
     * read serves the group); outputs whose dy is zero in every row of the group are skipped (masked positions leave
     * whole rows of zeros). {@link VectorLinear} takes full groups when it can, with the same bits.
     */
    public static float[] input(float[] dy, int rows, int out, float[] weight, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("weight", weight, (long) out * in);
        float[] dx = new float[Math.multiplyExact(rows, in)];
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        boolean vectors = VectorSupport.use((long) rows * in * out);
        Par.forEach(blocks, (long) ROW_BLOCK * in * out, block -> {
            boolean[] zero = new boolean[out];
            double[][] acc = new double[4][in];
            for (int r = block * ROW_BLOCK, end = Math.min(rows, r + ROW_BLOCK); r < end; r += 4) {
                int m = Math.min(4, end - r);
                boolean any = false;
                for (int o = 0; o < out; o++) {
                    boolean z = true;
                    for (int q = 0; q < m; q++) z &= dy[(r + q) * out + o] == 0;
                    zero[o] = z;
                    any |= !z;
                }
                if (!any) continue; // dx rows stay 0
                if (m == 4 && vectors) {
                    VectorLinear.inputGroup(dy, r, out, weight, in, zero, dx);
                    continue;
                }
                for (int q = 0; q < m; q++) java.util.Arrays.fill(acc[q], 0);
                for (int o = 0; o < out; o++) {
                    if (zero[o]) continue;
                    int w = o * in;
                    for (int q = 0; q < m; q++) {
                        double d = dy[(r + q) * out + o];
                        double[] a = acc[q];
                        for (int i = 0; i < in; i++) a[i] += d * weight[w + i];
                    }
                }
                for (int q = 0; q < m; q++) for (int i = 0; i < in; i++) dx[(r + q) * in + i] = (float) acc[q][i];
            }
        });
        return dx;
    }

    /**
     * dW [out, in] = dyᵀ [out, rows] · x [rows, in], summed over rows in order, four weight rows per task (each x row read
     * serves the four); rows whose dy is zero for all four are skipped. {@link VectorLinear} takes full groups when it
     * can, with the same bits.
     */
    public static float[] weight(float[] dy, float[] x, int rows, int out, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("x", x, (long) rows * in);
        float[] dw = new float[Math.multiplyExact(out, in)];
        int blocks = (out + OUT_BLOCK - 1) / OUT_BLOCK;
        boolean vectors = VectorSupport.use((long) rows * in * out);
        Par.forEach(blocks, (long) rows * in * OUT_BLOCK, block -> {
            int o0 = block * OUT_BLOCK, n = Math.min(OUT_BLOCK, out - o0);
            int[] live = new int[rows];
            int count = 0;
            for (int r = 0; r < rows; r++) {
                boolean z = true;
                for (int k = 0; k < n; k++) z &= dy[r * out + o0 + k] == 0;
                if (!z) live[count++] = r;
            }
            if (n == OUT_BLOCK && vectors) {
                VectorLinear.weightGroup(dy, x, live, count, out, in, o0, dw);
                return;
            }
            double[][] acc = new double[n][in];
            for (int c = 0; c < count; c++) {
                int r = live[c], xr = r * in;
                for (int k = 0; k < n; k++) {
                    double d = dy[r * out + o0 + k];
                    double[] a = acc[k];
                    for (int i = 0; i < in; i++) a[i] += d * x[xr + i];
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
