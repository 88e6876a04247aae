package hyenac.runtime.comm;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The first failure among a group's ranks: the others are its consequences (ranks stopped because it failed), so it is
 * the one kept and the one the group's caller gets.
 */
public final class FirstFailure {
    /** Which rank failed ({@code -1}: the thread waiting on the ranks), and with what. */
    public record Failure(int rank, Throwable error) {}

    private final AtomicReference<Failure> first = new AtomicReference<>();

    /** Keeps {@code e} when nothing failed before it. */
    public void record(int rank, Throwable e) { first.compareAndSet(null, new Failure(rank, e)); }

    /** The first failure, or null. */
    public Failure get() { return first.get(); }

    public boolean failed() { return first.get() != null; }

    /** Throws the first failure: a {@link RuntimeException} or {@link Error} as it was thrown, anything else wrapped naming its rank. */
    public void rethrow() {
        Failure f = first.get();
        if (f == null) return;
        if (f.error() instanceof RuntimeException re) throw re;
        if (f.error() instanceof Error err) throw err;
        throw new CommunicatorException("rank " + f.rank() + " failed: " + f.error(), f.error());
    }
}
