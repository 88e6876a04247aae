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
     * The bf16 weight widened a row at a time, each row used for every x row: the same arithmetic in the same order
     * as the fp32 kernel on the widened weight, so the same bits, without an fp32 copy of the weight. Tasks take
     * blocks of weight rows, so a decode step (one x row) runs on every core too.
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
            float[] w = new float[in];
            short[] scratch = new short[in];
            for (int o = t * ROWS_PER_TASK, end = Math.min(out, o + ROWS_PER_TASK); o < end; o++) {
                weight.widen((long) o * in, w, 0, in, scratch);
                for (int r = 0; r < rows; r++) {
                    int xBase = r * in;
                    double acc = bias == null ? 0 : bias[o];
                    for (int i = 0; i < in; i++) acc += (double) x[xBase + i] * w[i];
                    y[r * out + o] = (float) acc;
                }
            }
        });
        return y;
    }
}
