package hyenac.backends.cpu;

/**
 * The long implicit filter of Hyena-LI (the {@code modal_conv} primitive): per channel a sum of decaying
 * modes, h[c, t] = Σₙ R[c, n]·exp(logλ[c, n]·t), materialised to the sequence length and applied as a
 * causal convolution, plus an optional skip D ⊙ x. The decode form is {@link ModalState}.
 * Weights: log_poles [channels, modes] (log λ < 0), residues [channels, modes], skip [channels].
 */
public final class ModalFilter {
    private ModalFilter() {}

    /** h [channels, length] (h[c·length + t]), each value summed over the modes in double and stored as fp32. */
    public static float[] materialise(float[] logPoles, float[] residues, int channels, int modes, int length) {
        Check.positive("channels", channels);
        Check.positive("modes", modes);
        Check.positive("length", length);
        Check.size("log_poles", logPoles, (long) channels * modes);
        Check.size("residues", residues, (long) channels * modes);
        float[] h = new float[Math.multiplyExact(channels, length)];
        Par.forEach(channels, (long) modes * length * 4, c -> {
            for (int t = 0; t < length; t++) {
                double acc = 0;
                for (int n = 0; n < modes; n++) acc += residues[c * modes + n] * Math.exp((double) logPoles[c * modes + n] * t);
                h[c * length + t] = (float) acc;
            }
        });
        return h;
    }

    /** y = h ∗ x (+ skip ⊙ x) over x [batch, length, channels], with one materialised filter per channel. */
    public static float[] apply(float[] x, int batch, int length, int channels, float[] logPoles, float[] residues, int modes,
                                float[] skip, Conv.Algorithm algorithm) {
        Fir h = new Fir(materialise(logPoles, residues, channels, modes, length), channels, length);
        return Conv.causal(x, batch, length, channels, h, skip, algorithm);
    }

    /** As {@link #apply(float[], int, int, int, float[], float[], int, float[], Conv.Algorithm)} with the FFT. */
    public static float[] apply(float[] x, int batch, int length, int channels, float[] logPoles, float[] residues, int modes, float[] skip) {
        return apply(x, batch, length, channels, logPoles, residues, modes, skip, Conv.Algorithm.FFT);
    }
}
