package hyenac.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C while a command works: a shutdown hook marks the request and holds the JVM's exit, for up to a grace
 * period, until the work under way closes this (its output flushed, a checkpoint written).
 */
final class CtrlC implements AutoCloseable {
    private final AtomicBoolean requested = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    CtrlC(long graceSeconds) {
        hook = new Thread(() -> {
            requested.set(true);
            try {
                finished.await(graceSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                // exiting anyway
            }
        }, "hyenac-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether Ctrl-C was pressed: the work polls this between steps. */
    boolean requested() { return requested.get(); }

    @Override public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it lets the JVM exit now that the work is done
        }
    }
}
