package hyenac.backends.cpu;

import java.util.Arrays;

/**
 * Decode state of {@link Attention}: per batch row the keys (already rotated at their absolute positions)
 * and values of every token seen so far.
 */
public final class KvCache {
    private final int batch, heads, headDim, width;
    private final Rope rope;
    private float[][] keys, values; // per batch row, [capacity, width]
    private int length;

    /** rope may be null (no position encoding). */
    public KvCache(int batch, int heads, int headDim, Rope rope) {
        Check.positive("batch", batch);
        Check.positive("heads", heads);
        Check.positive("head_dim", headDim);
        if (rope != null && rope.headDim() != headDim) throw new IllegalArgumentException("rope is for head_dim " + rope.headDim() + ", not " + headDim);
        this.batch = batch;
        this.heads = heads;
        this.headDim = headDim;
        this.width = heads * headDim;
        this.rope = rope;
        reset();
    }

    public void reset() {
        keys = new float[batch][width * 16];
        values = new float[batch][width * 16];
        length = 0;
    }

    /** Tokens held. */
    public int length() { return length; }

    /** Forgets everything, then holds the prompt's k (rotated at positions 0..length−1) and v, [batch, length, width]. */
    public void prefill(float[] k, float[] v, int length) {
        Check.positive("length", length);
        Check.size("k", k, (long) batch * length * width);
        Check.size("v", v, (long) batch * length * width);
        reset();
        float[] kr = rope == null ? k : rope.apply(k, batch, length, heads, 0);
        ensure(length);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(kr, b * length * width, keys[b], 0, length * width);
            System.arraycopy(v, b * length * width, values[b], 0, length * width);
        }
        this.length = length;
    }

    /**
     * One token: q, k, v [batch, width] before rotation; q and k are rotated at {@code position} (the absolute
     * position, normally {@link #length()}), k and v appended, and q attends over every held token.
     * Returns the attention output [batch, width].
     */
    public float[] step(float[] q, float[] k, float[] v, long position) {
        Check.size("q", q, (long) batch * width);
        Check.size("k", k, (long) batch * width);
        Check.size("v", v, (long) batch * width);
        ensure(length + 1);
        float[] qr = q.clone();
        for (int b = 0; b < batch; b++) {
            if (rope != null) {
                rope.rotate(q, b * width, qr, b * width, heads, position);
                rope.rotate(k, b * width, keys[b], length * width, heads, position);
            } else {
                System.arraycopy(k, b * width, keys[b], length * width, width);
            }
            System.arraycopy(v, b * width, values[b], length * width, width);
        }
        length++;
        float[] out = new float[batch * width];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                Attention.attend(qr, b * width + h * headDim, keys[b], values[b], 0, length, width, h * headDim, headDim, out, b * width + h * headDim);
            }
        }
        return out;
    }

    /** The held keys (after RoPE) as [batch, length, heads, headDim]. */
    public float[] keys() { return gather(keys); }

    /** The held values as [batch, length, heads, headDim]. */
    public float[] values() { return gather(values); }

    private float[] gather(float[][] rows) {
        float[] out = new float[batch * length * width];
        for (int b = 0; b < batch; b++) System.arraycopy(rows[b], 0, out, b * length * width, length * width);
        return out;
    }

    private void ensure(int tokens) {
        long need = (long) tokens * width;
        if (need > Integer.MAX_VALUE - 8) throw new IllegalStateException("KV cache too large: " + tokens + " tokens of width " + width);
        if (need <= keys[0].length) return;
        int cap = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * keys[0].length));
        for (int b = 0; b < batch; b++) {
            keys[b] = Arrays.copyOf(keys[b], cap);
            values[b] = Arrays.copyOf(values[b], cap);
        }
    }
}
