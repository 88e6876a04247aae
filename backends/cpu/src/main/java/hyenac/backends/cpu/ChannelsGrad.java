package hyenac.backends.cpu;

/** The inverses of {@link Channels}' reshuffles, which are their gradients. */
public final class ChannelsGrad {
    private ChannelsGrad() {}

    /** The inverse of {@link Channels#deinterleave}: part j's channel c goes to channel c·n + j. */
    public static float[] interleave(int rows, float[]... parts) {
        int n = parts.length;
        Check.divides("part size over rows", parts[0].length, rows);
        int w = parts[0].length / rows;
        float[] x = new float[Math.multiplyExact(rows, w * n)];
        for (int j = 0; j < n; j++) {
            Check.size("part " + j, parts[j], (long) rows * w);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < w; c++) x[r * w * n + c * n + j] = parts[j][r * w + c];
            }
        }
        return x;
    }

    /** Channels [start, start + width) of x [rows, channels]. */
    public static float[] slice(float[] x, int rows, int channels, int start, int width) {
        Check.size("x", x, (long) rows * channels);
        if (start < 0 || width < 1 || start + width > channels) throw new IllegalArgumentException("slice [" + start + ", " + (start + width) + ") of " + channels + " channels");
        float[] y = new float[Math.multiplyExact(rows, width)];
        for (int r = 0; r < rows; r++) System.arraycopy(x, r * channels + start, y, r * width, width);
        return y;
    }
}
