package hyenac.backends.cpu;

/**
 * Gradients of the causal convolution y[t, c] = Σ_j h_g[j]·x[t−j, c] + skip[c]·x[t, c] ({@link Conv}), over
 * channel-last [batch, length, channels]; sums in double.
 */
public final class ConvGrad {
    private ConvGrad() {}

    /**
     * dx[t, c] = skip[c]·dy[t, c] + Σ_j h_g[j]·dy[t+j, c] (j = 0, 1, … in that order): the correlation with the same
     * filter, a block of time steps of one sequence per task, vectorised over channels as {@link Conv#direct}.
     */
    public static float[] input(float[] dy, int batch, int length, int channels, Fir filter, float[] skip) {
        Check.size("dy", dy, (long) batch * length * channels);
        Check.sizeOrNull("skip", skip, channels);
        float[] dx = new float[dy.length];
        int len = filter.len();
        float[] taps = filter.perChannel(channels);
        int blocks = (length + Conv.TIME_BLOCK - 1) / Conv.TIME_BLOCK;
        Par.forEach(batch * blocks, (long) Conv.TIME_BLOCK * channels * Math.min(len, length), task -> {
            int b = task / blocks, t0 = task % blocks * Conv.TIME_BLOCK;
            double[] acc = new double[channels];
            for (int t = t0, tEnd = Math.min(length, t0 + Conv.TIME_BLOCK); t < tEnd; t++) {
                int row = (b * length + t) * channels;
                for (int c = 0; c < channels; c++) acc[c] = skip == null ? 0 : (double) skip[c] * dy[row + c];
                for (int j = 0, jEnd = Math.min(len - 1, length - 1 - t); j <= jEnd; j++) {
                    int from = row + j * channels, tap = j * channels;
                    for (int c = 0; c < channels; c++) acc[c] += (double) taps[tap + c] * dy[from + c];
                }
                for (int c = 0; c < channels; c++) dx[row + c] = (float) acc[c];
            }
        });
        return dx;
    }

    /** Channels per task of {@link #filter}. */
    private static final int CHANNEL_BLOCK = 32;

    /**
     * The gradient of the filters in FIR order, [groups, len]: dh[g, j] = Σ over the group's channels (in order) of
     * Σ over the batch and t ≥ j (in order) of dy[t, c]·x[t−j, c]. A task takes one lag j and a block of channels, its
     * inner loop over contiguous channels. Kept in double: the decay and modal chains continue from it.
     */
    public static double[] filter(float[] dy, float[] x, int batch, int length, int channels, int groups, int len) {
        Check.size("dy", dy, (long) batch * length * channels);
        Check.size("x", x, (long) batch * length * channels);
        Check.divides("channels over filter groups", channels, groups);
        int per = channels / groups;
        int lags = Math.min(len, length), blocks = (channels + CHANNEL_BLOCK - 1) / CHANNEL_BLOCK;
        double[] perChannel = new double[Math.multiplyExact(lags, channels)];
        Par.forEach(lags * blocks, (long) batch * length * CHANNEL_BLOCK, task -> {
            int j = task / blocks, c0 = task % blocks * CHANNEL_BLOCK, c1 = Math.min(channels, c0 + CHANNEL_BLOCK);
            double[] acc = new double[c1 - c0];
            for (int b = 0; b < batch; b++) {
                for (int t = j; t < length; t++) {
                    int at = (b * length + t) * channels + c0, from = at - j * channels;
                    for (int c = 0; c < acc.length; c++) acc[c] += (double) dy[at + c] * x[from + c];
                }
            }
            System.arraycopy(acc, 0, perChannel, j * channels + c0, acc.length);
        });
        double[] dh = new double[Math.multiplyExact(groups, len)]; // taps at j ≥ length never meet an input: 0
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < lags; j++) {
                double sum = 0;
                for (int c = g * per; c < (g + 1) * per; c++) sum += perChannel[j * channels + c];
                dh[g * len + j] = sum;
            }
        }
        return dh;
    }

    /** dskip[c] = Σ over rows of dy·x, rows in order. */
    public static float[] skip(float[] dy, float[] x, int rows, int channels) {
        Check.size("dy", dy, (long) rows * channels);
        Check.size("x", x, (long) rows * channels);
        double[] acc = new double[channels];
        for (int r = 0; r < rows; r++) {
            int at = r * channels;
            for (int c = 0; c < channels; c++) acc[c] += (double) dy[at + c] * x[at + c];
        }
        float[] out = new float[channels];
        for (int c = 0; c < channels; c++) out[c] = (float) acc[c];
        return out;
    }

    /** The FIR-order filter gradient in the stored order of the taps ({@link Fir.Taps#XCORR}: reversed). */
    public static float[] stored(double[] dh, int groups, int len, Fir.Taps order) {
        float[] out = new float[dh.length];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < len; j++) out[g * len + (order == Fir.Taps.FIR ? j : len - 1 - j)] = (float) dh[g * len + j];
        }
        return out;
    }

    /**
     * Through Hyena-MR's decay h[g, j] = w[g, j]·exp(−exp(ρ_g)·t_j) (t_j = {@code positions[j]}): the gradients of the
     * undecayed taps (stored order) and of the log rates ρ, from dh (FIR order). {@code taps} are stored-order.
     */
    public static float[][] decayed(double[] dh, float[] taps, float[] logRates, int groups, int len, Fir.Taps order, double[] positions) {
        float[] dTaps = new float[dh.length];
        float[] dRates = new float[groups];
        for (int g = 0; g < groups; g++) {
            double rate = Math.exp(logRates[g]);
            double acc = 0;
            for (int j = 0; j < len; j++) {
                int i = order == Fir.Taps.FIR ? j : len - 1 - j;
                double decay = Math.exp(-rate * positions[j]);
                dTaps[g * len + i] = (float) (dh[g * len + j] * decay);
                acc += dh[g * len + j] * taps[g * len + i] * decay * (-rate * positions[j]);
            }
            dRates[g] = (float) acc;
        }
        return new float[][] {dTaps, dRates};
    }

    /**
     * Through Hyena-LI's filter h[c, t] = Σₙ R[c, n]·exp(a[c, n]·t): the gradients of a (log_poles) and R (residues),
     * [channels, modes], from dh [channels, length].
     */
    public static float[][] modal(double[] dh, float[] logPoles, float[] residues, int channels, int modes, int length) {
        float[] dA = new float[channels * modes];
        float[] dR = new float[channels * modes];
        Par.forEach(channels, (long) modes * length * 4, c -> {
            for (int n = 0; n < modes; n++) {
                double a = logPoles[c * modes + n], r = residues[c * modes + n];
                double accR = 0, accA = 0;
                for (int t = 0; t < length; t++) {
                    double e = Math.exp(a * t) * dh[c * length + t];
                    accR += e;
                    accA += e * t;
                }
                dR[c * modes + n] = (float) accR;
                dA[c * modes + n] = (float) (accA * r);
            }
        });
        return new float[][] {dA, dR};
    }
}
