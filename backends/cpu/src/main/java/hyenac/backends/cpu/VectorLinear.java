package hyenac.backends.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Linear}'s and {@link LinearGrad}'s many-row kernels with the Vector API: register tiles of four rows (or four
 * outputs) by two vectors of doubles. Each lane is one output, summed in the order the scalar kernels sum it, with
 * products of two floats (exact in double) added one at a time: the same bits as the scalar kernels on any vector
 * width. Loaded only when the JVM has the module ({@link VectorSupport}); the scalar kernels run otherwise.
 */
final class VectorLinear {
    private VectorLinear() {}

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as D has doubles, widened by one conversion. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final int L = D.length();

    private static DoubleVector widen(float[] a, int at) {
        return (DoubleVector) FloatVector.fromArray(F, a, at).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void narrow(DoubleVector v, float[] out, int at) {
        ((FloatVector) v.convertShape(VectorOperators.D2F, F, 0)).intoArray(out, at);
    }

    /**
     * y[r, o0 + k] for rows [r0, rEnd) and the n outputs of a transposed, widened weight block wt [in, n]: each output
     * the bias (or 0) plus x[r, i]·w[o, i] for i in order.
     */
    static void forwardBlock(float[] x, int in, double[] wt, int n, double[] bias, int r0, int rEnd, float[] y, int out, int o0) {
        int r = r0;
        for (; r + 4 <= rEnd; r += 4) {
            int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
            int k = 0;
            for (; k + 2 * L <= n; k += 2 * L) {
                DoubleVector b0 = DoubleVector.fromArray(D, bias, k), b1 = DoubleVector.fromArray(D, bias, k + L);
                DoubleVector a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
                for (int i = 0; i < in; i++) {
                    DoubleVector w0 = DoubleVector.fromArray(D, wt, i * n + k), w1 = DoubleVector.fromArray(D, wt, i * n + k + L);
                    double u0 = x[x0 + i], u1 = x[x1 + i], u2 = x[x2 + i], u3 = x[x3 + i];
                    a00 = a00.add(w0.mul(u0));
                    a01 = a01.add(w1.mul(u0));
                    a10 = a10.add(w0.mul(u1));
                    a11 = a11.add(w1.mul(u1));
                    a20 = a20.add(w0.mul(u2));
                    a21 = a21.add(w1.mul(u2));
                    a30 = a30.add(w0.mul(u3));
                    a31 = a31.add(w1.mul(u3));
                }
                int y0 = r * out + o0 + k;
                narrow(a00, y, y0);
                narrow(a01, y, y0 + L);
                narrow(a10, y, y0 + out);
                narrow(a11, y, y0 + out + L);
                narrow(a20, y, y0 + 2 * out);
                narrow(a21, y, y0 + 2 * out + L);
                narrow(a30, y, y0 + 3 * out);
                narrow(a31, y, y0 + 3 * out + L);
            }
            for (; k < n; k++) for (int q = r; q < r + 4; q++) y[q * out + o0 + k] = (float) scalar(x, q * in, in, wt, n, k, bias[k]);
        }
        for (; r < rEnd; r++) for (int k = 0; k < n; k++) y[r * out + o0 + k] = (float) scalar(x, r * in, in, wt, n, k, bias[k]);
    }

    private static double scalar(float[] x, int xBase, int in, double[] wt, int n, int k, double acc) {
        for (int i = 0; i < in; i++) acc += x[xBase + i] * wt[i * n + k];
        return acc;
    }

    /**
     * dx rows [r, r + 4) = dy · W, summed over o in order, outputs whose dy is zero in all four rows skipped (the scalar
     * kernel's groups of four rows skip the same ones).
     */
    static void inputGroup(float[] dy, int r, int out, float[] weight, int in, boolean[] zero, float[] dx) {
        int d0 = r * out, d1 = d0 + out, d2 = d1 + out, d3 = d2 + out;
        int i = 0;
        for (; i + 2 * L <= in; i += 2 * L) {
            DoubleVector z = DoubleVector.zero(D);
            DoubleVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
            for (int o = 0; o < out; o++) {
                if (zero[o]) continue;
                DoubleVector w0 = widen(weight, o * in + i), w1 = widen(weight, o * in + i + L);
                double u0 = dy[d0 + o], u1 = dy[d1 + o], u2 = dy[d2 + o], u3 = dy[d3 + o];
                a00 = a00.add(w0.mul(u0));
                a01 = a01.add(w1.mul(u0));
                a10 = a10.add(w0.mul(u1));
                a11 = a11.add(w1.mul(u1));
                a20 = a20.add(w0.mul(u2));
                a21 = a21.add(w1.mul(u2));
                a30 = a30.add(w0.mul(u3));
                a31 = a31.add(w1.mul(u3));
            }
            int x0 = r * in + i;
            narrow(a00, dx, x0);
            narrow(a01, dx, x0 + L);
            narrow(a10, dx, x0 + in);
            narrow(a11, dx, x0 + in + L);
            narrow(a20, dx, x0 + 2 * in);
            narrow(a21, dx, x0 + 2 * in + L);
            narrow(a30, dx, x0 + 3 * in);
            narrow(a31, dx, x0 + 3 * in + L);
        }
        for (; i < in; i++) {
            for (int q = 0; q < 4; q++) {
                double acc = 0;
                for (int o = 0; o < out; o++) if (!zero[o]) acc += dy[(r + q) * out + o] * (double) weight[o * in + i];
                dx[(r + q) * in + i] = (float) acc;
            }
        }
    }

    /**
     * dW rows [o0, o0 + 4) = Σ over the rows in {@code live} (those whose dy is not zero for all four, in order) of
     * dy[r, o]·x[r, :].
     */
    static void weightGroup(float[] dy, float[] x, int[] live, int count, int out, int in, int o0, float[] dw) {
        int i = 0;
        for (; i + 2 * L <= in; i += 2 * L) {
            DoubleVector z = DoubleVector.zero(D);
            DoubleVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
            for (int n = 0; n < count; n++) {
                int r = live[n], at = r * out + o0;
                DoubleVector x0 = widen(x, r * in + i), x1 = widen(x, r * in + i + L);
                double u0 = dy[at], u1 = dy[at + 1], u2 = dy[at + 2], u3 = dy[at + 3];
                a00 = a00.add(x0.mul(u0));
                a01 = a01.add(x1.mul(u0));
                a10 = a10.add(x0.mul(u1));
                a11 = a11.add(x1.mul(u1));
                a20 = a20.add(x0.mul(u2));
                a21 = a21.add(x1.mul(u2));
                a30 = a30.add(x0.mul(u3));
                a31 = a31.add(x1.mul(u3));
            }
            int w0 = o0 * in + i;
            narrow(a00, dw, w0);
            narrow(a01, dw, w0 + L);
            narrow(a10, dw, w0 + in);
            narrow(a11, dw, w0 + in + L);
            narrow(a20, dw, w0 + 2 * in);
            narrow(a21, dw, w0 + 2 * in + L);
            narrow(a30, dw, w0 + 3 * in);
            narrow(a31, dw, w0 + 3 * in + L);
        }
        for (; i < in; i++) {
            for (int q = 0; q < 4; q++) {
                double acc = 0;
                for (int n = 0; n < count; n++) acc += dy[live[n] * out + o0 + q] * (double) x[live[n] * in + i];
                dw[(o0 + q) * in + i] = (float) acc;
            }
        }
    }
}
