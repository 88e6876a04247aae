package hyenac.backends.cpu;

import hyenac.runtime.weights.HostTensor;

/** The dense projection y = x·Wᵀ + b. */
public final class Linear {
    private Linear() {}

    /** Weight rows one task of the bf16 kernel widens and uses. */
    private static final int ROWS_PER_TASK = 32;

    /** Outputs per task of the fp32 kernel: a block of weight rows it transposes so that its inner loop runs over outputs. */
    private static final int OUT_BLOCK = 64;
    /** x rows per task of the fp32 kernel: its transposed block is reused for each. */
    private static final int ROW_BLOCK = 32;
    /** Fewer x rows than this (a decode step) take dot products: a transposed block would cost as much as its use. */
    private static final int MIN_ROWS_TRANSPOSED = 8;

    /**
     * x [rows, in], weight [out, in] row-major, optional bias [out] (null for none) → y [rows, out].
     * Each output is the bias plus x[r, i]·w[o, i] for i = 0, 1, … added in that order in double, rounded once: the
     * same bits however the work is split. Many rows run with a transposed block of the weight: in register tiles of
     * {@link VectorLinear} when the JVM has the Vector API, else two rows at a time in loops over outputs that C2
     * vectorises (each weight load serving two rows).
     */
    public static float[] apply(float[] x, int rows, int in, float[] weight, int out, float[] bias) {
        Check.positive("in", in);
        Check.positive("out", out);
        Check.size("x", x, (long) rows * in);
        Check.size("weight", weight, (long) out * in);
        Check.sizeOrNull("bias", bias, out);
        float[] y = new float[Math.multiplyExact(rows, out)];
        if (rows < MIN_ROWS_TRANSPOSED) {
            Par.forEach(rows, (long) in * out, r -> {
                int xBase = r * in;
                for (int o = 0; o < out; o++) {
                    int wBase = o * in;
                    double acc = bias == null ? 0 : bias[o];
                    for (int i = 0; i < in; i++) acc += (double) x[xBase + i] * weight[wBase + i];
                    y[r * out + o] = (float) acc;
                }
            });
            return y;
        }
        int outBlocks = (out + OUT_BLOCK - 1) / OUT_BLOCK, rowBlocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        boolean vectors = VectorSupport.use((long) rows * in * out);
        Par.forEach(outBlocks * rowBlocks, (long) ROW_BLOCK * OUT_BLOCK * in, task -> {
            int o0 = task % outBlocks * OUT_BLOCK, n = Math.min(OUT_BLOCK, out - o0);
            int r0 = task / outBlocks * ROW_BLOCK, rEnd = Math.min(rows, r0 + ROW_BLOCK);
            if (vectors) {
                double[] wt = new double[in * n], b = new double[n];
                for (int k = 0; k < n; k++) for (int i = 0; i < in; i++) wt[i * n + k] = weight[(o0 + k) * in + i];
                if (bias != null) for (int k = 0; k < n; k++) b[k] = bias[o0 + k];
                VectorLinear.forwardBlock(x, in, wt, n, b, r0, rEnd, y, out, o0);
                return;
            }
            float[] wt = new float[in * n];
            for (int k = 0; k < n; k++) for (int i = 0; i < in; i++) wt[i * n + k] = weight[(o0 + k) * in + i];
            double[] a0 = new double[n], a1 = new double[n];
            for (int r = r0; r < rEnd; r += 2) {
                boolean two = r + 1 < rEnd;
                for (int k = 0; k < n; k++) a0[k] = a1[k] = bias == null ? 0 : bias[o0 + k];
                int x0 = r * in, x1 = two ? x0 + in : x0;
                for (int i = 0; i < in; i++) {
                    double u = x[x0 + i], v = x[x1 + i];
                    int w = i * n;
                    for (int k = 0; k < n; k++) {
                        double wk = wt[w + k];
                        a0[k] += u * wk;
                        a1[k] += v * wk;
                    }
                }
                for (int k = 0; k < n; k++) y[r * out + o0 + k] = (float) a0[k];
                if (two) for (int k = 0; k < n; k++) y[(r + 1) * out + o0 + k] = (float) a1[k];
            }
        });
        return y;
    }

    /** As {@link #apply(float[], int, int, float[], int, float[])} with the weight as held: fp32, or bf16 read as it is. */
    public static float[] apply(float[] x, int rows, int in, HostTensor weight, int out, float[] bias) {
        return switch (weight) {
            case HostTensor.Fp32 f -> apply(x, rows, in, f.values(), out, bias);
            case HostTensor.Bf16 b -> apply(x, rows, in, b, out, bias);
        };
    }

    /**
     * The bf16 weight widened a few rows at a time, each used for every x row: the same arithmetic in the same order
     * as the fp32 kernel on the widened weight, so the same bits, without an fp32 copy of the weight. Four outputs
     * accumulate side by side (four independent chains of additions, each in the fp32 kernel's order), which the
     * CPU overlaps. Tasks take blocks of weight rows, so a decode step (one x row) runs on every core too.
     */
    private static float[] apply(float[] x, int rows, int in, HostTensor.Bf16 weight, int out, float[] bias) {
        Check.positive("in", in);
        Check.positive("out", out);
        Check.size("x", x, (long) rows * in);
        if (weight.elements() != (long) out * in) {
            throw new IllegalArgumentException("weight has " + weight.elements() + " elements, expected " + (long) out * in);
        }
        Check.sizeOrNull("bias", bias, out);
        float[] y = new float[Math.multiplyExact(rows, out)];
        int tasks = (out + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        Par.forEach(tasks, (long) rows * in * ROWS_PER_TASK, t -> {
            float[] w0 = new float[in], w1 = new float[in], w2 = new float[in], w3 = new float[in];
            short[] scratch = new short[in];
            int o = t * ROWS_PER_TASK, end = Math.min(out, o + ROWS_PER_TASK);
            for (; o + 4 <= end; o += 4) {
                weight.widen((long) o * in, w0, 0, in, scratch);
                weight.widen((long) (o + 1) * in, w1, 0, in, scratch);
                weight.widen((long) (o + 2) * in, w2, 0, in, scratch);
                weight.widen((long) (o + 3) * in, w3, 0, in, scratch);
                for (int r = 0; r < rows; r++) {
                    int xBase = r * in;
                    double a0 = bias == null ? 0 : bias[o], a1 = bias == null ? 0 : bias[o + 1];
                    double a2 = bias == null ? 0 : bias[o + 2], a3 = bias == null ? 0 : bias[o + 3];
                    for (int i = 0; i < in; i++) {
                        double xi = x[xBase + i];
                        a0 += xi * w0[i];
                        a1 += xi * w1[i];
                        a2 += xi * w2[i];
                        a3 += xi * w3[i];
                    }
                    int at = r * out + o;
                    y[at] = (float) a0;
                    y[at + 1] = (float) a1;
                    y[at + 2] = (float) a2;
                    y[at + 3] = (float) a3;
                }
            }
            for (; o < end; o++) {
                weight.widen((long) o * in, w0, 0, in, scratch);
                for (int r = 0; r < rows; r++) {
                    int xBase = r * in;
                    double acc = bias == null ? 0 : bias[o];
                    for (int i = 0; i < in; i++) acc += (double) x[xBase + i] * w0[i];
                    y[r * out + o] = (float) acc;
                }
            }
        });
        return y;
    }
}
