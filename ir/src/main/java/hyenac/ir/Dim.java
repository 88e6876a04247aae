package hyenac.ir;

/** One dimension of a tensor type: the batch B, the sequence length L, or a fixed size. */
public record Dim(String symbol, long size) {
    public static final Dim B = new Dim("B", -1);
    public static final Dim L = new Dim("L", -1);

    public static Dim of(long size) {
        if (size < 0) throw new IllegalArgumentException("negative dimension " + size);
        return new Dim(null, size);
    }

    public boolean isSymbolic() { return symbol != null; }

    @Override public String toString() { return isSymbolic() ? symbol : Long.toString(size); }
}
