package hyenac.runtime.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A tensor to be written: its name, dtype, shape and raw little-endian bytes (the buffer's remaining bytes).
 * The factories encode Java arrays into any dtype.
 */
public record TensorData(String name, SafetensorsType dtype, long[] shape, ByteBuffer data) {
    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = shape.clone();
        data = data.asReadOnlyBuffer();  // our own position, so writing never disturbs the caller's buffer
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Encodes floats as F32, F64, F16 or BF16 (the 16-bit ones round to nearest even). */
    public static TensorData of(String name, SafetensorsType dtype, long[] shape, float[] values) {
        ByteBuffer b = allocate(name, values.length, dtype);
        switch (dtype) {
            case F32 -> { for (float v : values) b.putFloat(v); }
            case F64 -> { for (float v : values) b.putDouble(v); }
            case F16 -> { for (float v : values) b.putShort(Floats.floatToF16(v)); }
            case BF16 -> { for (float v : values) b.putShort(Floats.floatToBf16(v)); }
            default -> throw new IllegalArgumentException("tensor \"" + name + "\": floats cannot be stored as " + dtype);
        }
        return new TensorData(name, dtype, shape, b.flip());
    }

    /** Encodes integers as I64, I32, I16, I8, U8 or BOOL; a value out of the dtype's range is an error. */
    public static TensorData of(String name, SafetensorsType dtype, long[] shape, long[] values) {
        if (dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("tensor \"" + name + "\": integers cannot be stored as " + dtype);
        }
        long min = switch (dtype) {
            case I32 -> Integer.MIN_VALUE;
            case I16 -> Short.MIN_VALUE;
            case I8 -> Byte.MIN_VALUE;
            case U8, BOOL -> 0;
            default -> Long.MIN_VALUE;
        };
        long max = switch (dtype) {
            case I32 -> Integer.MAX_VALUE;
            case I16 -> Short.MAX_VALUE;
            case I8 -> Byte.MAX_VALUE;
            case U8 -> 255;
            case BOOL -> 1;
            default -> Long.MAX_VALUE;
        };
        ByteBuffer b = allocate(name, values.length, dtype);
        for (int i = 0; i < values.length; i++) {
            long v = values[i];
            if (v < min || v > max) {
                throw new IllegalArgumentException("tensor \"" + name + "\": value " + v + " at index " + i
                        + " does not fit " + dtype);
            }
            switch (dtype.byteSize()) {
                case 8 -> b.putLong(v);
                case 4 -> b.putInt((int) v);
                case 2 -> b.putShort((short) v);
                default -> b.put((byte) v);
            }
        }
        return new TensorData(name, dtype, shape, b.flip());
    }

    private static ByteBuffer allocate(String name, int count, SafetensorsType dtype) {
        return ByteBuffer.allocate(bytes(name, count, dtype)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The bytes of {@code count} values of {@code dtype}, which one Java buffer must hold (under 2 GiB). */
    static int bytes(String name, long count, SafetensorsType dtype) {
        long bytes = count * dtype.byteSize();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor \"" + name + "\": " + count + " values of " + dtype + " take " + bytes
                    + " bytes, more than one tensor can hold here (2 GiB); store it in a narrower type (bf16) or split it");
        }
        return (int) bytes;
    }
}
