package hyenac.runtime.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * N ranks as threads of this process over shared memory: the CPU's {@link Communicator}, for running and testing
 * context parallelism without GPUs. Messages are copies put in one FIFO queue per (sender, receiver), so sends never
 * block and a group of transfers cannot deadlock. A rank that throws ends the group: every rank waiting on a message
 * stops with a {@link CommunicatorException} naming it, and {@link #run} rethrows the failing rank's own error. A wait
 * longer than the timeout (a rank stuck, or ranks calling different collectives) fails the same way.
 */
public final class InProcessGroup {
    /** What one rank runs, given its communicator. */
    @FunctionalInterface
    public interface RankTask<T> {
        T run(Communicator comm) throws Exception;
    }

    private final int size;
    private final long timeoutNanos;
    private final List<BlockingQueue<float[]>> queues = new ArrayList<>();
    /** The first failure of any rank; once set every wait stops. */
    private final FirstFailure failure = new FirstFailure();


    private InProcessGroup(int size, Duration timeout) {
        if (size < 1) throw new IllegalArgumentException("a group needs at least one rank, not " + size);
        this.size = size;
        this.timeoutNanos = timeout.toNanos();
        for (int i = 0; i < size * size; i++) queues.add(new LinkedBlockingQueue<>());
    }

    /**
     * Runs {@code task} on {@code ranks} threads, one communicator each, and returns their results by rank. Throws the
     * first rank's failure (a {@link RuntimeException} as it was thrown, anything else wrapped), after every rank stopped.
     */
    public static <T> List<T> run(int ranks, Duration timeout, RankTask<T> task) {
        InProcessGroup group = new InProcessGroup(ranks, timeout);
        List<T> results = new ArrayList<>();
        for (int r = 0; r < ranks; r++) results.add(null);
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < ranks; r++) {
            int rank = r;
            Thread t = Thread.ofPlatform().name("cp-rank-" + r).daemon().unstarted(() -> {
                try {
                    results.set(rank, task.run(group.new Rank(rank)));
                } catch (Throwable e) {
                    group.fail(rank, e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                group.fail(-1, e);
                Thread.currentThread().interrupt();
            }
        }
        group.failure.rethrow();
        return results;
    }

    /** Records the first failure; the others are consequences of it (ranks stopped because it failed). */
    private void fail(int rank, Throwable e) {
        failure.record(rank, e);
    }

    private BlockingQueue<float[]> queue(int from, int to) { return queues.get(from * size + to); }

    private final class Rank implements Communicator {
        private final int rank;
        private long sent;

        Rank(int rank) { this.rank = rank; }

        @Override public int rank() { return rank; }

        @Override public int size() { return size; }

        @Override public long sent() { return sent; }

        @Override public void allToAll(float[] send, float[] recv, int count) {
            check("all-to-all", send, 0, (long) size * count);
            check("all-to-all", recv, 0, (long) size * count);
            for (int p = 0; p < size; p++) if (p != rank) post(p, send, p * count, count);
            System.arraycopy(send, rank * count, recv, rank * count, count);
            for (int p = 0; p < size; p++) if (p != rank) take(p, recv, p * count, count, "all-to-all");
        }

        @Override public void allGather(float[] send, float[] recv, int count) {
            check("all-gather", send, 0, count);
            check("all-gather", recv, 0, (long) size * count);
            for (int p = 0; p < size; p++) if (p != rank) post(p, send, 0, count);
            System.arraycopy(send, 0, recv, rank * count, count);
            for (int p = 0; p < size; p++) if (p != rank) take(p, recv, p * count, count, "all-gather");
        }

        @Override public void exchange(List<Transfer> transfers) {
            for (Transfer t : transfers) {
                if (t.peer() < 0 || t.peer() >= size || t.peer() == rank) {
                    throw new IllegalArgumentException("rank " + rank + " cannot exchange with rank " + t.peer() + " of " + size);
                }
                check("send/recv", t.buffer(), t.offset(), t.count());
            }
            // sends first: they never block, so every receive of the group can then be met
            for (Transfer t : transfers) if (t.send()) post(t.peer(), t.buffer(), t.offset(), t.count());
            for (Transfer t : transfers) if (!t.send()) take(t.peer(), t.buffer(), t.offset(), t.count(), "send/recv");
        }

        private void post(int to, float[] buffer, int offset, int count) {
            float[] copy = new float[count];
            System.arraycopy(buffer, offset, copy, 0, count);
            queue(rank, to).add(copy);
            sent += count;
        }

        private void take(int from, float[] buffer, int offset, int count, String what) {
            long deadline = System.nanoTime() + timeoutNanos;
            float[] message;
            try {
                while ((message = queue(from, rank).poll(20, TimeUnit.MILLISECONDS)) == null) {
                    FirstFailure.Failure f = failure.get();
                    if (f != null) {
                        throw new CommunicatorException("rank " + rank + " stopped: rank " + f.rank() + " failed (" + f.error().getMessage() + ")");
                    }
                    if (System.nanoTime() > deadline) {
                        throw new CommunicatorException(String.format(Locale.ROOT, "rank %d waited %.0f s for rank %d in %s and gave up: "
                                + "that rank is stuck or called a different collective (a bug; the timeout is set by the caller)",
                                rank, timeoutNanos / 1e9, from, what));
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommunicatorException("rank " + rank + " was interrupted in " + what);
            }
            if (message.length != count) {
                throw new CommunicatorException("rank " + rank + " expected " + count + " elements from rank " + from + " in " + what
                        + ", got " + message.length + ": the ranks called different collectives (a bug)");
            }
            System.arraycopy(message, 0, buffer, offset, count);
        }

        private void check(String what, float[] buffer, int offset, long count) {
            if (offset < 0 || count < 0 || offset + count > buffer.length) {
                throw new IllegalArgumentException(what + " on rank " + rank + ": " + count + " elements from " + offset
                        + " do not fit a buffer of " + buffer.length);
            }
        }
    }
}
