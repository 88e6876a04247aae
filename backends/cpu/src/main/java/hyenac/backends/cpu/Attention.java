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
        // one task per (batch, head, query position); each reads the keys and values of its own batch row
        Par.forEach(batch * heads * length, (long) length * headDim, i -> {
            int t = i % length, h = (i / length) % heads, b = i / (length * heads);
            int row = (b * length + t) * width + h * headDim;
            attend(qr, row, kr, v, b * length * width, t + 1, width, h * headDim, headDim, out, row);
        });
        return out;
    }

    /**
     * One query against {@code count} key/value rows: key j of the head is keys[base + j·stride + headOff + d].
     * Writes softmax(q·Kᵀ/√d)·V to out[outOff, outOff + headDim).
     */
    static void attend(float[] q, int qOff, float[] keys, float[] values, int base, int count, int stride, int headOff,
                       int headDim, float[] out, int outOff) {
        double scale = 1 / Math.sqrt(headDim);
        double[] p = new double[count];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < count; j++) {
            int kOff = base + j * stride + headOff;
            double dot = 0;
            for (int d = 0; d < headDim; d++) dot += (double) q[qOff + d] * keys[kOff + d];
            p[j] = dot * scale;
            max = Math.max(max, p[j]);
        }
        double denom = 0;
        for (int j = 0; j < count; j++) {
            p[j] = Math.exp(p[j] - max); // shifted by the max: no overflow, same softmax
            denom += p[j];
        }
        for (int d = 0; d < headDim; d++) {
            double acc = 0;
            for (int j = 0; j < count; j++) acc += p[j] * values[base + j * stride + headOff + d];
            out[outOff + d] = (float) (acc / denom);
        }
    }
}
