package hyenac.backends.cpu;

/**
 * Rotary position encoding, rotate-half (GPT-NeoX) convention over the full head dimension. For a head
 * vector x of size d, x0 = x[0, d/2), x1 = x[d/2, d) and θᵢ = (p / scale)·invFreq[i]:
 * out = [x0·cos θ − x1·sin θ, x0·sin θ + x1·cos θ]. Computed in double, stored as fp32.
 *
 * <p>The inverse frequencies are an input, not a formula: Evo 2 checkpoints carry them as a buffer of
 * bf16-rounded values, and recomputing them in fp32 changes the results visibly. {@link #invFreqBf16}
 * produces such values where there is no checkpoint.
 */
public final class Rope {
    private final float[] invFreq;
    private final double scale;

    /** invFreq [headDim / 2]; positions are divided by {@code scale} (linear position interpolation; 1 for none). */
    public Rope(float[] invFreq, double scale) {
        if (invFreq.length == 0) throw new IllegalArgumentException("rope needs at least one frequency");
        if (!(scale > 0)) throw new IllegalArgumentException("rope scale must be positive, got " + scale);
        this.invFreq = invFreq.clone();
        this.scale = scale;
    }

    public Rope(float[] invFreq) { this(invFreq, 1); }

    public int headDim() { return 2 * invFreq.length; }

    public double scale() { return scale; }

    public float[] invFreq() { return invFreq.clone(); }

    /** bf16(1 / base^(2i/headDim)) for i < headDim/2, as the released checkpoints store them. */
    public static float[] invFreqBf16(double base, int headDim) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("rope head_dim must be even, got " + headDim);
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = bf16((float) (1 / Math.pow(base, 2.0 * i / headDim)));
        return f;
    }

    /** Rounds to the nearest bfloat16 (ties to even), returned as the float of the same value. */
    public static float bf16(float x) {
        if (Float.isNaN(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        bits += 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    /** The rotation angle of frequency i at absolute position p. */
    public double angle(long position, int i) { return position / scale * invFreq[i]; }

    /**
     * x [batch, length, heads·headDim] (channel = head·headDim + d), row t at position firstPosition + t;
     * returns the rotated copy.
     */
    public float[] apply(float[] x, int batch, int length, int heads, long firstPosition) {
        int width = heads * headDim();
        Check.size("x", x, (long) batch * length * width);
        float[] y = new float[x.length];
        Par.forEach(batch * length, (long) width * 8, bt -> rotate(x, bt * width, y, bt * width, heads, firstPosition + bt % length));
        return y;
    }

    /** Rotates one token's heads: x[xOff, xOff + heads·headDim) → y[yOff, …) at the given position. */
    public void rotate(float[] x, int xOff, float[] y, int yOff, int heads, long position) {
        int half = invFreq.length, d = headDim();
        for (int i = 0; i < half; i++) {
            double theta = angle(position, i);
            double cos = Math.cos(theta), sin = Math.sin(theta);
            for (int h = 0; h < heads; h++) {
                double x0 = x[xOff + h * d + i], x1 = x[xOff + h * d + half + i];
                y[yOff + h * d + i] = (float) (x0 * cos - x1 * sin);
                y[yOff + h * d + half + i] = (float) (x0 * sin + x1 * cos);
            }
        }
    }
}
