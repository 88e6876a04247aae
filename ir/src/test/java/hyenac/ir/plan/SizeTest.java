package hyenac.ir.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SizeTest {
    static final Shape S = new Shape(3, 100, 128);

    @Test
    void symbolsEvaluateToTheShapesSizes() {
        assertEquals(3, Size.batch().eval(S));
        assertEquals(100, Size.length().eval(S));
        assertEquals(128, Size.capacity().eval(S));
        assertEquals(300, Size.rows().eval(S));
        assertEquals(0, Size.capacity().eval(new Shape(1, 1, 0)), "a plan without a KV cache runs at C = 0");
        assertEquals(7, Size.of(7).eval(S));
    }

    @Test
    void formulasEvaluateArithmetic() {
        assertEquals(300 * 64 * 4, Size.rows().times(64).times(4).eval(S));
        assertEquals(3 * 128 * 64, Size.batch().times(Size.capacity()).times(64).eval(S));
        assertEquals(105, Size.length().plus(5).eval(S));
        assertEquals(34, Size.length().ceilDiv(3).eval(S), "ceil(100 / 3)");
        assertEquals(1, Size.length().ceilDiv(256).eval(S), "ceil rounds up, never to 0 for a positive size");
    }

    @Test
    void constantsFoldAndIdentitiesVanish() {
        assertEquals(Size.of(24), Size.of(6).times(4));
        assertEquals(Size.of(24), Size.of(6).times(Size.of(4)));
        assertEquals(Size.of(10), Size.of(6).plus(4));
        assertEquals(Size.of(3), Size.of(9).ceilDiv(4), "ceil(9 / 4)");
        Size l = Size.length();
        assertSame(l, l.times(1));
        assertSame(l, l.times(Size.of(1)));
        assertSame(l, Size.of(1).times(l));
        assertSame(l, l.plus(0));
        assertSame(l, l.ceilDiv(1));
        // a constant factor on a symbol stays a product, folded to one constant where two meet
        assertEquals(new Size.Mul(l, Size.of(8)), l.times(8));
        assertEquals(new Size.Mul(new Size.Mul(Size.batch(), Size.length()), Size.of(64)), Size.rows().times(Size.of(64)));
    }

    @Test
    void formulasCompareStructurally() {
        assertEquals(Size.rows().times(64).times(4), Size.rows().times(64).times(4));
        assertEquals(Size.rows().times(64).times(4).hashCode(), Size.rows().times(64).times(4).hashCode());
        assertNotEquals(Size.rows().times(64), Size.rows().times(32));
        assertNotEquals(Size.rows().times(64), Size.length().times(64));
        assertEquals(new Size.FftLength(Size.length()), new Size.FftLength(Size.length()));
    }

    @Test
    void fftLengthIsTheLeastPowerOfTwoAtLeastTwiceTheLengthLessOneAndAtLeastTwo() {
        // L → least 2^k ≥ 2L − 1, at least 2
        long[][] cases = {{1, 2}, {2, 4}, {3, 8}, {4, 8}, {5, 16}, {8, 16}, {9, 32}, {100, 256}, {128, 256}, {129, 512}, {4096, 8192}, {8192, 16384},
                {8193, 32768}, {1L << 20, 1L << 21}};
        for (long[] c : cases) {
            assertEquals(c[1], Size.fftLength(c[0]), "fft(" + c[0] + ")");
            assertEquals(c[1], new Size.FftLength(Size.length()).eval(new Shape(1, c[0], 0)), "FftLength(L) at L=" + c[0]);
        }
        for (long l = 1; l <= 5000; l++) {
            long n = Size.fftLength(l);
            assertEquals(1, Long.bitCount(n), "a power of two at L=" + l);
            assertEquals(true, n >= 2 * l - 1 && n >= 2, "long enough at L=" + l);
            assertEquals(true, n / 2 < Math.max(2 * l - 1, 2), "the least such at L=" + l);
        }
        Size bins = new Size.FftLength(Size.length()).ceilDiv(2).plus(1);
        assertEquals(129, bins.eval(new Shape(1, 100, 0)), "N/2 + 1 complex bins of a real FFT");
    }

    @Test
    void formulasPrintAsTheyAreWritten() {
        assertEquals("B*L*64*4", Size.rows().times(64).times(4).toString());
        assertEquals("B*C*64", Size.batch().times(Size.capacity()).times(64).toString());
        assertEquals("(ceil(fft(L) / 2) + 1)", new Size.FftLength(Size.length()).ceilDiv(2).plus(1).toString());
        assertEquals("fft(L)*64", new Size.FftLength(Size.length()).times(64).toString());
        assertEquals("12", Size.of(12).toString());
        assertEquals(List.of("B", "L", "C"), List.of(Size.batch().toString(), Size.length().toString(), Size.capacity().toString()));
    }

    @Test
    void badSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Size.of(-1));
        assertThrows(IllegalArgumentException.class, () -> new Size.Sym("N"));
        assertThrows(ArithmeticException.class, () -> Size.rows().times(Long.MAX_VALUE / 2).eval(S), "overflow is an error, not a wrapped size");
        assertThrows(ArithmeticException.class, () -> Size.of(Long.MAX_VALUE).times(2));
        assertThrows(IllegalArgumentException.class, () -> new Shape(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Shape(1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Shape(1, 1, -1));
        assertInstanceOf(Size.Const.class, Size.of(0));
    }
}
