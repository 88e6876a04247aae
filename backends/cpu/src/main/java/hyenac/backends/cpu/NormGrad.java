package hyenac.backends.cpu;

/** Gradients of {@link Norm#rmsnorm}: y = s ⊙ x / (r + ε), r = ‖x‖₂·C^(−1/2). */
public final class NormGrad {
    private NormGrad() {}

    /** dx_i = g_i/(r + ε) − x_i·(Σ g·x)/((r + ε)²·C·r), g = dy ⊙ s. */
    public static float[] input(float[] dy, float[] x, int rows, int channels, float[] scale, double eps) {
        Check.size("dy", dy, (long) rows * channels);
        Check.size("x", x, (long) rows * channels);
        Check.size("scale", scale, channels);
        float[] dx = new float[x.length];
        Par.forEach(rows, 6L * channels, r -> {
            int base = r * channels;
            double sumSq = 0, gx = 0;
            for (int c = 0; c < channels; c++) {
                double xc = x[base + c];
                sumSq += xc * xc;
                gx += (double) dy[base + c] * scale[c] * xc;
            }
            double rms = Math.sqrt(sumSq / channels);
            double denom = rms + eps;
            double k = rms == 0 ? 0 : gx / (denom * denom * channels * rms);
            for (int c = 0; c < channels; c++) dx[base + c] = (float) ((double) dy[base + c] * scale[c] / denom - x[base + c] * k);
        });
        return dx;
    }

    /** ds_c = Σ over rows of dy·x/(r + ε). */
    public static float[] scale(float[] dy, float[] x, int rows, int channels, double eps) {
        Check.size("dy", dy, (long) rows * channels);
        Check.size("x", x, (long) rows * channels);
        double[] inv = new double[rows];
        Par.forEach(rows, 2L * channels, r -> {
            double sumSq = 0;
            for (int c = 0; c < channels; c++) sumSq += (double) x[r * channels + c] * x[r * channels + c];
            inv[r] = 1 / (Math.sqrt(sumSq / channels) + eps);
        });
        float[] ds = new float[channels];
        Par.forEach(channels, rows, c -> {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += (double) dy[r * channels + c] * x[r * channels + c] * inv[r];
            ds[c] = (float) acc;
        });
        return ds;
    }
}
