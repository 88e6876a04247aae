package hyenac.backends.cpu;

/** RMS normalisation over the channels of each row. */
public final class Norm {
    private Norm() {}

    /**
     * y = scale ⊙ x / (rms(x) + eps) with rms(x) = ‖x‖₂·C^(−1/2), per row of x [rows, channels].
     * The eps is added to the RMS, outside the square root, as the StripedHyena 2 reference does.
     */
    public static float[] rmsnorm(float[] x, int rows, int channels, float[] scale, double eps) {
        Check.positive("channels", channels);
        Check.size("x", x, (long) rows * channels);
        Check.size("scale", scale, channels);
        float[] y = new float[x.length];
        Par.forEach(rows, 3L * channels, r -> {
            int base = r * channels;
            double sumSq = 0;
            for (int c = 0; c < channels; c++) sumSq += (double) x[base + c] * x[base + c];
            double denom = Math.sqrt(sumSq / channels) + eps;
            for (int c = 0; c < channels; c++) y[base + c] = (float) (scale[c] * (x[base + c] / denom));
        });
        return y;
    }
}
