package hyenac.ir.plan;

/**
 * A size as a small formula over a run's shape ({@link Shape}): {@link #B} the batch, {@link #L} the sequence length
 * (1 in a decode step), {@link #C} the rows a KV cache holds. A plan is written once in these symbols and
 * evaluated for each shape it runs at. Formulas compare structurally, so two buffers of the same formula have the
 * same size at every shape.
 */
public sealed interface Size {
    String B = "B", L = "L", C = "C";

    long eval(Shape shape);

    record Const(long value) implements Size {
        public Const {
            if (value < 0) throw new IllegalArgumentException("a size cannot be negative, got " + value);
        }
        @Override public long eval(Shape s) { return value; }
        @Override public String toString() { return Long.toString(value); }
    }

    record Sym(String name) implements Size {
        public Sym {
            if (!name.equals(B) && !name.equals(L) && !name.equals(C)) throw new IllegalArgumentException("unknown size symbol " + name);
        }
        @Override public long eval(Shape s) {
            return switch (name) {
                case B -> s.batch();
                case L -> s.length();
                default -> s.capacity();
            };
        }
        @Override public String toString() { return name; }
    }

    record Mul(Size a, Size b) implements Size {
        @Override public long eval(Shape s) { return Math.multiplyExact(a.eval(s), b.eval(s)); }
        @Override public String toString() { return a + "*" + b; }
    }

    record Add(Size a, Size b) implements Size {
        @Override public long eval(Shape s) { return Math.addExact(a.eval(s), b.eval(s)); }
        @Override public String toString() { return "(" + a + " + " + b + ")"; }
    }

    record CeilDiv(Size a, long by) implements Size {
        @Override public long eval(Shape s) { return Math.ceilDiv(a.eval(s), by); }
        @Override public String toString() { return "ceil(" + a + " / " + by + ")"; }
    }

    /** The FFT length for a causal convolution of {@code length} points: the least power of two ≥ 2·length − 1, at least 2. */
    record FftLength(Size length) implements Size {
        @Override public long eval(Shape s) { return fftLength(length.eval(s)); }
        @Override public String toString() { return "fft(" + length + ")"; }
    }

    static long fftLength(long length) { return Math.max(2, Long.highestOneBit(Math.max(1, 2 * length - 1)) << 1); }

    static Size of(long value) { return new Const(value); }
    static Size batch() { return new Sym(B); }
    static Size length() { return new Sym(L); }
    static Size capacity() { return new Sym(C); }
    /** B·L, the token rows of a pass. */
    static Size rows() { return new Mul(batch(), length()); }

    default Size times(long k) {
        if (k == 1) return this;
        if (this instanceof Const c) return of(Math.multiplyExact(c.value(), k));
        return new Mul(this, of(k));
    }

    default Size times(Size other) {
        if (other instanceof Const c) return times(c.value());
        if (this instanceof Const c && c.value() == 1) return other;
        return new Mul(this, other);
    }

    default Size plus(long k) { return k == 0 ? this : this instanceof Const c ? of(c.value() + k) : new Add(this, of(k)); }

    default Size ceilDiv(long by) {
        if (by == 1) return this;
        if (this instanceof Const c) return of(Math.ceilDiv(c.value(), by));
        return new CeilDiv(this, by);
    }
}
