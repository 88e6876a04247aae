package hyenac.backends.cpu;

/**
 * Whether {@link VectorLinear}'s kernels run: this class names no Vector API type, so asking loads nothing from
 * jdk.incubator.vector, which the JVM has only when started with {@code --add-modules jdk.incubator.vector}.
 */
final class VectorSupport {
    private VectorSupport() {}

    /** True when jdk.incubator.vector is in the boot layer (the launcher adds it) and not turned off by -Dhyenac.cpu.scalar. */
    static final boolean AVAILABLE = !Boolean.getBoolean("hyenac.cpu.scalar")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /**
     * Multiply-adds a call needs before it takes the vector kernels: until C2 has compiled them the Vector API runs many
     * times slower than scalar loops, which a small model's short run (a test's) never outgrows.
     */
    private static final long MIN_WORK = 1 << 20;
    private static volatile boolean enabled = AVAILABLE;
    private static volatile long minWork = MIN_WORK;

    /** Whether a call of {@code work} multiply-adds uses the vector kernels. */
    static boolean use(long work) { return enabled && work >= minWork; }

    /** For tests: the scalar kernels alone (false), or the vector kernels for every size where available (true). */
    static void enable(boolean on) {
        enabled = on && AVAILABLE;
        minWork = on ? 0 : MIN_WORK;
    }

    /** For tests: back to the defaults. */
    static void defaults() {
        enabled = AVAILABLE;
        minWork = MIN_WORK;
    }
}
