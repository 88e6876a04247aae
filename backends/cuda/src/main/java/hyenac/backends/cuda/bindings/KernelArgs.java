package hyenac.backends.cuda.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The argument block of one kernel launch, as cuLaunchKernel wants it: an array of pointers, each to one
 * argument's value. Every value gets its own 8-byte slot (a scalar is read from the start of its slot, which
 * is right on little-endian hosts). Values can be changed in place and the block launched again; a graph
 * captures the values at capture time.
 */
public final class KernelArgs {
    private static final long SLOT = 8;

    private final MemorySegment values;
    private final MemorySegment pointers;
    private final int capacity;
    private int count;

    /** Room for {@code capacity} arguments, in memory of {@code arena}. */
    public KernelArgs(Arena arena, int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("a kernel argument block needs room for at least one");
        this.capacity = capacity;
        this.values = arena.allocate(SLOT * capacity, SLOT);
        this.pointers = arena.allocate(ADDRESS, capacity);
    }

    private long next() {
        if (count == capacity) {
            throw new IllegalStateException("kernel argument block is full (" + capacity + " arguments)");
        }
        pointers.setAtIndex(ADDRESS, count, values.asSlice(count * SLOT, SLOT));
        return count++ * SLOT;
    }

    /** A device pointer (CUdeviceptr, 8 bytes). */
    public KernelArgs ptr(long devicePointer) {
        values.set(JAVA_LONG, next(), devicePointer);
        return this;
    }

    /** A 32-bit int (or unsigned int). */
    public KernelArgs i32(int v) {
        values.set(JAVA_INT, next(), v);
        return this;
    }

    /** A 64-bit int (long long / size_t). */
    public KernelArgs i64(long v) {
        values.set(JAVA_LONG, next(), v);
        return this;
    }

    /** An integer as a generated kernel's parameter declares it: {@code int} (range-checked) or 64-bit. */
    public KernelArgs integer(hyenac.backends.codegen.CType type, long v) {
        return type == hyenac.backends.codegen.CType.Scalar.INT ? i32(Math.toIntExact(v)) : i64(v);
    }

    /** A real as a generated kernel's parameter declares it: {@code float} or {@code double}. */
    public KernelArgs real(hyenac.backends.codegen.CType type, double v) {
        return type == hyenac.backends.codegen.CType.Scalar.FLOAT ? f32((float) v) : f64(v);
    }

    /** A float. */
    public KernelArgs f32(float v) {
        values.set(JAVA_FLOAT, next(), v);
        return this;
    }

    /** A double. */
    public KernelArgs f64(double v) {
        values.set(JAVA_DOUBLE, next(), v);
        return this;
    }

    /** Replaces argument {@code i} with a device pointer or 64-bit int. */
    public KernelArgs setI64(int i, long v) {
        values.set(JAVA_LONG, slot(i), v);
        return this;
    }

    /** Replaces argument {@code i} with a 32-bit int. */
    public KernelArgs setI32(int i, int v) {
        values.set(JAVA_INT, slot(i), v);
        return this;
    }

    /** Replaces argument {@code i} with a float. */
    public KernelArgs setF32(int i, float v) {
        values.set(JAVA_FLOAT, slot(i), v);
        return this;
    }

    private long slot(int i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("kernel argument " + i + " of " + count);
        return i * SLOT;
    }

    /** How many arguments have been added. */
    public int count() { return count; }

    /** The {@code void**} to pass as cuLaunchKernel's kernelParams. */
    MemorySegment array() { return pointers; }
}
