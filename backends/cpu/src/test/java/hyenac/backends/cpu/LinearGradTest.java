package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The linear kernels and their gradients sum each output in one documented order, so they give the bits of a plain
 * in-order double sum, with the Vector API's register tiles and without them, whatever the shapes' remainders.
 */
class LinearGradTest {
    /** rows, in, out: full tiles, remainders of rows, of outputs and of vector lanes, and a decode row. */
    private static final int[][] SHAPES = {{1, 5, 3}, {64, 48, 144}, {37, 23, 11}, {9, 70, 130}, {40, 96, 48}};

    @AfterEach
    void defaults() { VectorSupport.defaults(); }

    @Test
    void theTestJvmHasTheVectorApi() {
        assertTrue(VectorSupport.AVAILABLE, "surefire runs with --add-modules jdk.incubator.vector, so the vector kernels are tested");
    }

    @Test
    void vectorAndScalarKernelsGiveTheBitsOfInOrderSums() {
        for (boolean vectors : new boolean[] {true, false}) {
            VectorSupport.enable(vectors);
            Random rnd = new Random(5);
            for (int[] s : SHAPES) {
                int rows = s[0], in = s[1], out = s[2];
                String what = (vectors ? "vector " : "scalar ") + rows + "x" + in + "->" + out;
                float[] x = gaussian(rnd, rows * in), w = gaussian(rnd, out * in), bias = gaussian(rnd, out), dy = gaussian(rnd, rows * out);
                for (int r = 0; r < rows; r += 3) java.util.Arrays.fill(dy, r * out, (r + 1) * out, 0); // masked rows
                for (int r = 0; r < rows; r++) dy[r * out + out / 2] = 0; // and single zeros
                float[] y = new float[rows * out], dx = new float[rows * in], dw = new float[out * in];
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        double acc = bias[o];
                        for (int i = 0; i < in; i++) acc += (double) x[r * in + i] * w[o * in + i];
                        y[r * out + o] = (float) acc;
                    }
                    for (int i = 0; i < in; i++) {
                        double acc = 0;
                        for (int o = 0; o < out; o++) acc += (double) dy[r * out + o] * w[o * in + i];
                        dx[r * in + i] = (float) acc;
                    }
                }
                for (int o = 0; o < out; o++) {
                    for (int i = 0; i < in; i++) {
                        double acc = 0;
                        for (int r = 0; r < rows; r++) acc += (double) dy[r * out + o] * x[r * in + i];
                        dw[o * in + i] = (float) acc;
                    }
                }
                assertArrayEquals(y, Linear.apply(x, rows, in, w, out, bias), "forward " + what);
                assertArrayEquals(dx, LinearGrad.input(dy, rows, out, w, in), "input gradient " + what);
                assertArrayEquals(dw, LinearGrad.weight(dy, x, rows, out, in), "weight gradient " + what);
            }
        }
    }
}
