package hyenac.runtime.weights;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FloatsTest {
    private static short bf16(float f) {
        return Floats.floatToBf16(f);
    }

    private static int bits(short s) {
        return s & 0xFFFF;
    }

    @Test
    void bf16ExactValuesRoundTrip() {
        for (float f : new float[] {0f, -0f, 1f, -2.5f, 65536f, Float.MIN_NORMAL, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Floats.bf16ToFloat(bf16(f))), "value " + f);
        }
        assertEquals(0x3F80, bits(bf16(1f)));
        assertEquals(0x8000, bits(bf16(-0f)));
        assertEquals(0x7F80, bits(bf16(Float.POSITIVE_INFINITY)));
    }

    @Test
    void bf16RoundsToNearestTiesToEven() {
        // 1 + 2^-8 is exactly halfway between 1 (mantissa even) and 1 + 2^-7: ties go to the even one.
        assertEquals(0x3F80, bits(bf16(Float.intBitsToFloat(0x3F808000))));
        // 1 + 3*2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even): rounds up.
        assertEquals(0x3F82, bits(bf16(Float.intBitsToFloat(0x3F818000))));
        // Just above and below the halfway point go to the nearer neighbour.
        assertEquals(0x3F81, bits(bf16(Float.intBitsToFloat(0x3F808001))));
        assertEquals(0x3F80, bits(bf16(Float.intBitsToFloat(0x3F807FFF))));
        // Negative values round by magnitude.
        assertEquals(0xBF82, bits(bf16(Float.intBitsToFloat(0xBF818000))));
    }

    @Test
    void bf16OverflowAndSubnormals() {
        // The largest float rounds up past bf16's largest finite value, to infinity.
        assertEquals(0x7F80, bits(bf16(Float.MAX_VALUE)));
        assertEquals(0x7F7F, bits(bf16(Float.intBitsToFloat(0x7F7F7FFF))));
        // bf16 keeps float's exponent range, so float subnormals with high bits survive...
        assertEquals(0x0040, bits(bf16(Float.intBitsToFloat(0x00400000))));
        assertEquals(Float.intBitsToFloat(0x00400000), Floats.bf16ToFloat((short) 0x0040));
        // ...and the smallest ones round to zero (below half of bf16's smallest subnormal).
        assertEquals(0x0000, bits(bf16(Float.MIN_VALUE)));
        // The largest subnormal rounds up into the smallest normal.
        assertEquals(0x0080, bits(bf16(Float.intBitsToFloat(0x007FFFFF))));
    }

    @Test
    void bf16KeepsNaN() {
        assertTrue(Float.isNaN(Floats.bf16ToFloat(bf16(Float.NaN))));
        // A NaN whose payload sits only in the dropped low bits must not turn into infinity.
        float lowPayloadNaN = Float.intBitsToFloat(0x7F800001);
        assertTrue(Float.isNaN(lowPayloadNaN));
        assertTrue(Float.isNaN(Floats.bf16ToFloat(bf16(lowPayloadNaN))));
        assertTrue(Float.isNaN(Floats.bf16ToFloat(bf16(Float.intBitsToFloat(0xFFFFFFFF)))), "all-ones NaN stays NaN");
        assertEquals(0x8000, bits(bf16(Float.intBitsToFloat(0xFF800001))) & 0x8000, "sign of NaN kept");
    }

    @Test
    void f16KnownEncodings() {
        assertEquals(0x3C00, bits(Floats.floatToF16(1f)));
        assertEquals(0xC000, bits(Floats.floatToF16(-2f)));
        assertEquals(0x7BFF, bits(Floats.floatToF16(65504f)));      // largest finite half
        assertEquals(0x0400, bits(Floats.floatToF16(0x1p-14f)));     // smallest normal
        assertEquals(0x0001, bits(Floats.floatToF16(0x1p-24f)));     // smallest subnormal
        assertEquals(0x8000, bits(Floats.floatToF16(-0f)));
        assertEquals(0x7C00, bits(Floats.floatToF16(Float.POSITIVE_INFINITY)));
        assertEquals(0xFC00, bits(Floats.floatToF16(Float.NEGATIVE_INFINITY)));
        assertEquals(1f, Floats.f16ToFloat((short) 0x3C00));
        assertEquals(0x1p-24f, Floats.f16ToFloat((short) 0x0001));
        assertEquals(0x3FFp-24f, Floats.f16ToFloat((short) 0x03FF));  // largest subnormal
        assertEquals(65504f, Floats.f16ToFloat((short) 0x7BFF));
        assertEquals(Float.NEGATIVE_INFINITY, Floats.f16ToFloat((short) 0xFC00));
    }

    @Test
    void f16RoundingOverflowAndNaN() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (down); 1 + 3*2^-11 ties up.
        assertEquals(0x3C00, bits(Floats.floatToF16(1f + 0x1p-11f)));
        assertEquals(0x3C02, bits(Floats.floatToF16(1f + 0x3p-11f)));
        // 65520 is halfway between 65504 and the next (non-existent) step: rounds to infinity; below it does not.
        assertEquals(0x7C00, bits(Floats.floatToF16(65520f)));
        assertEquals(0x7BFF, bits(Floats.floatToF16(65519.99f)));
        // Half of the smallest subnormal ties to even (zero); a bit more rounds up to it.
        assertEquals(0x0000, bits(Floats.floatToF16(0x1p-25f)));
        assertEquals(0x0001, bits(Floats.floatToF16(0x1.01p-25f)));
        assertTrue(Float.isNaN(Floats.f16ToFloat(Floats.floatToF16(Float.NaN))));
        assertTrue(Float.isNaN(Floats.f16ToFloat((short) 0x7C01)));
    }

    @Test
    void everyHalfSurvivesARoundTripThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Floats.f16ToFloat((short) h);
            if (Float.isNaN(f)) continue;
            assertEquals(h, bits(Floats.floatToF16(f)), "half 0x" + Integer.toHexString(h));
        }
        for (int b = 0; b < 0x10000; b++) {
            float f = Floats.bf16ToFloat((short) b);
            if (Float.isNaN(f)) continue;
            assertEquals(b, bits(Floats.floatToBf16(f)), "bf16 0x" + Integer.toHexString(b));
        }
    }
}
