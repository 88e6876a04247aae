package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.assertRelClose;
import static hyenac.backends.cpu.TestUtil.gaussian;
import static hyenac.backends.cpu.TestUtil.refConv;
import static hyenac.backends.cpu.TestUtil.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Causal convolution (direct and FFT) and the modal filter. */
class ConvTest {

    @Test
    void xcorrTapsAreStoredBackwards() {
        // x = impulse at t = 0: y[t] = h[t], the FIR-order filter; xcorr storage w gives h[j] = w[K−1−j]
        float[] w = {1f, 2f, 3f};
        float[] x = {1f, 0f, 0f, 0f};
        float[] y = Conv.direct(x, 1, 4, 1, Fir.of(w, 1, 3, Fir.Taps.XCORR), null);
        assertArrayEquals(new float[] {3f, 2f, 1f, 0f}, y);
        y = Conv.direct(x, 1, 4, 1, Fir.of(w, 1, 3, Fir.Taps.FIR), null);
        assertArrayEquals(new float[] {1f, 2f, 3f, 0f}, y);
        // the featurizer rule: f[t] = w0·z[t−2] + w1·z[t−1] + w2·z[t]
        float[] z = {5f, 7f, 11f};
        y = Conv.direct(z, 1, 3, 1, Fir.of(w, 1, 3, Fir.Taps.XCORR), null);
        assertArrayEquals(new float[] {3 * 5f, 2 * 5f + 3 * 7f, 1 * 5f + 2 * 7f + 3 * 11f}, y);
    }

    @Test
    void groupsShareFiltersContiguously() {
        // 4 channels, 2 groups: channels 0,1 use filter 0, channels 2,3 filter 1
        Fir f = new Fir(new float[] {1f, 10f}, 2, 1);
        float[] y = Conv.direct(new float[] {1f, 1f, 1f, 1f}, 1, 1, 4, f, null);
        assertArrayEquals(new float[] {1f, 1f, 10f, 10f}, y);
        assertEquals(0, f.groupOf(1, 4));
        assertEquals(1, f.groupOf(2, 4));
    }

    @Test
    void directAndFftAgreeWithThePlainSum() {
        Random rnd = new Random(20);
        int batch = 2;
        for (int len : new int[] {1, 2, 3, 7, 33, 128}) {
            for (int length : new int[] {1, 5, 7, 96, 100, 300}) {
                for (int[] cg : new int[][] {{8, 1}, {8, 2}, {12, 4}, {6, 6}}) {
                    int channels = cg[0], groups = cg[1];
                    float[] x = gaussian(rnd, batch * length * channels);
                    float[] taps = gaussian(rnd, groups * len, 0.5);
                    float[] skip = rnd.nextBoolean() ? gaussian(rnd, channels) : null;
                    Fir f = new Fir(taps, groups, len);
                    double[] ref = refConv(x, batch, length, channels, taps, groups, len, skip);
                    String what = "K=" + len + " L=" + length + " C=" + channels + " G=" + groups;
                    float[] direct = Conv.direct(x, batch, length, channels, f, skip);
                    float[] fft = Conv.fft(x, batch, length, channels, f, skip);
                    assertRelClose(ref, direct, 1e-7, "direct " + what);
                    assertRelClose(ref, fft, 1e-6, "fft " + what);
                    assertRelClose(direct, fft, 1e-6, "direct vs fft " + what);
                }
            }
        }
    }

    @Test
    void algorithmChoice() {
        assertEquals(Conv.Algorithm.DIRECT, Conv.choose(7, 1000));
        assertEquals(Conv.Algorithm.FFT, Conv.choose(128, 1000));
        assertEquals(Conv.Algorithm.DIRECT, Conv.choose(128, 40)); // only the first 40 taps can matter
        Random rnd = new Random(21);
        float[] x = gaussian(rnd, 2 * 200 * 4);
        Fir f = new Fir(gaussian(rnd, 128), 1, 128);
        assertArrayEquals(Conv.fft(x, 2, 200, 4, f, null), Conv.causal(x, 2, 200, 4, f, null));
        assertThrows(IllegalArgumentException.class, () -> Conv.direct(new float[6], 1, 2, 3, new Fir(new float[2], 2, 1), null));
    }

