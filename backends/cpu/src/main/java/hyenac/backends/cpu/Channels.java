package hyenac.backends.cpu;

/** Channel reshuffles of channel-last tensors [rows, channels] (rows = batch·length). */
public final class Channels {
    private Channels() {}

    /** n outputs of width channels/n; output j takes channels j, j+n, j+2n, … (round-robin). */
    public static float[][] deinterleave(float[] x, int rows, int channels, int n) {
        int w = partWidth(x, rows, channels, n);
        float[][] out = new float[n][rows * w];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < w; c++) {
                for (int j = 0; j < n; j++) out[j][r * w + c] = x[r * channels + c * n + j];
            }
        }
        return out;
    }

    /** n outputs of width channels/n; output j takes the contiguous channels j·w … (j+1)·w − 1. */
    public static float[][] split(float[] x, int rows, int channels, int n) {
        int w = partWidth(x, rows, channels, n);
        float[][] out = new float[n][rows * w];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) System.arraycopy(x, r * channels + j * w, out[j], r * w, w);
        }
        return out;
    }

    /** Joins the parts along channels; each part's width is its size / rows. */
    public static float[] concat(int rows, float[]... parts) {
        Check.positive("rows", rows);
        int total = 0;
        int[] widths = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Check.divides("part " + i + " size over rows", parts[i].length, rows);
            widths[i] = parts[i].length / rows;
            total += widths[i];
        }
        float[] y = new float[rows * total];
        for (int r = 0; r < rows; r++) {
            int at = r * total;
            for (int i = 0; i < parts.length; i++) {
                System.arraycopy(parts[i], r * widths[i], y, at, widths[i]);
                at += widths[i];
            }
        }
        return y;
    }

    private static int partWidth(float[] x, int rows, int channels, int n) {
        Check.positive("n", n);
        Check.size("x", x, (long) rows * channels);
        Check.divides("channels over n", channels, n);
        return channels / n;
    }
}
