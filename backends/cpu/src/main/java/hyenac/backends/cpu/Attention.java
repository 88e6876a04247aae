package hyenac.backends.cpu;

/**
 * Causal multi-head softmax attention (the {@code causal_attention} primitive), no grouped kv heads.
 * q, k, v, out are [batch, length, heads·headDim] with channel = head·headDim + d. Scores q·k/√headDim,
 * softmax over positions ≤ t, all in double. The decode form is {@link KvCache}.
 */
public final class Attention {
    private Attention() {}

    /** Without position encoding. */
    public static float[] causal(float[] q, float[] k, float[] v, int batch, int length, int heads, int headDim) {
        return causal(q, k, v, batch, length, heads, headDim, null);
    }

    /** With {@code rope} (or null) applied to q and k at positions 0..length−1. */
    public static float[] causal(float[] q, float[] k, float[] v, int batch, int length, int heads, int headDim, Rope rope) {
        Check.positive("batch", batch);
        Check.positive("length", length);
        Check.positive("heads", heads);
        Check.positive("head_dim", headDim);
        int width = heads * headDim;
        long size = (long) batch * length * width;
        Check.size("q", q, size);
        Check.size("k", k, size);
        Check.size("v", v, size);
        if (rope != null) {
            if (rope.headDim() != headDim) throw new IllegalArgumentException("rope is for head_dim " + rope.headDim() + ", not " + headDim);
            q = rope.apply(q, batch, length, heads, 0);
            k = rope.apply(k, batch, length, heads, 0);
        }
        float[] qr = q, kr = k;
        float[] out = new float[(int) size];
        // one task per (batch, head); scores run over keys and p·V over the head's channels, contiguous loops that
        // vectorise, each sum in the order attend() takes (so the bits of the decode path)
        Par.forEach(batch * heads, (long) length * length * headDim, bh -> {
            int b = bh / heads, h = bh % heads;
            int base = b * length * width + h * headDim;
            float[] kt = transposed(kr, base, length, width, headDim);
            double[] p = new double[length], acc = new double[headDim];
            double scale = 1 / Math.sqrt(headDim);
            for (int t = 0; t < length; t++) {
                int row = base + t * width;
                scores(qr, row, kt, length, headDim, t + 1, p);
                double denom = unnormalisedSoftmax(p, t + 1, scale);
                java.util.Arrays.fill(acc, 0);
                for (int j = 0; j <= t; j++) {
                    double pj = p[j];
                    int vOff = base + j * width;
                    for (int d = 0; d < headDim; d++) acc[d] += pj * v[vOff + d];
                }
                for (int d = 0; d < headDim; d++) out[row + d] = (float) (acc[d] / denom);
            }
        });
        return out;
    }

    /** The head's rows [length, headDim] (row j at base + j·width) as [headDim, length]. */
    static float[] transposed(float[] x, int base, int length, int width, int headDim) {
        float[] t = new float[headDim * length];
        for (int j = 0; j < length; j++) for (int d = 0; d < headDim; d++) t[d * length + j] = x[base + j * width + d];
        return t;
    }

    /** s[j] = Σ_d q[row + d]·keysT[d, j] for j < count, each sum over d in order. */
    static void scores(float[] q, int row, float[] keysT, int length, int headDim, int count, double[] s) {
        java.util.Arrays.fill(s, 0, count, 0);
        for (int d = 0; d < headDim; d++) {
            double qd = q[row + d];
            int at = d * length;
            for (int j = 0; j < count; j++) s[j] += qd * keysT[at + j];
        }
    }

    /**
     * One query against {@code count} key/value rows: key j of the head is keys[base + j·stride + headOff + d].
     * Writes softmax(q·Kᵀ/√d)·V to out[outOff, outOff + headDim).
     */
    static void attend(float[] q, int qOff, float[] keys, float[] values, int base, int count, int stride, int headOff,
                       int headDim, float[] out, int outOff) {
        double scale = 1 / Math.sqrt(headDim);
        double[] p = new double[count];
        for (int j = 0; j < count; j++) {
            int kOff = base + j * stride + headOff;
            double dot = 0;
            for (int d = 0; d < headDim; d++) dot += (double) q[qOff + d] * keys[kOff + d];
            p[j] = dot;
        }
        double denom = unnormalisedSoftmax(p, count, scale);
        for (int d = 0; d < headDim; d++) {
            double acc = 0;
            for (int j = 0; j < count; j++) acc += p[j] * values[base + j * stride + headOff + d];
            out[outOff + d] = (float) (acc / denom);
        }
    }

    /**
     * The softmax of s[0, count)·scale before its division: scales s in place, shifts it by its max (no overflow,
     * the same softmax) and exponentiates it; returns the sum, the denominator. Prefill, decode and the backward pass
     * all weigh keys through it, so their weights agree to the bit.
     */
    static double unnormalisedSoftmax(double[] s, int count, double scale) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            s[j] *= scale;
            max = Math.max(max, s[j]);
        }
        double denom = 0;
        for (int j = 0; j < count; j++) {
            s[j] = Math.exp(s[j] - max);
            denom += s[j];
        }
        return denom;
    }
}
