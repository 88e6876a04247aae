package hyenac.backends.cpu;

import static hyenac.backends.cpu.TestUtil.assertRelClose;
import static hyenac.backends.cpu.TestUtil.gaussian;
import static hyenac.backends.cpu.TestUtil.rows;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** RoPE, causal attention and its KV-cache decode form. */
class AttentionTest {

    /** Rotate-half RoPE in double over x [batch, length, heads·hd], positions first..first+length−1. */
    private static double[] refRope(float[] x, int batch, int length, int heads, int hd, float[] invFreq, double scale, int first) {
        double[] y = new double[x.length];
        int half = hd / 2;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = ((b * length + t) * heads + h) * hd;
                    for (int i = 0; i < half; i++) {
                        double th = (first + t) / scale * invFreq[i];
                        y[o + i] = x[o + i] * Math.cos(th) - x[o + half + i] * Math.sin(th);
                        y[o + half + i] = x[o + i] * Math.sin(th) + x[o + half + i] * Math.cos(th);
                    }
                }
            }
        }
        return y;
    }

    /** softmax(q·kᵀ/√hd over positions ≤ t)·v in double. */
    private static double[] refAttention(double[] q, double[] k, float[] v, int batch, int length, int heads, int hd) {
        double[] out = new double[q.length];
        int w = heads * hd;
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < length; t++) {
                    double[] p = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= t; j++) {
                        double dot = 0;
                        for (int d = 0; d < hd; d++) dot += q[(b * length + t) * w + h * hd + d] * k[(b * length + j) * w + h * hd + d];
                        p[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j <= t; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int d = 0; d < hd; d++) {
                        double acc = 0;
                        for (int j = 0; j <= t; j++) acc += p[j] / sum * v[(b * length + j) * w + h * hd + d];
                        out[(b * length + t) * w + h * hd + d] = acc;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void ropeRotatesHalvesByPositionTimesFrequency() {
        Random rnd = new Random(40);
        int batch = 2, length = 9, heads = 3, hd = 8;
        float[] x = gaussian(rnd, batch * length * heads * hd);
        for (double scale : new double[] {1, 32}) {
            Rope rope = new Rope(Rope.invFreqBf16(1e4, hd), scale);
            float[] got = rope.apply(x, batch, length, heads, 5);
            assertRelClose(refRope(x, batch, length, heads, hd, rope.invFreq(), scale, 5), got, 1e-7, "rope scale " + scale);
        }
        // position 0 is the identity
        Rope rope = new Rope(Rope.invFreqBf16(1e4, hd));
        assertArrayEquals(rows(x, batch, length, heads * hd, 0, 1), rope.apply(rows(x, batch, length, heads * hd, 0, 1), batch, 1, heads, 0));
    }

    @Test
    void invFreqIsBf16Rounded() {
        float[] f = Rope.invFreqBf16(1e4, 32);
        assertEquals(1f, f[0]);
        assertEquals(0.5625f, f[1]);
        assertEquals(0.31640625f, f[2]);
        assertEquals(16, f.length);
        assertEquals(1f, Rope.bf16(1.00390625f)); // halfway between 1 and 1 + 2⁻⁷: to even
        assertEquals(1.015625f, Rope.bf16(1.01171875f)); // halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: to even
        assertEquals(1.0078125f, Rope.bf16(1.0078f));
        assertThrows(IllegalArgumentException.class, () -> Rope.invFreqBf16(1e4, 7));
    }

    @Test
    void causalAttentionMatchesTheDoubleReference() {
        Random rnd = new Random(41);
        for (int[] d : new int[][] {{1, 1, 1, 2}, {2, 17, 3, 8}, {2, 64, 2, 32}}) {
            int batch = d[0], length = d[1], heads = d[2], hd = d[3], w = heads * hd;
            float[] q = gaussian(rnd, batch * length * w), k = gaussian(rnd, batch * length * w), v = gaussian(rnd, batch * length * w);
            Rope rope = new Rope(Rope.invFreqBf16(1e4, hd));
            double[] ref = refAttention(refRope(q, batch, length, heads, hd, rope.invFreq(), 1, 0),
                    refRope(k, batch, length, heads, hd, rope.invFreq(), 1, 0), v, batch, length, heads, hd);
            assertRelClose(ref, Attention.causal(q, k, v, batch, length, heads, hd, rope), 1e-6, "attention with rope " + length);
            double[] plain = refAttention(TestUtil.toDouble(q), TestUtil.toDouble(k), v, batch, length, heads, hd);
            assertRelClose(plain, Attention.causal(q, k, v, batch, length, heads, hd), 1e-6, "attention without rope " + length);
        }
    }

    @Test
    void largeScoresDoNotOverflow() {
        // scores of 100·100/√2 ≈ 7071: exp overflows unless the softmax is shifted by its max
        float[] qk = {100f, 0f, 100f, 0f}, v = {1f, 3f, 3f, 5f};
        float[] out = Attention.causal(qk, qk, v, 1, 2, 1, 2);
        assertArrayEquals(new float[] {1f, 3f, 2f, 4f}, out); // token 1: equal scores, the mean of both values
    }

    @Test
    void kvCacheStepsContinueThePrefill() {
        Random rnd = new Random(42);
        int batch = 2, heads = 2, hd = 16, w = heads * hd, steps = 8;
        for (int prompt : new int[] {0, 1, 7, 40}) {
            int total = prompt + steps;
            float[] q = gaussian(rnd, batch * total * w), k = gaussian(rnd, batch * total * w), v = gaussian(rnd, batch * total * w);
            Rope rope = new Rope(Rope.invFreqBf16(1e4, hd), prompt == 7 ? 4 : 1);
            float[] parallel = Attention.causal(q, k, v, batch, total, heads, hd, rope);

            KvCache cache = new KvCache(batch, heads, hd, rope);
            if (prompt > 0) cache.prefill(rows(k, batch, total, w, 0, prompt), rows(v, batch, total, w, 0, prompt), prompt);
            float[] got = new float[batch * steps * w];
            for (int s = 0; s < steps; s++) {
                int t = prompt + s;
                float[] o = cache.step(rows(q, batch, total, w, t, t + 1), rows(k, batch, total, w, t, t + 1), rows(v, batch, total, w, t, t + 1), t);
                for (int b = 0; b < batch; b++) System.arraycopy(o, b * w, got, (b * steps + s) * w, w);
            }
            assertEquals(total, cache.length());
            assertRelClose(rows(parallel, batch, total, w, prompt, total), got, 1e-5, "kv decode T=" + prompt);
            assertArrayEquals(rope.apply(k, batch, total, heads, 0), cache.keys(), "cached keys are rotated at their positions");
            assertArrayEquals(v, cache.values());
        }
    }
}
