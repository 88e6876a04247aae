package hyenac.ir.plan;

/** The sizes one run of a plan has: batch, sequence length (1 for a decode step) and KV-cache rows per sequence. */
public record Shape(long batch, long length, long capacity) {
    public Shape {
        if (batch <= 0 || length <= 0 || capacity < 0) {
            throw new IllegalArgumentException("a shape needs a positive batch and length, got B=" + batch + " L=" + length + " C=" + capacity);
        }
    }

    @Override public String toString() { return "B=" + batch + " L=" + length + (capacity > 0 ? " C=" + capacity : ""); }
}
