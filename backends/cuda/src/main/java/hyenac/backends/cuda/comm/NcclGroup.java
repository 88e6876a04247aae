package hyenac.backends.cuda.comm;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Nccl;
import hyenac.runtime.comm.Communicator;
import hyenac.runtime.comm.CommunicatorException;
import hyenac.runtime.comm.FirstFailure;
import hyenac.runtime.comm.InProcessGroup;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * N ranks on the first N GPUs of this machine, one thread each, exchanging through NCCL: the GPU
 * {@link Communicator}. Each rank's thread makes its GPU's primary context current, has its own stream and device
 * buffers, and stages the host {@code float[]}s of the contract through them (copy in, the NCCL operations on the
 * stream, a wait, copy out).
 *
 * <p>One process drives every GPU, its communicators made at once by ncclCommInitAll: context parallelism runs in
 * one JVM with its ranks as threads, like {@link InProcessGroup}, so nothing has to launch processes or pass a
 * unique id between them (ncclGetUniqueId/ncclCommInitRank, which {@link Nccl} also binds, are for when ranks
 * become processes).
 *
 * <p>No wait is unbounded. A rank waits for its stream by polling (cuStreamQuery) and, between polls, asks NCCL for
 * asynchronous errors; a watchdog thread ends the group when a rank fails or a collective outlasts the timeout, by
 * aborting every communicator (ncclCommAbort, which also ends a call blocked inside NCCL). Every rank then stops with
 * a {@link CommunicatorException}, and {@link #run} throws the first failure: the failing rank's own error, or the
 * timeout naming the rank and the collective. (A rank checks that the group is still whole before each NCCL call;
 * an abort landing between that check and the call is the one window left, as in every watchdog over NCCL.)
 */
public final class NcclGroup {
    /** How long a collective may take: {@code -Dhyenac.cp.timeout=SECONDS}, the property and default of the CPU ranks. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(Long.getLong("hyenac.cp.timeout", 300));

    /** How an all-to-all is done. */
    public enum AllToAll {
        /** ncclAlltoAll where NCCL has it (2.28.3 and later), else grouped send/receive. */
        AUTO,
        /** A group of ncclSend/ncclRecv, one pair per peer, whatever the version. */
        GROUPED
    }

    private final Driver driver;
    private final Nccl nccl;
    private final List<Nccl.Comm> comms;
    private final boolean nativeAllToAll;
    private final long timeoutNanos;
    private final List<Rank> ranks = new ArrayList<>();
    private final FirstFailure failure = new FirstFailure();
    private final AtomicBoolean aborted = new AtomicBoolean();
    private volatile boolean finished;


    private NcclGroup(Driver driver, Nccl nccl, List<Nccl.Comm> comms, boolean nativeAllToAll, Duration timeout) {
        this.driver = driver;
        this.nccl = nccl;
        this.comms = comms;
        this.nativeAllToAll = nativeAllToAll;
        this.timeoutNanos = timeout.toNanos();
    }

    /** {@link #run(int, Duration, AllToAll, InProcessGroup.RankTask)} with ncclAlltoAll where NCCL has it. */
    public static <T> List<T> run(int ranks, Duration timeout, InProcessGroup.RankTask<T> task) {
        return run(ranks, timeout, AllToAll.AUTO, task);
    }

    /**
     * Runs {@code task} on {@code ranks} threads, rank r on GPU r, one communicator each, and returns their results by
     * rank. Throws the first failure (a {@link RuntimeException} as thrown, anything else wrapped) after every rank
     * stopped; fewer than one rank or more than the GPUs is an {@link IllegalArgumentException}, no driver, GPU or
     * NCCL a {@link CudaUnavailableException}, before any rank starts.
     */
    public static <T> List<T> run(int ranks, Duration timeout, AllToAll allToAll, InProcessGroup.RankTask<T> task) {
        if (ranks < 1) throw new IllegalArgumentException("a group needs at least one rank, not " + ranks);
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("the timeout must be positive, not " + timeout);
        Driver driver = Driver.load();
        driver.init();
        checkRanks(ranks, driver.deviceGetCount());
        Nccl nccl = Nccl.load();
        int[] devices = new int[ranks];
        for (int r = 0; r < ranks; r++) devices[r] = r;
        List<Nccl.Comm> comms = nccl.commInitAll(devices);
        NcclGroup group = new NcclGroup(driver, nccl, comms, allToAll == AllToAll.AUTO && nccl.hasAllToAll(), timeout);
        return group.start(task);
    }

    /** Whether {@code ranks} fit this machine's {@code gpus}; the words for when they do not. */
    static void checkRanks(int ranks, int gpus) {
        if (ranks < 1) throw new IllegalArgumentException("a group needs at least one rank, not " + ranks);
        if (gpus < 1) {
            throw new CudaUnavailableException("no NVIDIA GPU found: the driver reports no devices; context parallelism"
                    + " on GPUs needs one GPU per rank; use --target cpu");
        }
        if (ranks > gpus) {
            throw new IllegalArgumentException("asked for " + ranks + " ranks, this machine has " + gpus
                    + (gpus == 1 ? " GPU" : " GPUs") + "; use at most " + gpus + " (one GPU per rank), or --target cpu");
        }
    }

    private <T> List<T> start(InProcessGroup.RankTask<T> task) {
        int size = comms.size();
        List<T> results = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            results.add(null);
            ranks.add(new Rank(comms.get(r)));
        }
        Thread watchdog = Thread.ofPlatform().name("nccl-watchdog").daemon().start(this::watch);
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            Rank rank = ranks.get(r);
            threads.add(Thread.ofPlatform().name("nccl-rank-" + r).daemon().start(() -> {
                try {
                    rank.open();
                    results.set(rank.rank, task.run(rank));
                } catch (Throwable e) {
                    fail(rank.rank, e);
                } finally {
                    rank.close();
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                fail(-1, e);
                Thread.currentThread().interrupt();
            }
        }
        finished = true;
        watchdog.interrupt();
        if (failure.failed()) {
            abortAll();
        } else {
            for (Nccl.Comm c : comms) nccl.commDestroy(c);
        }
        failure.rethrow();
        return results;
    }

    /** Records the first failure; the others are consequences of it. */
    private void fail(int rank, Throwable e) {
        failure.record(rank, e);
    }

    /**
     * The watchdog: ends the group, aborting every communicator, once a rank failed or a collective outlasted the
     * timeout (then the timeout is the failure, naming the rank and the collective).
     */
    private void watch() {
        while (!finished && !aborted.get()) {
            if (failure.failed()) {
                abortAll();
                return;
            }
            long now = System.nanoTime();
            for (Rank r : ranks) {
                long since = r.since;
                String what = r.doing;
                if (since != 0 && what != null && now - since > timeoutNanos) {
                    fail(r.rank, new CommunicatorException(String.format(Locale.ROOT, "rank %d waited %.0f s in %s (NCCL)"
                            + " and gave up: a rank is stuck or called a different collective (a bug; the timeout is"
                            + " -Dhyenac.cp.timeout=SECONDS); every communicator was aborted", r.rank, timeoutNanos / 1e9, what)));
                    abortAll();
                    return;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Aborts every communicator once; a rank must not call NCCL after this (it checks {@link #aborted} first). */
    private void abortAll() {
        if (!aborted.compareAndSet(false, true)) return;
        for (Nccl.Comm c : comms) {
            try {
                nccl.commAbort(c);
            } catch (RuntimeException e) {
                // the group has failed already; that failure is what is reported
            }
        }
    }

    private final class Rank implements Communicator {
        private final Nccl.Comm comm;
        private final int rank;
        private Driver.Context context;
        private Driver.Stream stream;
        private long sendBuffer, recvBuffer, sendBytes, recvBytes;
        private long sent;
        /** When the collective under way started (System.nanoTime), 0 between collectives; read by the watchdog. */
        private volatile long since;
        private volatile String doing;

        Rank(Nccl.Comm comm) {
            this.comm = comm;
            this.rank = comm.rank();
        }

        void open() {
            context = driver.devicePrimaryCtxRetain(driver.deviceGet(comm.device()));
            driver.ctxSetCurrent(context);
            stream = driver.streamCreate(Driver.STREAM_NON_BLOCKING);
        }

        /** Frees what {@link #open} made; after a failure its own errors are consequences, not news. */
        void close() {
            // After a failure, NCCL work on this stream may wait for peers that will never come: let the watchdog's
            // abort end it (it follows within milliseconds) before freeing what it uses, and do not wait for it.
            long until = System.nanoTime() + 5_000_000_000L;
            while (failure.failed() && !aborted.get() && System.nanoTime() < until) LockSupport.parkNanos(1_000_000);
            try {
                if (stream != null && !failure.failed() && !aborted.get()) {
                    driver.streamSynchronize(stream, "finishing rank " + rank + "'s work");
                }
                if (sendBuffer != 0) driver.memFree(sendBuffer, "rank " + rank + "'s send buffer");
                if (recvBuffer != 0) driver.memFree(recvBuffer, "rank " + rank + "'s receive buffer");
                if (stream != null) driver.streamDestroy(stream);
                if (context != null) driver.devicePrimaryCtxRelease(context.device());
            } catch (RuntimeException e) {
                fail(rank, e);
            }
        }

        @Override public int rank() { return rank; }

        @Override public int size() { return comms.size(); }

        @Override public long sent() { return sent; }

        @Override public void allToAll(float[] send, float[] recv, int count) {
            int size = size();
            check("all-to-all", send, 0, (long) size * count);
            check("all-to-all", recv, 0, (long) size * count);
            if (count == 0) return;
            long n = (long) size * count, block = 4L * count;
            collective("all-to-all", n, n, (in, out) -> {
                MemorySegment.copy(send, 0, in, JAVA_FLOAT, 0, (int) n);
            }, () -> {
                if (nativeAllToAll) {
                    nccl.allToAll(sendBuffer, recvBuffer, count, comm, stream);
                } else {
                    grouped("all-to-all", () -> {
                        for (int p = 0; p < size; p++) {
                            if (p == rank) continue;
                            nccl.send(sendBuffer + p * block, count, p, comm, stream);
                            nccl.recv(recvBuffer + p * block, count, p, comm, stream);
                        }
                    });
                    driver.memcpyDtoDAsync(recvBuffer + rank * block, sendBuffer + rank * block, block, stream,
                            "rank " + rank + "'s own block");
                }
            }, out -> MemorySegment.copy(out, JAVA_FLOAT, 0, recv, 0, (int) n));
            sent += (long) (size - 1) * count;
        }

        @Override public void allGather(float[] send, float[] recv, int count) {
            int size = size();
            check("all-gather", send, 0, count);
            check("all-gather", recv, 0, (long) size * count);
            if (count == 0) return;
            long n = (long) size * count;
            collective("all-gather", count, n, (in, out) -> MemorySegment.copy(send, 0, in, JAVA_FLOAT, 0, count),
                    () -> nccl.allGather(sendBuffer, recvBuffer, count, comm, stream),
                    out -> MemorySegment.copy(out, JAVA_FLOAT, 0, recv, 0, (int) n));
            sent += (long) (size - 1) * count;
        }

        @Override public void exchange(List<Transfer> transfers) {
            long sendTotal = 0, recvTotal = 0;
            for (Transfer t : transfers) {
                if (t.peer() < 0 || t.peer() >= size() || t.peer() == rank) {
                    throw new IllegalArgumentException("rank " + rank + " cannot exchange with rank " + t.peer() + " of " + size());
                }
                check("send/recv", t.buffer(), t.offset(), t.count());
                if (t.send()) sendTotal += t.count();
                else recvTotal += t.count();
            }
            if (sendTotal + recvTotal == 0) return;
            long sends = sendTotal, recvs = recvTotal;
            // every send packed in order into the send buffer, every receive into the receive buffer
            collective("send/recv", sends, recvs, (in, out) -> {
                long at = 0;
                for (Transfer t : transfers) {
                    if (!t.send()) continue;
                    MemorySegment.copy(t.buffer(), t.offset(), in, JAVA_FLOAT, 4 * at, t.count());
                    at += t.count();
                }
            }, () -> grouped("send/recv", () -> {
                long s = 0, r = 0;
                for (Transfer t : transfers) {
                    if (t.count() == 0) continue;
                    if (t.send()) {
                        nccl.send(sendBuffer + 4 * s, t.count(), t.peer(), comm, stream);
                        s += t.count();
                    } else {
                        nccl.recv(recvBuffer + 4 * r, t.count(), t.peer(), comm, stream);
                        r += t.count();
                    }
                }
            }), out -> {
                long at = 0;
                for (Transfer t : transfers) {
                    if (t.send()) continue;
                    MemorySegment.copy(out, JAVA_FLOAT, 4 * at, t.buffer(), t.offset(), t.count());
                    at += t.count();
                }
            });
            sent += sends;
        }

        private interface Fill {
            void into(MemorySegment in, MemorySegment out);
        }

        private interface Drain {
            void from(MemorySegment out);
        }

        /**
         * One collective: {@code in} floats staged to the send buffer, the NCCL operations enqueued, a bounded wait,
         * {@code out} floats copied back from the receive buffer.
         */
        private void collective(String what, long in, long out, Fill fill, Runnable enqueue, Drain drain) {
            stopIfEnded(what);
            doing = what;
            since = System.nanoTime();
            try (Arena a = Arena.ofConfined()) {
                reserve(4 * in, 4 * out);
                MemorySegment hostIn = a.allocate(JAVA_FLOAT, Math.max(in, 1)), hostOut = a.allocate(JAVA_FLOAT, Math.max(out, 1));
                fill.into(hostIn, hostOut);
                if (in > 0) driver.memcpyHtoDAsync(sendBuffer, hostIn.asSlice(0, 4 * in), stream, "rank " + rank + "'s " + what);
                stopIfEnded(what);
                enqueue.run();
                await(what);
                if (out > 0) driver.memcpyDtoHAsync(hostOut.asSlice(0, 4 * out), recvBuffer, stream, "rank " + rank + "'s " + what);
                driver.streamSynchronize(stream, "copying rank " + rank + "'s " + what + " back");
                drain.from(hostOut);
            } catch (CommunicatorException e) {
                throw e;
            } catch (RuntimeException e) {
                // a call that failed because the group was ended is that ending, not news
                stopIfEnded(what);
                throw e;
            } finally {
                since = 0;
                doing = null;
            }
        }

        /** ncclGroupStart, the operations, ncclGroupEnd (also after a failed operation, so the group is closed). */
        private void grouped(String what, Runnable ops) {
            nccl.groupStart();
            try {
                ops.run();
            } catch (RuntimeException e) {
                try {
                    nccl.groupEnd("closing rank " + rank + "'s " + what + " after a failed operation");
                } catch (RuntimeException ignored) {
                    // the operation's failure is the one to report
                }
                throw e;
            }
            nccl.groupEnd("running rank " + rank + "'s " + what);
        }

        /** Waits for the stream, polling NCCL for errors; the watchdog ends a wait past the timeout. */
        private void await(String what) {
            int polls = 0;
            while (!driver.streamQuery(stream, "running rank " + rank + "'s " + what)) {
                stopIfEnded(what);
                int async = nccl.commGetAsyncError(comm);
                if (async != Nccl.SUCCESS && async != Nccl.IN_PROGRESS) {
                    String words = nccl.errorString(async);
                    throw new CommunicatorException("rank " + rank + "'s " + what + " failed in NCCL: "
                            + (Nccl.statusName(async) == null ? "status " + async : Nccl.statusName(async))
                            + (words == null ? "" : " (" + words + ")"));
                }
                // spin briefly (collectives are usually microseconds), then poll every 50 µs
                if (++polls > 100) LockSupport.parkNanos(50_000);
                else Thread.onSpinWait();
            }
        }

        /** Throws the group's end as this rank's CommunicatorException, if it has ended. */
        private void stopIfEnded(String what) {
            FirstFailure.Failure f = failure.get();
            if (f != null && f.rank() != rank) {
                throw new CommunicatorException("rank " + rank + " stopped in " + what + ": rank " + f.rank()
                        + " failed (" + f.error().getMessage() + ")");
            }
            if (f != null) {
                throw f.error() instanceof CommunicatorException ce ? ce
                        : new CommunicatorException("rank " + rank + " stopped in " + what + " after its own failure", f.error());
            }
            if (aborted.get()) throw new CommunicatorException("rank " + rank + " stopped in " + what + ": the group was aborted");
        }

        /** Grows the device buffers to at least the bytes given (never shrinks: collectives repeat their sizes). */
        private void reserve(long sendNeed, long recvNeed) {
            if (sendNeed > sendBytes) {
                if (sendBuffer != 0) driver.memFree(sendBuffer, "rank " + rank + "'s send buffer");
                sendBuffer = 0;
                sendBuffer = driver.memAlloc(sendNeed, "rank " + rank + "'s send buffer");
                sendBytes = sendNeed;
            }
            if (recvNeed > recvBytes) {
                if (recvBuffer != 0) driver.memFree(recvBuffer, "rank " + rank + "'s receive buffer");
                recvBuffer = 0;
                recvBuffer = driver.memAlloc(recvNeed, "rank " + rank + "'s receive buffer");
                recvBytes = recvNeed;
            }
        }

        private void check(String what, float[] buffer, int offset, long count) {
            if (offset < 0 || count < 0 || offset + count > buffer.length) {
                throw new IllegalArgumentException(what + " on rank " + rank + ": " + count + " elements from " + offset
                        + " do not fit a buffer of " + buffer.length);
            }
        }
    }
}
