package hyenac.ir.cp;

import java.util.Locale;

/** How context parallelism exchanges a convolution's data: {@code --cp-mode}. */
public enum CpMode {
    /** Short FIRs (≤ {@link #SHORT_TAPS} taps) by halo, long ones and Hyena-LI by all-to-all: the paper's choice. */
    AUTO,
    /** Every convolution by all-to-all. */
    A2A,
    /** Every FIR by halo; Hyena-LI still by all-to-all, since an IIR has no finite halo. */
    P2P;

    /** The longest FIR that {@link #AUTO} exchanges by halo: the featurizer (3) and Hyena-SE (7), not Hyena-MR (128). */
    public static final int SHORT_TAPS = 16;

    public String flag() { return name().toLowerCase(Locale.ROOT); }

    public static CpMode of(String name) {
        for (CpMode m : values()) if (m.flag().equals(name)) return m;
        throw new IllegalArgumentException("unknown --cp-mode `" + name + "`; modes: auto, a2a, p2p");
    }
}
