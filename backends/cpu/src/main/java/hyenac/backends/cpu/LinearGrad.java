package hyenac.backends.cpu;

/** Gradients of {@link Linear} (and of the tied unembedding and the embedding lookup). Sums in double, one rounding. */
public final class LinearGrad {
    private LinearGrad() {}

    /** dx [rows, in] = dy [rows, out] · W [out, in]. */
    public static float[] input(float[] dy, int rows, int out, float[] weight, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("weight", weight, (long) out * in);
        float[] dx = new float[Math.multiplyExact(rows, in)];
        Par.forEach(rows, (long) in * out, r -> {
            double[] acc = new double[in];
            for (int o = 0; o < out; o++) {
                double d = dy[r * out + o];
                if (d == 0) continue;
                int w = o * in;
                for (int i = 0; i < in; i++) acc[i] += d * weight[w + i];
            }
            for (int i = 0; i < in; i++) dx[r * in + i] = (float) acc[i];
        });
        return dx;
    }

    /** dW [out, in] = dyᵀ [out, rows] · x [rows, in]. */
    public static float[] weight(float[] dy, float[] x, int rows, int out, int in) {
        Check.size("dy", dy, (long) rows * out);
        Check.size("x", x, (long) rows * in);
        float[] dw = new float[Math.multiplyExact(out, in)];
        Par.forEach(out, (long) rows * in, o -> {
            double[] acc = new double[in];
            for (int r = 0; r < rows; r++) {
                double d = dy[r * out + o];
                if (d == 0) continue;
                int xr = r * in;
                for (int i = 0; i < in; i++) acc[i] += d * x[xr + i];
            }
            for (int i = 0; i < in; i++) dw[o * in + i] = (float) acc[i];
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
