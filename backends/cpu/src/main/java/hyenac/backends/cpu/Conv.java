package hyenac.backends.cpu;

/**
 * Causal convolution along time of channel-last x [batch, length, channels] with zero history:
 * y[t, c] = Σ_{j<len} h_g[j]·x[t−j, c] (+ skip[c]·x[t, c]), g the filter group of channel c.
 * Two algorithms that compute the same function: a direct sliding sum and an FFT product. Both accumulate
 * in double and round each output once.
 */
public final class Conv {
    private Conv() {}

    public enum Algorithm { DIRECT, FFT }

    /** Filters up to this many effective taps run directly; longer ones through the FFT. */
    public static final int DIRECT_MAX_TAPS = 64;

    /** The algorithm {@link #causal} picks: direct for short filters, FFT for long ones (only taps < length count). */
    public static Algorithm choose(int len, int length) {
        return Math.min(len, length) <= DIRECT_MAX_TAPS ? Algorithm.DIRECT : Algorithm.FFT;
    }

    /** The convolution with the algorithm {@link #choose} picks. {@code skip} [channels] may be null. */
    public static float[] causal(float[] x, int batch, int length, int channels, Fir filter, float[] skip) {
        return causal(x, batch, length, channels, filter, skip, choose(filter.len(), length));
    }

    public static float[] causal(float[] x, int batch, int length, int channels, Fir filter, float[] skip, Algorithm algorithm) {
        return switch (algorithm) {
            case DIRECT -> direct(x, batch, length, channels, filter, skip);
            case FFT -> fft(x, batch, length, channels, filter, skip);
        };
    }

    /** Time steps per task of the direct kernels. */
    static final int TIME_BLOCK = 16;

    /**
     * The sliding sum: per output the skip term, then tap j = 0, 1, … times the input j steps back, added in that
     * order in double. A task takes a block of time steps of one sequence; its inner loop runs over the contiguous
     * channels (with the taps laid out per channel), which vectorises.
     */
    public static float[] direct(float[] x, int batch, int length, int channels, Fir filter, float[] skip) {
        check(x, batch, length, channels, filter, skip);
        float[] y = new float[x.length];
        int len = filter.len();
        float[] taps = filter.perChannel(channels);
        int blocks = (length + TIME_BLOCK - 1) / TIME_BLOCK;
        Par.forEach(batch * blocks, (long) TIME_BLOCK * channels * Math.min(len, length), task -> {
            int b = task / blocks, t0 = task % blocks * TIME_BLOCK;
            double[] acc = new double[channels];
            for (int t = t0, tEnd = Math.min(length, t0 + TIME_BLOCK); t < tEnd; t++) {
                int row = (b * length + t) * channels;
                for (int c = 0; c < channels; c++) acc[c] = skip == null ? 0 : (double) skip[c] * x[row + c];
                for (int j = 0, jEnd = Math.min(len - 1, t); j <= jEnd; j++) {
                    int from = row - j * channels, tap = j * channels;
                    for (int c = 0; c < channels; c++) acc[c] += (double) taps[tap + c] * x[from + c];
                }
                for (int c = 0; c < channels; c++) y[row + c] = (float) acc[c];
            }
        });
        return y;
    }

    /**
     * y = irfft(rfft(x)·rfft(h))[0, length) with both zero-padded to N = the next power of two ≥ 2·length,
     * which leaves the first {@code length} outputs free of wrap-around. Taps at j ≥ length only ever meet
     * the zero history, so they are dropped. Each group's filter spectrum is computed once.
     */
    public static float[] fft(float[] x, int batch, int length, int channels, Fir filter, float[] skip) {
        check(x, batch, length, channels, filter, skip);
        int n = Fft.convolutionSize(length);
        int used = Math.min(filter.len(), length);
        Fft.Spectrum[] spectra = new Fft.Spectrum[filter.groups()];
        Par.forEach(filter.groups(), (long) n * 20, g -> {
            double[] h = new double[used];
            for (int j = 0; j < used; j++) h[j] = filter.tap(g, j);
            spectra[g] = Fft.rfft(h, n);
        });
        float[] y = new float[x.length];
        Par.forEach(batch * channels, (long) n * 40, bc -> {
            int b = bc / channels, c = bc % channels;
            int base = b * length * channels + c;
            double[] col = new double[length];
            for (int t = 0; t < length; t++) col[t] = x[base + t * channels];
            double[] conv = Fft.irfft(Fft.multiply(Fft.rfft(col, n), spectra[filter.groupOf(c, channels)]), n);
            for (int t = 0; t < length; t++) {
                double acc = conv[t];
                if (skip != null) acc += (double) skip[c] * col[t];
                y[base + t * channels] = (float) acc;
            }
        });
        return y;
    }

    private static void check(float[] x, int batch, int length, int channels, Fir filter, float[] skip) {
        Check.positive("batch", batch);
        Check.positive("length", length);
        Check.positive("channels", channels);
        Check.size("x", x, (long) batch * length * channels);
        Check.divides("channels over filter groups", channels, filter.groups());
        Check.sizeOrNull("skip", skip, channels);
    }
}
