package hyenac.runtime.weights;

/** Conversions between float and the 16-bit float formats stored in weight files (raw bits as a short). */
public final class Floats {
    private Floats() {}

    /** bfloat16 is the top half of a float32, so widening is a shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Narrows to bfloat16 rounding to nearest, ties to even; overflow gives infinity, NaN stays NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            // Truncating could clear every mantissa bit and turn NaN into infinity: force a quiet-NaN bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7FFF rounds up exactly when the dropped half is above one half; the low kept bit breaks
        // the tie towards even. A carry into the exponent is right (it also rounds the max finite to inf).
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** A copy of {@code x} with every number rounded to the nearest bfloat16 (as {@link #floatToBf16}) and widened back. */
    public static float[] roundedToBf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = bf16ToFloat(floatToBf16(x[i]));
        return y;
    }

    /** IEEE binary16 to float (exact: every half is a float). The JDK implements the conversion. */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Narrows to IEEE binary16, round to nearest even, with subnormals, overflow to infinity and NaN kept. */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }
}
