package hyenac.backends.cpu;

import hyenac.ir.cp.Zigzag;

/**
 * One block of ring attention: a rank's queries against the keys and values of one rank's shard, folded into running
 * softmax statistics (max, sum, weighted values) in double, so that the blocks may come in any order and the result
 * is causal attention over the whole sequence. Positions are global ({@link Zigzag}): key j attends to query t only
 * when its position is not later.
 */
final class RingAttention {
    private RingAttention() {}

    /**
     * @param q     [batch, local, heads·headDim] rotated queries of rank {@code rank}
     * @param block keys then values of rank {@code from}, each [batch, local, heads·headDim] (keys rotated), values at {@code valuesAt}
     */
    static void accumulate(float[] q, float[] block, int valuesAt, int batch, int local, int heads, int headDim, Zigzag z, int rank,
                           int from, double[] max, double[] sum, double[] acc) {
        int ch = heads * headDim;
        double scale = 1 / Math.sqrt(headDim);
        Par.forEach(batch * heads, (long) local * local * headDim, bh -> {
            int b = bh / heads, h = bh % heads;
            double[] s = new double[local];
            for (int t = 0; t < local; t++) {
                int pos = z.position(rank, t), row = b * local + t, qOff = row * ch + h * headDim;
                int count = 0;
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < local; j++) {
                    if (z.position(from, j) > pos) { s[j] = Double.NaN; continue; }
                    int kOff = (b * local + j) * ch + h * headDim;
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) dot += (double) q[qOff + d] * block[kOff + d];
                    s[j] = dot * scale;
                    m = Math.max(m, s[j]);
                    count++;
                }
                if (count == 0) continue;
                int stat = row * heads + h;
                double newMax = Math.max(max[stat], m);
                double rescale = Math.exp(max[stat] - newMax); // 0 for the first block (−∞)
                sum[stat] *= rescale;
                for (int d = 0; d < headDim; d++) acc[qOff + d] *= rescale;
                for (int j = 0; j < local; j++) {
                    if (Double.isNaN(s[j])) continue;
                    double p = Math.exp(s[j] - newMax);
                    sum[stat] += p;
                    int vOff = valuesAt + (b * local + j) * ch + h * headDim;
                    for (int d = 0; d < headDim; d++) acc[qOff + d] += p * block[vOff + d];
                }
                max[stat] = newMax;
            }
        });
    }
}
