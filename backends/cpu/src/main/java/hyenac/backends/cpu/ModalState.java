package hyenac.backends.cpu;

/**
 * Decode state of the modal filter (Hyena-LI) as a diagonal real IIR, per batch row, channel c and mode n:
 * <pre>
 *   state[c, n] ← λ[c, n]·state[c, n] + s_t[c]          (λ = exp(logλ))
 *   y_t[c]      = Σₙ R[c, n]·state[c, n] + D[c]·s_t[c]
 * </pre>
 * which unrolls to y_t = Σ_{j≤t} h[t−j]·s_j + D·s_t with h[t] = Σₙ R·λᵗ, the parallel {@link ModalFilter}.
 * The state is held in double.
 */
public final class ModalState {
    private final int batch, channels, modes;
    private final double[] logLambda, lambda;
    private final float[] residues, skip;
    private final double[] state;

    /** log_poles, residues [channels, modes]; skip [channels] or null. */
    public ModalState(int batch, int channels, int modes, float[] logPoles, float[] residues, float[] skip) {
        Check.positive("batch", batch);
        Check.positive("channels", channels);
        Check.positive("modes", modes);
        Check.size("log_poles", logPoles, (long) channels * modes);
        Check.size("residues", residues, (long) channels * modes);
        Check.sizeOrNull("skip", skip, channels);
        this.batch = batch;
        this.channels = channels;
        this.modes = modes;
        this.residues = residues.clone();
        this.skip = skip == null ? null : skip.clone();
        this.logLambda = new double[logPoles.length];
        this.lambda = new double[logPoles.length];
        for (int i = 0; i < logPoles.length; i++) {
            logLambda[i] = logPoles[i];
            lambda[i] = Math.exp(logLambda[i]);
        }
        this.state = new double[batch * channels * modes];
    }

    public void reset() { java.util.Arrays.fill(state, 0); }

    /**
     * Sets the state after a prompt s [batch, length, channels] (pre-gate values k ⊙ v), from zero:
     * x[c, n] = Σ_{j<T} λ^(T−1−j)·s_j, with the FFT.
     *
     * <p>How: x is the inner product of s with the geometric sequence g_j = λ^(T−1−j) (j < T). With both
     * zero-padded to N ≥ T, Parseval gives Σⱼ s_j·g_j = (1/N)·Σₖ S[k]·conj(G[k]), and G has a closed form,
     * G[k] = Σ_{j<T} λ^(T−1−j)·wʲ = (wᵀ − λᵀ)/(w − λ) with w = e^(−2πik/N). So one real FFT of each
     * channel's prompt serves all its modes, and each mode costs N/2 complex multiply-adds; s and g being
     * real, the bins above N/2 are the conjugates of those below and count twice.
     */
    public void prefill(float[] s, int length) {
        checkPrompt(s, length);
        int n = Fft.nextPowerOfTwo(length);
        int bins = n / 2 + 1;
        Par.forEach(batch * channels, (long) n * (20 + modes), bc -> {
            int b = bc / channels, c = bc % channels;
            double[] col = new double[length];
            for (int t = 0; t < length; t++) col[t] = s[(b * length + t) * channels + c];
            Fft.Spectrum spec = Fft.rfft(col, n);
            for (int m = 0; m < modes; m++) {
                double logL = logLambda[c * modes + m];
                double lam = lambda[c * modes + m];
                double lamT = Math.exp(logL * length);
                double sum = 0;
                for (int k = 0; k < bins; k++) {
                    double gr, gi;
                    if (k == 0) {
                        // (1 − λᵀ)/(1 − λ), written with expm1 so that λ near 1 keeps its digits
                        gr = logL == 0 ? length : Math.expm1(logL * length) / Math.expm1(logL);
                        gi = 0;
                    } else {
                        double wa = -2 * Math.PI * k / n;
                        double wta = -2 * Math.PI * ((long) k * length % n) / n;
                        double nr = Math.cos(wta) - lamT, ni = Math.sin(wta);
                        double dr = Math.cos(wa) - lam, di = Math.sin(wa);
                        double d2 = dr * dr + di * di;
                        gr = (nr * dr + ni * di) / d2;
                        gi = (ni * dr - nr * di) / d2;
                    }
                    double weight = (k == 0 || 2 * k == n) ? 1 : 2;
                    sum += weight * (spec.re()[k] * gr + spec.im()[k] * gi);
                }
                state[bc * modes + m] = sum / n;
            }
        });
    }

    /** The same state as {@link #prefill} by running the recurrence over the prompt (O(T·modes), the plain oracle). */
    public void prefillDirect(float[] s, int length) {
        checkPrompt(s, length);
        for (int bc = 0; bc < batch * channels; bc++) {
            int b = bc / channels, c = bc % channels;
            for (int m = 0; m < modes; m++) {
                double x = 0, lam = lambda[c * modes + m];
                for (int t = 0; t < length; t++) x = lam * x + s[(b * length + t) * channels + c];
                state[bc * modes + m] = x;
            }
        }
    }

    /** One step: s [batch, channels] → y [batch, channels]; the state advances first, then is read. */
    public float[] step(float[] s) {
        Check.size("s", s, (long) batch * channels);
        float[] y = new float[s.length];
        for (int bc = 0; bc < batch * channels; bc++) {
            int c = bc % channels;
            double acc = skip == null ? 0 : (double) skip[c] * s[bc];
            for (int m = 0; m < modes; m++) {
                int i = bc * modes + m;
                state[i] = lambda[c * modes + m] * state[i] + s[bc];
                acc += residues[c * modes + m] * state[i];
            }
            y[bc] = (float) acc;
        }
        return y;
    }

    /** The state as [batch, channels, modes] (the layout of vortex's {@code iir} cache). */
    public float[] state() {
        float[] out = new float[state.length];
        for (int i = 0; i < state.length; i++) out[i] = (float) state[i];
        return out;
    }

    private void checkPrompt(float[] s, int length) {
        Check.positive("length", length);
        Check.size("s", s, (long) batch * length * channels);
    }
}
