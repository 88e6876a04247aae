package hyenac.backends.cuda.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import hyenac.backends.codegen.CType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class KernelArgsTest {

    private static MemorySegment arg(KernelArgs a, int i, long bytes) {
        return a.array().getAtIndex(ADDRESS, i).reinterpret(bytes);
    }

    @Test
    void eachArgumentIsPointedToInOrder() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(arena, 4).i32(1 << 20).f32(2.5f).ptr(0x7f00_0000_1000L).i64(-3);
            assertEquals(4, a.count());
            assertEquals(1 << 20, arg(a, 0, 4).get(JAVA_INT, 0));
            assertEquals(2.5f, arg(a, 1, 4).get(JAVA_FLOAT, 0));
            assertEquals(0x7f00_0000_1000L, arg(a, 2, 8).get(JAVA_LONG, 0));
            assertEquals(-3L, arg(a, 3, 8).get(JAVA_LONG, 0));
            assertEquals(0, arg(a, 2, 8).address() % 8, "slots are 8-byte aligned");

            a.setI32(0, 7).setF32(1, -1f).setI64(2, 42);
            assertEquals(7, arg(a, 0, 4).get(JAVA_INT, 0));
            assertEquals(-1f, arg(a, 1, 4).get(JAVA_FLOAT, 0));
            assertEquals(42L, arg(a, 2, 8).get(JAVA_LONG, 0));
        }
    }

    @Test
    void scalarsTakeTheWidthTheirParameterDeclares() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(arena, 4).integer(CType.Scalar.INT, 5).integer(CType.Scalar.INT64, 1L << 40)
                    .real(CType.Scalar.FLOAT, 0.1).real(CType.Scalar.DOUBLE, 0.1);
            assertEquals(5, arg(a, 0, 4).get(JAVA_INT, 0));
            assertEquals(1L << 40, arg(a, 1, 8).get(JAVA_LONG, 0));
            assertEquals(0.1f, arg(a, 2, 4).get(JAVA_FLOAT, 0));
            assertEquals(0.1, arg(a, 3, 8).get(JAVA_DOUBLE, 0));
            assertThrows(ArithmeticException.class, () -> new KernelArgs(arena, 1).integer(CType.Scalar.INT, 1L << 40));
        }
    }

    @Test
    void overfillingOrIndexingPastTheEndFails() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(arena, 1).i32(1);
            assertThrows(IllegalStateException.class, () -> a.i32(2));
            assertThrows(IndexOutOfBoundsException.class, () -> a.setI32(1, 0));
            assertThrows(IllegalArgumentException.class, () -> new KernelArgs(arena, 0));
        }
    }
}
