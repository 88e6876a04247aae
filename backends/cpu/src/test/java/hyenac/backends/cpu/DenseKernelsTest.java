package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.assertRelClose;
import static hyenac.backends.cpu.TestUtil.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.HostTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Linear, RMSNorm, activations, elementwise arithmetic and channel reshuffles. */
class DenseKernelsTest {

    @Test
    void linearIsXTimesWTransposedPlusBias() {
        Random rnd = new Random(10);
        // a decode row, dot products, and the blocked kernel with odd rows and a partial block of outputs
        for (int[] d : new int[][] {{1, 1, 1}, {7, 13, 5}, {300, 64, 192}, {33, 70, 130}}) {
            int rows = d[0], in = d[1], out = d[2];
            float[] x = gaussian(rnd, rows * in), w = gaussian(rnd, out * in), bias = gaussian(rnd, out);
            for (float[] b : new float[][] {null, bias}) {
                double[] ref = new double[rows * out];
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        double acc = b == null ? 0 : b[o];
                        for (int i = 0; i < in; i++) acc += (double) x[r * in + i] * w[o * in + i];
                        ref[r * out + o] = acc;
                    }
                }
                float[] rounded = new float[ref.length];
                for (int i = 0; i < ref.length; i++) rounded[i] = (float) ref[i];
                assertArrayEquals(rounded, Linear.apply(x, rows, in, w, out, b), "linear " + rows + "x" + in + "->" + out + ": summed in i's order");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Linear.apply(new float[6], 2, 3, new float[5], 2, null));
    }

    @Test
    void aBf16WeightGivesTheBitsOfTheFp32KernelOnTheWidenedWeight() {
        Random rnd = new Random(12);
        // one row (a decode step), a few, and widths that leave partial blocks of weight rows and of four outputs
        for (int[] d : new int[][] {{1, 1, 1}, {1, 64, 100}, {5, 37, 33}, {3, 20, 39}, {70, 128, 257}}) {
            int rows = d[0], in = d[1], out = d[2];
            float[] x = gaussian(rnd, rows * in), bias = gaussian(rnd, out);
            short[] bits = new short[out * in];
            for (int i = 0; i < bits.length; i++) bits[i] = Floats.floatToBf16((float) rnd.nextGaussian());
            HostTensor.Bf16 w = HostTensor.Bf16.of(bits.clone());
            float[] widened = new float[bits.length];
            for (int i = 0; i < bits.length; i++) widened[i] = Floats.bf16ToFloat(bits[i]);
            for (float[] b : new float[][] {null, bias}) {
                assertArrayEquals(Linear.apply(x, rows, in, widened, out, b), Linear.apply(x, rows, in, w, out, b),
                        "linear " + rows + "x" + in + "->" + out);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Linear.apply(new float[6], 2, 3, HostTensor.Bf16.of(new short[5]), 2, null));
    }

    @Test
    void rmsnormMatchesTheFormula() {
        Random rnd = new Random(11);
        int rows = 37, c = 64;
        float[] x = gaussian(rnd, rows * c, 3), scale = gaussian(rnd, c);
        double eps = 1e-6;
        double[] ref = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < c; i++) ss += (double) x[r * c + i] * x[r * c + i];
            double rms = Math.sqrt(ss) * Math.pow(c, -0.5);
            for (int i = 0; i < c; i++) ref[r * c + i] = scale[i] * x[r * c + i] / (rms + eps);
        }
        assertRelClose(ref, Norm.rmsnorm(x, rows, c, scale, eps), 1e-7, "rmsnorm");
    }

    @Test
    void rmsnormAddsEpsToTheRmsNotInsideTheSquareRoot() {
        // A row of 1e-6: rms = 1e-6. Outside: 1e-6 / (1e-6 + 1e-6) = 0.5. Inside: 1e-6 / √(1e-12 + 1e-6) ≈ 1e-3.
        int c = 8;
        float[] x = new float[c], scale = new float[c];
        java.util.Arrays.fill(x, 1e-6f);
        java.util.Arrays.fill(scale, 1f);
        float[] y = Norm.rmsnorm(x, 1, c, scale, 1e-6);
        for (float v : y) assertEquals(0.5, v, 1e-6);
    }

    @Test
    void geluHasItsKnownValues() {
        // x·Φ(x), values from the closed form with a double-precision erf
        double[][] known = {
            {-5, -1.4332578593959731e-06}, {-3, -0.004049694094890287}, {-1, -0.15865525393145707},
            {-0.5, -0.15426876936299344}, {0, 0}, {0.5, 0.34573123063700656}, {1, 0.8413447460685429},
            {2, 1.9544997361036416}, {3, 2.99595030590511}, {5, 4.99999856674214},
        };
        for (double[] k : known) {
            assertEquals(k[1], Activation.gelu(k[0]), 1e-15 + 1e-13 * Math.abs(k[1]), "gelu(" + k[0] + ")");
        }
        assertEquals(-10 * 7.619853024160526e-24, Activation.gelu(-10), 1e-34, "far tail keeps relative precision");
        float[] y = Activation.GELU.apply(new float[] {1f, -1f});
        assertEquals((float) 0.8413447460685429, y[0]);
        assertEquals((float) -0.15865525393145707, y[1]);
    }

    @Test
    void erfAndErfc() {
        double[][] known = {
            {0.1, 0.1124629160182849, 0.8875370839817152}, {0.5, 0.5204998778130465, 0.4795001221869535},
            {1, 0.8427007929497149, 0.15729920705028513}, {2, 0.9953222650189527, 0.004677734981047265},
            {3, 0.9999779095030014, 2.2090496998585438e-05}, {4, 0.9999999845827421, 1.541725790028002e-08},
        };
        for (double[] k : known) {
            assertEquals(k[1], Activation.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
            assertEquals(-k[1], Activation.erf(-k[0]), 1e-15, "erf(-" + k[0] + ")");
            assertEquals(k[2], Activation.erfc(k[0]), 1e-13 * k[2], "erfc(" + k[0] + ")");
            assertEquals(2 - k[2], Activation.erfc(-k[0]), 1e-15, "erfc(-" + k[0] + ")");
        }
        assertEquals(0, Activation.erf(0));
        assertEquals(1, Activation.erf(40));
        assertEquals(0, Activation.erfc(40));
    }

    @Test
    void otherActivations() {
        float[] x = {-2f, -0.5f, 0f, 0.5f, 3f};
        assertArrayEquals(x, Activation.IDENTITY.apply(x));
        assertArrayEquals(new float[] {0f, 0f, 0f, 0.5f, 3f}, Activation.RELU.apply(x));
        float[] s = Activation.SILU.apply(x);
        for (int i = 0; i < x.length; i++) assertEquals(x[i] / (1 + Math.exp(-x[i])), s[i], 1e-7);
        assertEquals(Activation.GELU, Activation.of("gelu"));
        assertEquals(Activation.IDENTITY, Activation.of("identity"));
        // the threaded path (large arrays) gives the same values
        float[] big = gaussian(new Random(12), 100_000, 3);
        float[] g = Activation.GELU.apply(big);
        for (int i = 0; i < big.length; i += 997) assertEquals((float) Activation.gelu(big[i]), g[i]);
    }

    @Test
    void elementwise() {
        float[] a = {1f, 2f, -3f}, b = {0.5f, -4f, 2f};
        assertArrayEquals(new float[] {1.5f, -2f, -1f}, Elementwise.add(a, b));
        assertArrayEquals(new float[] {0.5f, 6f, -5f}, Elementwise.sub(a, b));
        assertArrayEquals(new float[] {0.5f, -8f, -6f}, Elementwise.mul(a, b));
        assertArrayEquals(new float[] {0.25f, 0.5f, -0.75f}, Elementwise.scale(a, 0.25));
        assertThrows(IllegalArgumentException.class, () -> Elementwise.add(a, new float[2]));
    }

    @Test
    void deinterleaveSplitConcat() {
        int rows = 3, c = 12;
        float[] x = new float[rows * c];
        for (int i = 0; i < x.length; i++) x[i] = i;
        float[][] d = Channels.deinterleave(x, rows, c, 3);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) assertEquals(x[r * c + 3 * k + j], d[j][r * 4 + k], "deinterleave out " + j);
            }
        }
        float[][] s = Channels.split(x, rows, c, 3);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) assertEquals(x[r * c + 4 * j + k], s[j][r * 4 + k], "split out " + j);
            }
        }
        assertArrayEquals(x, Channels.concat(rows, s));
        float[] mixed = Channels.concat(rows, s[0], Channels.concat(rows, s[1], s[2]));
        assertArrayEquals(x, mixed);
        float[] uneven = Channels.concat(2, new float[] {1, 2}, new float[] {3, 4, 5, 6});
        assertArrayEquals(new float[] {1, 3, 4, 2, 5, 6}, uneven);
        assertThrows(IllegalArgumentException.class, () -> Channels.split(x, rows, c, 5));
    }
}
