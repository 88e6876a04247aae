package hyenac.ide;

import java.util.Locale;

/** How counts read in hovers and inlay hints. */
final class Numbers {
    private Numbers() {}

    /** 6,481,059,584 */
    static String exact(long n) { return String.format(Locale.ROOT, "%,d", n); }

    /** 6.48 B, 302.0 M, 12.3 k: short enough for an inlay hint. */
    static String shortCount(double n) {
        double a = Math.abs(n);
        if (a >= 1e12) return String.format(Locale.ROOT, "%.2f T", n / 1e12);
        if (a >= 1e9) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (a >= 1e6) return String.format(Locale.ROOT, "%.1f M", n / 1e6);
        if (a >= 1e3) return String.format(Locale.ROOT, "%.1f k", n / 1e3);
        return String.format(Locale.ROOT, "%.0f", n);
    }

    /** 1.21 GFLOP */
    static String flops(double f) {
        double a = Math.abs(f);
        if (a >= 1e12) return String.format(Locale.ROOT, "%.2f TFLOP", f / 1e12);
        if (a >= 1e9) return String.format(Locale.ROOT, "%.2f GFLOP", f / 1e9);
        if (a >= 1e6) return String.format(Locale.ROOT, "%.2f MFLOP", f / 1e6);
        if (a >= 1e3) return String.format(Locale.ROOT, "%.2f kFLOP", f / 1e3);
        return String.format(Locale.ROOT, "%.0f FLOP", f);
    }

    /** 64.0 KiB */
    static String bytes(double b) {
        double a = Math.abs(b);
        if (a >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (1L << 30));
        if (a >= 1 << 20) return String.format(Locale.ROOT, "%.1f MiB", b / (1 << 20));
        if (a >= 1 << 10) return String.format(Locale.ROOT, "%.1f KiB", b / (1 << 10));
        return String.format(Locale.ROOT, "%.0f B", b);
    }
}
