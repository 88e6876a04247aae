package hyenac.backends.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class FftTest {

    /** X[k] = Σⱼ x[j]·e^(−2πi·jk/n), the definition, O(n²). */
    private static double[][] naiveDft(double[] re, double[] im, int n) {
        double[][] out = new double[2][n];
        for (int k = 0; k < n; k++) {
            double sr = 0, si = 0;
            for (int j = 0; j < n; j++) {
                double a = -2 * Math.PI * ((long) j * k % n) / n;
                double xr = j < re.length ? re[j] : 0, xi = j < im.length ? im[j] : 0;
                sr += xr * Math.cos(a) - xi * Math.sin(a);
                si += xr * Math.sin(a) + xi * Math.cos(a);
            }
            out[0][k] = sr;
            out[1][k] = si;
        }
        return out;
    }

    private static double[] randomArray(Random rnd, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextGaussian();
        return a;
    }

    @Test
    void complexTransformMatchesTheDefinition() {
        Random rnd = new Random(1);
        for (int n = 1; n <= 1024; n *= 2) {
            double[] re = randomArray(rnd, n), im = randomArray(rnd, n);
            double[][] ref = naiveDft(re, im, n);
            double[] gr = re.clone(), gi = im.clone();
            Fft.transform(gr, gi, false);
            for (int k = 0; k < n; k++) {
                assertEquals(ref[0][k], gr[k], 1e-11 * Math.sqrt(n) * 10, "re n=" + n + " k=" + k);
                assertEquals(ref[1][k], gi[k], 1e-11 * Math.sqrt(n) * 10, "im n=" + n + " k=" + k);
            }
            Fft.transform(gr, gi, true);
            for (int j = 0; j < n; j++) {
                assertEquals(re[j], gr[j], 1e-13, "round trip n=" + n);
                assertEquals(im[j], gi[j], 1e-13, "round trip n=" + n);
            }
        }
    }

    @Test
    void realTransformMatchesTheDefinitionWithZeroPadding() {
        Random rnd = new Random(2);
        for (int n = 1; n <= 1024; n *= 2) {
            for (int len : new int[] {1, Math.max(1, n / 2 + 1), n}) {
                double[] x = randomArray(rnd, len);
                double[][] ref = naiveDft(x, new double[0], n);
                Fft.Spectrum s = Fft.rfft(x, n);
                assertEquals(n / 2 + 1, s.bins());
                for (int k = 0; k <= n / 2; k++) {
                    assertEquals(ref[0][k], s.re()[k], 1e-10, "re n=" + n + " k=" + k);
                    assertEquals(ref[1][k], s.im()[k], 1e-10, "im n=" + n + " k=" + k);
                }
                double[] back = Fft.irfft(s, n);
                for (int j = 0; j < n; j++) assertEquals(j < len ? x[j] : 0, back[j], 1e-13, "irfft n=" + n + " j=" + j);
            }
        }
    }

    @Test
    void inverseRealTransformOfAGivenSpectrumIsTheDefinition() {
        // a spectrum not made by rfft: irfft must be the inverse DFT of its Hermitian extension
        Random rnd = new Random(3);
        int n = 64;
        double[] re = randomArray(rnd, n / 2 + 1), im = randomArray(rnd, n / 2 + 1);
        im[0] = 0;
        im[n / 2] = 0;
        double[] x = Fft.irfft(new Fft.Spectrum(re, im), n);
        for (int j = 0; j < n; j++) {
            double acc = 0;
            for (int k = 0; k < n; k++) {
                double xr = k <= n / 2 ? re[k] : re[n - k], xi = k <= n / 2 ? im[k] : -im[n - k];
                double a = 2 * Math.PI * ((long) j * k % n) / n;
                acc += xr * Math.cos(a) - xi * Math.sin(a);
            }
            assertEquals(acc / n, x[j], 1e-13, "j=" + j);
        }
    }

    @Test
    void sizes() {
        assertEquals(1, Fft.nextPowerOfTwo(1));
        assertEquals(2, Fft.nextPowerOfTwo(2));
        assertEquals(4, Fft.nextPowerOfTwo(3));
        assertEquals(1024, Fft.nextPowerOfTwo(1000));
        assertEquals(256, Fft.convolutionSize(96));
        assertEquals(1024, Fft.convolutionSize(300));
        assertEquals(2, Fft.convolutionSize(1));
        assertTrue(Fft.isPowerOfTwo(64));
        assertThrows(IllegalArgumentException.class, () -> Fft.transform(new double[6], new double[6], false));
        assertThrows(IllegalArgumentException.class, () -> Fft.rfft(new double[5], 4));
    }
}
