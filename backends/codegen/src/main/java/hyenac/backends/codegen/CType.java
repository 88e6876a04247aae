package hyenac.backends.codegen;

/**
 * The types a kernel works with. The builder checks them; a {@link Dialect} spells them
 * ({@code INT64} is {@code long long} in CUDA and {@code long} in OpenCL, {@code BF16} has no common spelling).
 */
public sealed interface CType permits CType.Scalar, CType.Pointer, CType.Array {

    /** Where the elements behind a pointer or array live. */
    enum Space { GLOBAL, SHARED, PRIVATE }

    enum Scalar implements CType {
        VOID, BOOL, INT, INT64, FLOAT, DOUBLE,
        /** bfloat16 storage only: no arithmetic on it; convert to float first ({@link Expr#toFloat}). */
        BF16,
        /**
         * 32 raw bits in a register (two packed bf16, a matrix fragment): no arithmetic, no conversions; only
         * inline assembly ({@link Stmt.Asm}) produces and consumes them.
         */
        B32;

        public boolean isInteger() { return this == INT || this == INT64; }
        public boolean isFloating() { return this == FLOAT || this == DOUBLE; }
        public boolean isNumeric() { return isInteger() || isFloating(); }

        /** Size in bytes (BOOL as one byte; VOID has none). */
        public int bytes() {
            return switch (this) {
                case VOID -> 0;
                case BOOL -> 1;
                case BF16 -> 2;
                case INT, FLOAT, B32 -> 4;
                case INT64, DOUBLE -> 8;
            };
        }

        /** C's usual arithmetic conversions restricted to our types: the wider of two numeric types. */
        static Scalar promote(Scalar a, Scalar b) {
            return a.ordinal() >= b.ordinal() ? a : b; // INT < INT64 < FLOAT < DOUBLE by declaration order
        }
    }

    /** A pointer parameter: global memory, optionally read-only and restrict (no aliasing with other pointers). */
    record Pointer(Scalar element, boolean readOnly, boolean restrict, Space space) implements CType {
        public Pointer {
            if (element == Scalar.VOID || element == Scalar.BOOL) throw new IllegalArgumentException("no pointers to " + element);
        }
    }

    /**
     * A fixed-size array: shared memory of a block or private registers of a thread. {@code align} is its
     * alignment in bytes: the element size unless a wider one is asked for (16 for 16-byte copies into shared memory).
     */
    record Array(Scalar element, int length, Space space, int align) implements CType {
        public Array {
            if (!(element.isNumeric() || element == Scalar.BF16 || element == Scalar.B32)) throw new IllegalArgumentException("no arrays of " + element);
            if (length <= 0) throw new IllegalArgumentException("array length must be positive, got " + length);
            if (space == Space.GLOBAL) throw new IllegalArgumentException("arrays live in shared or private memory");
            if (Integer.bitCount(align) != 1 || align < element.bytes()) {
                throw new IllegalArgumentException("alignment must be a power of two no less than the element size, got " + align);
            }
        }

        /** Naturally aligned. */
        public Array(Scalar element, int length, Space space) { this(element, length, space, element.bytes()); }

        public int bytes() { return length * element.bytes(); }
    }

    /** A read-only, non-aliasing global input. */
    static Pointer input(Scalar element) { return new Pointer(element, true, true, Space.GLOBAL); }

    /** A writable, non-aliasing global output (also for buffers a kernel reads and writes). */
    static Pointer output(Scalar element) { return new Pointer(element, false, true, Space.GLOBAL); }
}
