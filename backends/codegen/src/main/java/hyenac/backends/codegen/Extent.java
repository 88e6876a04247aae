package hyenac.backends.codegen;

import java.util.Map;

/**
 * A launch dimension as a small formula over the run's sizes, e.g. {@code ceil(B·L·64 / 256)}: symbols are
 * {@link #B} (batch) and {@link #L} (sequence length; 1 for a decode step). Kept symbolic so a plan can
 * print it and a launcher can evaluate it per call.
 */
public sealed interface Extent {
    String B = "B", L = "L";

    long eval(Map<String, Long> sizes);

    record Const(long value) implements Extent {
        public Const {
            if (value <= 0) throw new IllegalArgumentException("an extent must be positive, got " + value);
        }
        @Override public long eval(Map<String, Long> sizes) { return value; }
        @Override public String toString() { return Long.toString(value); }
    }

    record Sym(String name) implements Extent {
        @Override public long eval(Map<String, Long> sizes) {
            Long v = sizes.get(name);
            if (v == null) throw new IllegalArgumentException("no size given for " + name);
            if (v <= 0) throw new IllegalArgumentException(name + " must be positive, got " + v);
            return v;
        }
        @Override public String toString() { return name; }
    }

    record Mul(Extent a, Extent b) implements Extent {
        @Override public long eval(Map<String, Long> sizes) { return Math.multiplyExact(a.eval(sizes), b.eval(sizes)); }
        @Override public String toString() { return a + "*" + b; }
    }

    record CeilDiv(Extent a, long by) implements Extent {
        @Override public long eval(Map<String, Long> sizes) { return Math.ceilDiv(a.eval(sizes), by); }
        @Override public String toString() { return "ceil(" + a + " / " + by + ")"; }
    }

    static Extent of(long value) { return new Const(value); }
    static Extent batch() { return new Sym(B); }
    static Extent length() { return new Sym(L); }
    /** B·L, the number of token rows. */
    static Extent rows() { return new Mul(batch(), length()); }

    default Extent times(long k) { return k == 1 ? this : new Mul(this, of(k)); }
    default Extent ceilDiv(long by) { return by == 1 ? this : new CeilDiv(this, by); }
}