    @Test
    void threadsDoNotChangeTheBits() {
        // enough columns for Par to use threads; a repeat and one batch row at a time agree exactly
        Random rnd = new Random(22);
        int batch = 3, length = 257, channels = 40;
        float[] x = gaussian(rnd, batch * length * channels);
        Fir f = new Fir(gaussian(rnd, 4 * 128), 4, 128);
        float[] a = Conv.fft(x, batch, length, channels, f, null);
        float[] b = Conv.fft(x, batch, length, channels, f, null);
        assertArrayEquals(a, b);
        for (int r = 0; r < batch; r++) {
            float[] xr = java.util.Arrays.copyOfRange(x, r * length * channels, (r + 1) * length * channels);
            float[] ar = java.util.Arrays.copyOfRange(a, r * length * channels, (r + 1) * length * channels);
            assertArrayEquals(ar, Conv.fft(xr, 1, length, channels, f, null), "batch row " + r);
        }
    }

    static double[] refModal(float[] logPoles, float[] residues, int channels, int modes, int length) {
        double[] h = new double[channels * length];
        for (int c = 0; c < channels; c++) {
            for (int t = 0; t < length; t++) {
                double acc = 0;
                for (int n = 0; n < modes; n++) acc += residues[c * modes + n] * Math.pow(Math.exp(logPoles[c * modes + n]), t);
                h[c * length + t] = acc;
            }
        }
        return h;
    }

    static float[] randomLogPoles(Random rnd, int n) {
        // log λ = −exp(U(log 0.004, log 0.7)), as in the conformance data
        float[] u = uniform(rnd, n, Math.log(0.004), Math.log(0.7));
        for (int i = 0; i < n; i++) u[i] = (float) -Math.exp(u[i]);
        return u;
    }

    @Test
    void modalFilterIsASumOfDecayingModes() {
        Random rnd = new Random(23);
        int channels = 6, modes = 16, length = 150;
        float[] lp = randomLogPoles(rnd, channels * modes), r = gaussian(rnd, channels * modes, 0.25);
        float[] h = ModalFilter.materialise(lp, r, channels, modes, length);
        assertRelClose(refModal(lp, r, channels, modes, length), h, 1e-7, "h");
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int n = 0; n < modes; n++) sum += r[c * modes + n];
            assertEquals(sum, h[c * length], 1e-6, "h[c, 0] = Σ R");
        }
    }

    @Test
    void modalConvolution() {
        Random rnd = new Random(24);
        int batch = 2, channels = 5, modes = 4;
        for (int length : new int[] {1, 3, 64, 97}) {
            float[] lp = randomLogPoles(rnd, channels * modes), r = gaussian(rnd, channels * modes, 0.25);
            float[] skip = gaussian(rnd, channels, 0.5), x = gaussian(rnd, batch * length * channels);
            double[] hd = refModal(lp, r, channels, modes, length);
            float[] hf = new float[hd.length];
            for (int i = 0; i < hd.length; i++) hf[i] = (float) hd[i];
            double[] ref = refConv(x, batch, length, channels, hf, channels, length, skip);
            float[] fft = ModalFilter.apply(x, batch, length, channels, lp, r, modes, skip);
            float[] direct = ModalFilter.apply(x, batch, length, channels, lp, r, modes, skip, Conv.Algorithm.DIRECT);
            assertRelClose(ref, fft, 1e-6, "modal fft L=" + length);
            assertRelClose(ref, direct, 1e-6, "modal direct L=" + length);
            assertTrue(TestUtil.maxErr(direct, fft) <= 1e-6 * TestUtil.maxAbs(direct));
        }
    }
}
