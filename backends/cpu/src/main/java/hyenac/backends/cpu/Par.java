package hyenac.backends.cpu;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Runs a loop of independent bodies, on the common fork-join pool when there is enough work to be worth it.
 * Every kernel gives each index its own outputs and a fixed order of arithmetic, so results are bitwise
 * the same with or without threads. {@code -Dhyenac.cpu.serial=true} turns threading off.
 */
final class Par {
    private Par() {}

    private static final boolean SERIAL = Boolean.getBoolean("hyenac.cpu.serial");
    /** Below this many multiply-adds in total a loop runs on the calling thread. */
    private static final long MIN_WORK = 1L << 15;

    /** Calls {@code body} for 0 ≤ i < n; {@code workPerItem} is a rough cost used only to decide on threads. */
    static void forEach(int n, long workPerItem, IntConsumer body) {
        if (SERIAL || n < 2 || (long) n * Math.max(1, workPerItem) < MIN_WORK) {
            for (int i = 0; i < n; i++) body.accept(i);
        } else {
            IntStream.range(0, n).parallel().forEach(body);
        }
    }
}
