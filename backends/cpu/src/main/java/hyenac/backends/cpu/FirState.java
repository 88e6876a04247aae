package hyenac.backends.cpu;

import java.util.Arrays;

/**
 * Decode state of a causal FIR ({@link Conv} one token at a time): per batch row and channel a ring of the
 * last len−1 inputs. Works for any tap order, because {@link Fir} is always in FIR order (the featurizer's
 * and SE's cross-correlation taps are flipped when the {@code Fir} is built).
 */
public final class FirState {
    private final int batch, channels, len;
    private final Fir filter;
    private final float[] skip;
    private final int[] group;
    /** ring[(b·channels + c)·(len−1) + slot]; slot {@link #next} receives the next input. */
    private final float[] ring;
    private int next;

    /** skip [channels] or null. */
    public FirState(int batch, int channels, Fir filter, float[] skip) {
        Check.positive("batch", batch);
        Check.positive("channels", channels);
        Check.divides("channels over filter groups", channels, filter.groups());
        Check.sizeOrNull("skip", skip, channels);
        this.batch = batch;
        this.channels = channels;
        this.filter = filter;
        this.len = filter.len();
        this.skip = skip == null ? null : skip.clone();
        this.group = new int[channels];
        for (int c = 0; c < channels; c++) group[c] = filter.groupOf(c, channels);
        this.ring = new float[batch * channels * (len - 1)];
    }

    public void reset() {
        Arrays.fill(ring, 0);
        next = 0;
    }

    /** Forgets everything, then keeps the last len−1 inputs of the prompt x [batch, length, channels]. */
    public void prefill(float[] x, int length) {
        Check.positive("length", length);
        Check.size("x", x, (long) batch * length * channels);
        reset();
        if (len == 1) return;
        float[] row = new float[batch * channels];
        for (int t = Math.max(0, length - (len - 1)); t < length; t++) {
            for (int b = 0; b < batch; b++) System.arraycopy(x, (b * length + t) * channels, row, b * channels, channels);
            push(row);
        }
    }

    /** One step: x [batch, channels] → y [batch, channels] = Σⱼ h[j]·x_(t−j) (+ skip ⊙ x_t); then x is remembered. */
    public float[] step(float[] x) {
        Check.size("x", x, (long) batch * channels);
        int k = len - 1;
        float[] y = new float[x.length];
        for (int bc = 0; bc < batch * channels; bc++) {
            int c = bc % channels, g = group[c];
            double acc = (double) filter.tap(g, 0) * x[bc];
            if (skip != null) acc += (double) skip[c] * x[bc];
            for (int j = 1; j <= k; j++) acc += (double) filter.tap(g, j) * ring[bc * k + Math.floorMod(next - j, k)];
            y[bc] = (float) acc;
        }
        push(x);
        return y;
    }

    /** The remembered inputs as [batch, channels, len−1], oldest first (zeros before the first input). */
    public float[] history() {
        int k = len - 1;
        float[] out = new float[ring.length];
        for (int bc = 0; bc < batch * channels; bc++) {
            for (int i = 0; i < k; i++) out[bc * k + i] = ring[bc * k + (next + i) % k];
        }
        return out;
    }

    private void push(float[] x) {
        int k = len - 1;
        if (k == 0) return;
        for (int bc = 0; bc < batch * channels; bc++) ring[bc * k + next] = x[bc];
        next = (next + 1) % k;
    }
}
