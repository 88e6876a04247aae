package hyenac.runtime.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One weight as the host holds it, row-major in our layout: fp32 numbers, or bf16 bits (half the memory, what a
 * bf16 model's weights are). Kernels that read bf16 directly widen as they go; {@link #floats} widens all of it.
 */
public sealed interface HostTensor permits HostTensor.Fp32, HostTensor.Bf16 {
    long elements();

    /** Bytes the numbers take (on the heap, or in a mapped file). */
    long bytes();

    /** The numbers as fp32: the array itself for {@link Fp32}, a new array for {@link Bf16}. */
    float[] floats();

    /** fp32 numbers. */
    record Fp32(float[] values) implements HostTensor {
        @Override public long elements() { return values.length; }

        @Override public long bytes() { return 4L * values.length; }

        @Override public float[] floats() { return values; }
    }

    /**
     * bf16 numbers as little-endian 16-bit patterns: a heap array wrapped by {@link #of}, or a read-only view of a
     * memory-mapped safetensors file (then {@code bits().isNative()}).
     */
    record Bf16(MemorySegment bits) implements HostTensor {
        public static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        public Bf16 {
            if (bits.byteSize() % 2 != 0) throw new IllegalArgumentException("bf16 data of odd length " + bits.byteSize());
        }

        /** Wraps {@code bits} (bf16 patterns, as {@link Floats#floatToBf16} makes them); the array becomes the tensor's. */
        public static Bf16 of(short[] bits) {
            // A heap segment reads in the platform's order; the tensor's bytes are little-endian everywhere.
            if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                for (int i = 0; i < bits.length; i++) bits[i] = Short.reverseBytes(bits[i]);
            }
            return new Bf16(MemorySegment.ofArray(bits));
        }

        @Override public long elements() { return bits.byteSize() / 2; }

        @Override public long bytes() { return bits.byteSize(); }

        /** The bf16 pattern of element {@code i}. */
        public short bitsAt(long i) { return bits.getAtIndex(LE, i); }

        /** Copies the patterns of elements [from, from + n) to {@code dst[at …]}: one bulk copy, fast in a kernel's loop. */
        public void copyBits(long from, short[] dst, int at, int n) {
            MemorySegment.copy(bits, LE, from * 2, dst, at, n);
        }

        /** Elements [from, from + n) widened to fp32 into {@code dst[at …]}, using {@code scratch} (≥ n long). */
        public void widen(long from, float[] dst, int at, int n, short[] scratch) {
            copyBits(from, scratch, 0, n);
            for (int i = 0; i < n; i++) dst[at + i] = Floats.bf16ToFloat(scratch[i]);
        }

        @Override public float[] floats() {
            int n = Math.toIntExact(elements());
            float[] out = new float[n];
            final int chunk = 1 << 16;
            short[] scratch = new short[Math.min(n, chunk)];
            for (int i = 0; i < n; i += chunk) widen(i, out, i, Math.min(chunk, n - i), scratch);
            return out;
        }
    }
}
