package hyenac.cli;

import hyenac.runtime.progress.Progress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress drawn on one terminal line of stderr: what, a bar, how much of how much, the rate and the time left,
 * redrawn at most ten times a second and erased when the task ends. Off a terminal it draws nothing.
 */
final class TerminalProgress implements Progress {
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;

    private TerminalProgress(PrintWriter err) {
        this.err = err;
    }

    /** Bars on {@code err} when stderr is a terminal, else {@link Progress#NONE}. */
    static Progress on(PrintWriter err) {
        return Terminal.stderr() ? new TerminalProgress(err) : Progress.NONE;
    }

    @Override public Task start(String what, long total, String unit) {
        long start = System.nanoTime();
        AtomicLong done = new AtomicLong();
        AtomicLong drawn = new AtomicLong(start - REDRAW_NANOS);
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        return new Task() {
            @Override public void advance(long units) {
                long now = System.nanoTime(), d = done.addAndGet(units), last = drawn.get();
                if (now - last >= REDRAW_NANOS && drawn.compareAndSet(last, now)) draw(line(what, d, total, unit, (now - start) / 1e9));
            }

            @Override public void close() {
                if (closed.getAndSet(true)) return;  // erasing twice could erase text printed since
                synchronized (err) {
                    err.print("\r\033[K");
                    err.flush();
                }
            }
        };
    }

    /** Shows {@code what} (e.g. "prefill: 8192 tokens") on a terminal until the returned task closes, for work with no count. */
    static Task note(Progress on, String what) {
        if (!(on instanceof TerminalProgress t)) return Progress.NONE.start(what, 0, "");
        t.draw(what + " …");
        return t.start(what, 0, "");
    }

    private void draw(String line) {
        synchronized (err) {
            err.print("\r\033[K" + line);
            err.flush();
        }
    }

    static String line(String what, long done, long total, String unit, double seconds) {
        double f = total <= 0 ? 0 : Math.min(1, (double) done / total);
        int full = (int) Math.round(f * WIDTH);
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 && done < total ? ", " + duration((total - done) / rate) + " left" : "";
        return String.format(Locale.ROOT, "%s [%s%s] %3.0f%% %s/%s %s, %s %s/s%s", what, "#".repeat(full), ".".repeat(WIDTH - full),
                100 * f, human(done), human(total), unit, human((long) rate), unit, eta);
    }

    static String human(long n) {
        if (n < 10_000) return Long.toString(n);
        String[] units = {"k", "M", "G", "T"};
        double v = n;
        int i = -1;
        while (v >= 1000 && i < units.length - 1) {
            v /= 1000;
            i++;
        }
        return String.format(Locale.ROOT, v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s", v, units[i]);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : s < 3600 ? s / 60 + " min " + s % 60 + " s" : s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
