package hyenac.backends.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

/** Random inputs and error measures shared by the tests. */
final class TestUtil {
    private TestUtil() {}

    static float[] gaussian(Random rnd, int n, double sigma) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (sigma * rnd.nextGaussian());
        return a;
    }

    static float[] gaussian(Random rnd, int n) { return gaussian(rnd, n, 1); }

    static float[] uniform(Random rnd, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return a;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxErr(double[] ref, float[] got) {
        assertEquals(ref.length, got.length, "sizes");
        double m = 0;
        for (int i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i] - got[i]));
        return m;
    }

    static double maxErr(float[] ref, float[] got) {
        assertEquals(ref.length, got.length, "sizes");
        double m = 0;
        for (int i = 0; i < ref.length; i++) m = Math.max(m, Math.abs((double) ref[i] - got[i]));
        return m;
    }

    /** max|got − ref| ≤ rel·max|ref| (the conformance rule; a NaN anywhere fails). */
    static double assertRelClose(double[] ref, float[] got, double rel, String what) {
        double err = maxErr(ref, got), scale = maxAbs(ref);
        assertTrue(err <= rel * scale, what + ": max |err| " + err + " > " + rel + " · max |ref| " + scale);
        return scale == 0 ? 0 : err / scale;
    }

    static double assertRelClose(float[] ref, float[] got, double rel, String what) {
        return assertRelClose(toDouble(ref), got, rel, what);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Plain causal convolution in double, filter in FIR order [groups, len], for x [batch, length, channels]. */
    static double[] refConv(float[] x, int batch, int length, int channels, float[] firTaps, int groups, int len, float[] skip) {
        double[] y = new double[x.length];
        int perGroup = channels / groups;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                for (int c = 0; c < channels; c++) {
                    int g = c / perGroup;
                    double acc = 0;
                    for (int j = 0; j < len && j <= t; j++) acc += (double) firTaps[g * len + j] * x[(b * length + t - j) * channels + c];
                    if (skip != null) acc += (double) skip[c] * x[(b * length + t) * channels + c];
                    y[(b * length + t) * channels + c] = acc;
                }
            }
        }
        return y;
    }

    /** Rows [from, to) of every batch row of x [batch, length, width]. */
    static float[] rows(float[] x, int batch, int length, int width, int from, int to) {
        float[] out = new float[batch * (to - from) * width];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x, (b * length + from) * width, out, b * (to - from) * width, (to - from) * width);
        }
        return out;
    }
}
