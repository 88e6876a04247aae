package hyenac.runtime.weights;

import java.util.Locale;

/**
 * The weights cannot fit the memory this JVM may use: said before any of them is drawn or loaded, so a model too
 * big for the heap fails at once rather than after minutes of work. The command line adds how to raise the limit.
 */
public final class NotEnoughMemoryException extends WeightsException {
    private final long needed;
    private final long available;

    NotEnoughMemoryException(String what, long weightBytes, long needed, long available) {
        super(String.format(Locale.ROOT, "%s take %s, and activations and the rest of the program about %s more: %s in all, "
                + "but this JVM may use only %s (its maximum heap, -Xmx)", what, gib(weightBytes), gib(needed - weightBytes), gib(needed), gib(available)));
        this.needed = needed;
        this.available = available;
    }

    /** Bytes of heap the weights and their margin need. */
    public long needed() { return needed; }

    /** Bytes of heap the JVM may use (its maximum heap, or the limit a caller gave). */
    public long available() { return available; }

    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
