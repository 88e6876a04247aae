package hyenac.backends.cpu;

/**
 * Gradients of the causal convolution y[t, c] = Σ_j h_g[j]·x[t−j, c] + skip[c]·x[t, c] ({@link Conv}), over
 * channel-last [batch, length, channels]; sums in double.
 */
public final class ConvGrad {
    private ConvGrad() {}

    /** dx[t, c] = Σ_j h_g[j]·dy[t+j, c] + skip[c]·dy[t, c]: the correlation with the same filter. */
    public static float[] input(float[] dy, int batch, int length, int channels, Fir filter, float[] skip) {
        Check.size("dy", dy, (long) batch * length * channels);
        Check.sizeOrNull("skip", skip, channels);
        float[] dx = new float[dy.length];
        int len = filter.len();
        Par.forEach(batch * channels, (long) length * Math.min(len, length), bc -> {
            int b = bc / channels, c = bc % channels;
            int g = filter.groupOf(c, channels);
            int base = b * length * channels + c;
            for (int t = 0; t < length; t++) {
                double acc = skip == null ? 0 : (double) skip[c] * dy[base + t * channels];
                for (int j = 0, jEnd = Math.min(len - 1, length - 1 - t); j <= jEnd; j++) {
                    acc += (double) filter.tap(g, j) * dy[base + (t + j) * channels];
                }
                dx[base + t * channels] = (float) acc;
            }
        });
        return dx;
    }

    /**
     * The gradient of the filters in FIR order, [groups, len]: dh[g, j] = Σ over the batch, the group's channels and
     * t ≥ j of dy[t, c]·x[t−j, c]. Kept in double: the decay and modal chains continue from it.
     */
    public static double[] filter(float[] dy, float[] x, int batch, int length, int channels, int groups, int len) {
        Check.size("dy", dy, (long) batch * length * channels);
        Check.size("x", x, (long) batch * length * channels);
        Check.divides("channels over filter groups", channels, groups);
        int per = channels / groups;
        double[] dh = new double[Math.multiplyExact(groups, len)];
        Par.forEach(groups * len, (long) batch * per * length, gj -> {
            int g = gj / len, j = gj % len;
            double acc = 0;
            for (int b = 0; b < batch; b++) {
                for (int c = g * per; c < (g + 1) * per; c++) {
                    int base = b * length * channels + c;
                    for (int t = j; t < length; t++) acc += (double) dy[base + t * channels] * x[base + (t - j) * channels];
                }
            }
            dh[gj] = acc;
        });
        return dh;
    }

    /** dskip[c] = Σ over rows of dy·x. */
    public static float[] skip(float[] dy, float[] x, int rows, int channels) {
        Check.size("dy", dy, (long) rows * channels);
        Check.size("x", x, (long) rows * channels);
        float[] out = new float[channels];
        Par.forEach(channels, rows, c -> {
            double acc = 0;
            for (int r = 0; r < rows; r++) acc += (double) dy[r * channels + c] * x[r * channels + c];
            out[c] = (float) acc;
        });
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
