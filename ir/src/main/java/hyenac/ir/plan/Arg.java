package hyenac.ir.plan;

/** One argument of a kernel launch: a buffer, an integer size, or a real. */
public sealed interface Arg {
    record Buf(int buffer) implements Arg {
        @Override public String toString() { return "b" + buffer; }
    }

    record Int(Size value) implements Arg {
        @Override public String toString() { return value.toString(); }
    }

    record Real(double value) implements Arg {
        @Override public String toString() { return Double.toString(value); }
    }

    static Arg buffer(Buffer b) { return new Buf(b.id()); }
    static Arg integer(long v) { return new Int(Size.of(v)); }
}
