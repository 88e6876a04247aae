package hyenac.backends.cpu;

import hyenac.runtime.weights.HostTensor;

/** The dense projection y = x·Wᵀ + b. */
public final class Linear {
    private Linear() {}

    /** Weight rows one task of the bf16 kernel widens and uses. */
    private static final int ROWS_PER_TASK = 32;

    /**
     * x [rows, in], weight [out, in] row-major, optional bias [out] (null for none) → y [rows, out].
     * Each output is one dot product accumulated in double and rounded once.
     */
    public static float[] apply(float[] x, int rows, int in, float[] weight, int out, float[] bias) {
        Check.positive("in", in);
        Check.positive("out", out);
        Check.size("x", x, (long) rows * in);
        Check.size("weight", weight, (long) out * in);
        Check.sizeOrNull("bias", bias, out);
        float[] y = new float[Math.multiplyExact(rows, out)];
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
