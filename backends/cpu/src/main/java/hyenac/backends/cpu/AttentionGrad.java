package hyenac.backends.cpu;

/**
 * Gradients of {@link Attention#causal}: the softmax is recomputed from q, k (after RoPE) rather than kept. For a
 * query t with probabilities p over keys j ≤ t: dv_j += p_j·dy_t, ds_j = p_j·(dy_t·v_j − dy_t·out_t),
 * dq_t = Σ ds_j·k_j/√d, dk_j += ds_j·q_t/√d; RoPE's rotation is undone on dq and dk (its transpose).
 */
public final class AttentionGrad {
    private AttentionGrad() {}

    /** Returns {dq, dk, dv}, each [batch, length, heads·headDim]. */
    public static float[][] apply(float[] dy, float[] q, float[] k, float[] v, int batch, int length, int heads, int headDim, Rope rope) {
        int width = heads * headDim;
        long size = (long) batch * length * width;
        Check.size("dy", dy, size);
        Check.size("q", q, size);
        Check.size("k", k, size);
        Check.size("v", v, size);
        float[] qr = rope == null ? q : rope.apply(q, batch, length, heads, 0);
        float[] kr = rope == null ? k : rope.apply(k, batch, length, heads, 0);
        float[] dqr = new float[(int) size], dkr = new float[(int) size], dv = new float[(int) size];
        double scale = 1 / Math.sqrt(headDim);
        // one task per (batch, head): it alone writes that head's channels of dq, dk, dv; the sums over keys and over
        // the head's channels run in contiguous loops that vectorise
        Par.forEach(batch * heads, (long) length * length * headDim * 3, bh -> {
            int b = bh / heads, h = bh % heads;
            int base = b * length * width + h * headDim;
            float[] kt = Attention.transposed(kr, base, length, width, headDim), vt = Attention.transposed(v, base, length, width, headDim);
            double[] dkAcc = new double[length * headDim], dvAcc = new double[length * headDim];
            double[] p = new double[length], dp = new double[length], dqAcc = new double[headDim];
            for (int t = 0; t < length; t++) {
                int qOff = base + t * width;
                Attention.scores(qr, qOff, kt, length, headDim, t + 1, p);
                double denom = Attention.unnormalisedSoftmax(p, t + 1, scale);
                Attention.scores(dy, qOff, vt, length, headDim, t + 1, dp);
                double dotOut = 0;
                for (int j = 0; j <= t; j++) {
                    p[j] /= denom;
                    dotOut += p[j] * dp[j];
                }
                java.util.Arrays.fill(dqAcc, 0);
                for (int j = 0; j <= t; j++) {
                    double ds = p[j] * (dp[j] - dotOut) * scale, pj = p[j];
                    int kOff = base + j * width, at = j * headDim;
                    for (int d = 0; d < headDim; d++) dqAcc[d] += ds * kr[kOff + d];
                    for (int d = 0; d < headDim; d++) dkAcc[at + d] += ds * qr[qOff + d];
                    for (int d = 0; d < headDim; d++) dvAcc[at + d] += pj * dy[qOff + d];
                }
                for (int d = 0; d < headDim; d++) dqr[qOff + d] = (float) dqAcc[d];
            }
            for (int j = 0; j < length; j++) {
                for (int d = 0; d < headDim; d++) {
                    dkr[base + j * width + d] = (float) dkAcc[j * headDim + d];
                    dv[base + j * width + d] = (float) dvAcc[j * headDim + d];
                }
            }
        });
        if (rope == null) return new float[][] {dqr, dkr, dv};
        return new float[][] {unrotate(rope, dqr, batch, length, heads), unrotate(rope, dkr, batch, length, heads), dv};
    }

    /** The transpose of {@link Rope#apply} at positions 0..length−1: each pair rotated by −θ. */
    static float[] unrotate(Rope rope, float[] x, int batch, int length, int heads) {
        int d = rope.headDim(), half = d / 2, width = heads * d;
        float[] y = new float[x.length];
        Par.forEach(batch * length, (long) width * 8, bt -> {
            int off = bt * width;
            long position = bt % length;
            for (int i = 0; i < half; i++) {
                double theta = rope.angle(position, i);
                double cos = Math.cos(theta), sin = Math.sin(theta);
                for (int h = 0; h < heads; h++) {
                    double x0 = x[off + h * d + i], x1 = x[off + h * d + half + i];
                    y[off + h * d + i] = (float) (x0 * cos + x1 * sin);
                    y[off + h * d + half + i] = (float) (-x0 * sin + x1 * cos);
                }
            }
        });
        return y;
    }
}
