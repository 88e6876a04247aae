package hyenac.backends.cpu;

/**
 * Whether {@link VectorLinear}'s kernels run. Kept apart from them: touching a class that names the Vector API's types
 * fails on a JVM without jdk.incubator.vector (as {@code hyenac run} starts), so the question is asked here.
 */
final class VectorUse {
    private VectorUse() {}

    /** True when jdk.incubator.vector is in the boot layer (the launcher adds it) and not turned off by -Dhyenac.cpu.scalar. */
    static final boolean AVAILABLE = !Boolean.getBoolean("hyenac.cpu.scalar")
            && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    /**
     * Multiply-adds a call needs before it takes these kernels: until C2 has compiled them the Vector API runs many
     * times slower than scalar loops, which a small model's short run (a test's) never outgrows.
     */
    private static final long MIN_WORK = 1 << 20;
    private static volatile boolean enabled = AVAILABLE;
    private static volatile long minWork = MIN_WORK;

    /** Whether a call of {@code work} multiply-adds uses these kernels. */
    static boolean use(long work) { return enabled && work >= minWork; }

    /** For tests: the scalar kernels alone (false), or these for every size where available (true). */
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
