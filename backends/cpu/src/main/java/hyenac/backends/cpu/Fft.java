package hyenac.backends.cpu;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Our own FFT, in double precision.
 *
 * <p>{@link #transform} is an iterative radix-2 complex FFT (bit-reversal permutation, then butterflies of
 * growing span). {@link #rfft} / {@link #irfft} transform real signals of power-of-two length n with one
 * complex FFT of length n/2: the even samples go in the real parts, the odd ones in the imaginary parts,
 * and the two interleaved half-length spectra are separated afterwards using the symmetry of real spectra.
 *
 * <p>Convention: X[k] = Σⱼ x[j]·e^(−2πi·jk/n); the inverse transforms divide by n. A real spectrum keeps
 * the bins 0..n/2 (the others are their complex conjugates).
 */
public final class Fft {
    private Fft() {}

    /** Bins 0..n/2 of the spectrum of a real signal of length n. */
    public record Spectrum(double[] re, double[] im) {
        public int bins() { return re.length; }
    }

    public static boolean isPowerOfTwo(int n) { return n > 0 && (n & (n - 1)) == 0; }

    /** The smallest power of two ≥ n (n ≥ 1). */
    public static int nextPowerOfTwo(int n) {
        Check.positive("n", n);
        if (n > 1 << 30) throw new IllegalArgumentException("FFT length too large: " + n);
        return n == 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    /**
     * The transform length of a causal convolution over {@code length} steps: the next power of two ≥ 2·length,
     * so that the circular convolution has no wrap-around in the first {@code length} outputs.
     */
    public static int convolutionSize(int length) { return nextPowerOfTwo(2 * length); }

    /** In-place complex FFT; n = re.length must be a power of two. {@code inverse} also divides by n. */
    public static void transform(double[] re, double[] im, boolean inverse) {
        int n = re.length;
        if (im.length != n || !isPowerOfTwo(n)) {
            throw new IllegalArgumentException("FFT needs two arrays of one power-of-two length, got " + n + " and " + im.length);
        }
        bitReverse(re, im);
        Twiddles w = twiddles(n);
        double sign = inverse ? 1 : -1;
        for (int span = 2; span <= n; span <<= 1) {
            int half = span >> 1;
            int stride = n / span; // twiddle e^(∓2πi·j/span) sits at j·stride in the size-n table
            for (int start = 0; start < n; start += span) {
                for (int j = 0; j < half; j++) {
                    double wr = w.cos[j * stride];
                    double wi = sign * w.sin[j * stride];
                    int a = start + j;
                    int b = a + half;
                    double tr = wr * re[b] - wi * im[b];
                    double ti = wr * im[b] + wi * re[b];
                    re[b] = re[a] - tr;
                    im[b] = im[a] - ti;
                    re[a] += tr;
                    im[a] += ti;
                }
            }
        }
        if (inverse) {
            double s = 1.0 / n;
            for (int i = 0; i < n; i++) {
                re[i] *= s;
                im[i] *= s;
            }
        }
    }

    /** Spectrum (bins 0..n/2) of the real signal x zero-padded to n, a power of two ≥ x.length. */
    public static Spectrum rfft(double[] x, int n) {
        if (!isPowerOfTwo(n) || x.length > n) {
            throw new IllegalArgumentException("rfft length " + n + " must be a power of two ≥ the signal length " + x.length);
        }
        if (n == 1) return new Spectrum(new double[] {x.length > 0 ? x[0] : 0}, new double[1]);
        int h = n / 2;
        double[] zr = new double[h];
        double[] zi = new double[h];
        for (int m = 0; m < h; m++) {
            if (2 * m < x.length) zr[m] = x[2 * m];
            if (2 * m + 1 < x.length) zi[m] = x[2 * m + 1];
        }
        transform(zr, zi, false);
        Twiddles w = twiddles(n);
        double[] re = new double[h + 1];
        double[] im = new double[h + 1];
        for (int k = 0; k <= h; k++) {
            // Z[k] = E[k] + i·O[k] with E, O the spectra of the even and odd samples; conj(Z[h−k]) = E[k] − i·O[k].
            double ar = zr[k % h], ai = zi[k % h];
            double br = zr[(h - k) % h], bi = -zi[(h - k) % h];
            double er = (ar + br) / 2, ei = (ai + bi) / 2;
            double or = (ai - bi) / 2, oi = -(ar - br) / 2;
            // X[k] = E[k] + e^(−2πik/n)·O[k]
            double c = w.cosAt(k), s = -w.sinAt(k);
            re[k] = er + c * or - s * oi;
            im[k] = ei + c * oi + s * or;
        }
        return new Spectrum(re, im);
    }

    /** The real signal of length n (a power of two) whose spectrum bins 0..n/2 are given. */
    public static double[] irfft(Spectrum spectrum, int n) {
        if (!isPowerOfTwo(n) || spectrum.bins() != n / 2 + 1) {
            throw new IllegalArgumentException("irfft length " + n + " needs a power of two and n/2 + 1 bins, got " + spectrum.bins());
        }
        double[] re = spectrum.re(), im = spectrum.im();
        if (n == 1) return new double[] {re[0]};
        int h = n / 2;
        Twiddles w = twiddles(n);
        double[] zr = new double[h];
        double[] zi = new double[h];
        for (int k = 0; k < h; k++) {
            // X[k + h] = conj(X[h − k]) for a real signal; E = (X[k] + X[k+h]) / 2, O = (X[k] − X[k+h])·e^(2πik/n) / 2.
            double ar = re[k], ai = im[k];
            double br = re[h - k], bi = -im[h - k];
            double er = (ar + br) / 2, ei = (ai + bi) / 2;
            double dr = (ar - br) / 2, di = (ai - bi) / 2;
            double c = w.cosAt(k), s = w.sinAt(k);
            double or = dr * c - di * s, oi = dr * s + di * c;
            zr[k] = er - oi; // Z = E + i·O
            zi[k] = ei + or;
        }
        transform(zr, zi, true);
        double[] x = new double[n];
        for (int m = 0; m < h; m++) {
            x[2 * m] = zr[m];
            x[2 * m + 1] = zi[m];
        }
        return x;
    }

    /** Pointwise product of two spectra of the same length. */
    public static Spectrum multiply(Spectrum a, Spectrum b) {
        int bins = a.bins();
        if (b.bins() != bins) throw new IllegalArgumentException("spectra of different lengths: " + bins + " and " + b.bins());
        double[] re = new double[bins];
        double[] im = new double[bins];
        for (int k = 0; k < bins; k++) {
            re[k] = a.re[k] * b.re[k] - a.im[k] * b.im[k];
            im[k] = a.re[k] * b.im[k] + a.im[k] * b.re[k];
        }
        return new Spectrum(re, im);
    }

    private static void bitReverse(double[] re, double[] im) {
        int n = re.length;
        for (int i = 1, j = 0; i < n; i++) {
            int bit = n >> 1;
            for (; (j & bit) != 0; bit >>= 1) j ^= bit;
            j |= bit;
            if (i < j) {
                double t = re[i];
                re[i] = re[j];
                re[j] = t;
                t = im[i];
                im[i] = im[j];
                im[j] = t;
            }
        }
    }

    /** cos and sin of 2πk/n for 0 ≤ k < n/2, each computed directly (no recurrence, so no drift). */
    private record Twiddles(int n, double[] cos, double[] sin) {
        double cosAt(int k) { return k == n / 2 ? -1 : cos[k]; }
        double sinAt(int k) { return k == n / 2 ? 0 : sin[k]; }
    }

    private static final ConcurrentHashMap<Integer, Twiddles> TWIDDLES = new ConcurrentHashMap<>();

    private static Twiddles twiddles(int n) {
        return TWIDDLES.computeIfAbsent(n, size -> {
            int h = Math.max(1, size / 2);
            double[] c = new double[h];
            double[] s = new double[h];
            for (int k = 0; k < h; k++) {
                double a = 2 * Math.PI * k / size;
                c[k] = Math.cos(a);
                s[k] = Math.sin(a);
            }
            return new Twiddles(size, c, s);
        });
    }
}
