package hyenac.backends.cpu;

/** The dense projection y = x·Wᵀ + b. */
public final class Linear {
    private Linear() {}

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
}
