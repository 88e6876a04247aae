package hyenac.backends.cpu;

/**
 * A bank of FIR filters shared by contiguous groups of channels, always held in FIR order:
 * {@code taps[g·len + j]} multiplies the input j steps back (j = 0: the current token).
 * Channel c of C uses filter c / (C / groups).
 */
public record Fir(float[] taps, int groups, int len) {

    /** How a checkpoint stores the taps of each filter. */
    public enum Taps {
        /** FIR order: tap 0 multiplies the current token (Hyena-MR, Hyena-LI). */
        FIR,
        /** Cross-correlation order (PyTorch conv1d): the last tap multiplies the current token (featurizer, Hyena-SE). */
        XCORR
    }

    public Fir {
        Check.positive("groups", groups);
        Check.positive("len", len);
        Check.size("filter taps", taps, (long) groups * len);
    }

    /** Filters [groups, len] stored in the given order, copied into FIR order. */
    public static Fir of(float[] stored, int groups, int len, Taps order) {
        Check.size("filter", stored, (long) groups * len);
        float[] t = new float[stored.length];
        for (int g = 0; g < groups; g++) {
            for (int j = 0; j < len; j++) {
                t[g * len + j] = order == Taps.FIR ? stored[g * len + j] : stored[g * len + len - 1 - j];
            }
        }
        return new Fir(t, groups, len);
    }

    /** The taps laid out per channel, [len, channels]: entry j·channels + c is the tap of channel c for j steps back. */
    public float[] perChannel(int channels) {
        int per = channels / groups;
        Check.divides("channels over filter groups", channels, groups);
        float[] out = new float[Math.multiplyExact(len, channels)];
        for (int j = 0; j < len; j++) {
            for (int c = 0; c < channels; c++) out[j * channels + c] = taps[c / per * len + j];
        }
        return out;
    }

    /** The tap of filter g that multiplies the input j steps back. */
    public float tap(int g, int j) { return taps[g * len + j]; }

    /** The filter that serves channel c of {@code channels}. */
    public int groupOf(int c, int channels) {
        Check.divides("channels over filter groups", channels, groups);
        return c / (channels / groups);
    }
}
