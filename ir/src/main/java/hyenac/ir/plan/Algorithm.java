package hyenac.ir.plan;

import java.util.Locale;

/** How a convolution or an attention is computed; chosen per node by the compiler's selection pass, for the target that runs it. */
public enum Algorithm {
    /** y[t] = Σ h[k]·x[t−k] term by term. */
    DIRECT,
    /**
     * Two-stage blocked: time in chunks of ℓb, Y_n = H0·S_n + H1·S_{n−1} with H0, H1 the Toeplitz blocks of the taps
     * (K ≤ ℓb), matrix products shared by the channels of a filter group (on tensor cores).
     */
    BLOCKED,
    /** Zero-padded FFTs: y = IFFT(FFT(x)·FFT(h)), the filter's spectrum prepared once. */
    FFT,
    /**
     * FFTs in the target's own kernels, time in chunks each transformed on chip with the gates and skip around it, the
     * chunks joined by the modes' states (modal filters) or overlap-save (explicit ones up to a chunk long); the filter's
     * spectrum prepared once.
     */
    FUSED_FFT,
    /**
     * Modal filters only: the diagonal recurrence of their modes (an IIR: Sₙ = λₙ·Sₙ + s, y = Σ Rₙ·Sₙ) as a chunked scan,
     * each chunk's states from zero, the chunks' incoming states carried across them, each chunk run again from its own.
     */
    SCAN,
    /** Attention: FlashAttention-2's tiles on the tensor cores as every GPU since compute capability 8.0 has them (mma.sync). */
    FLASH,
    /** Attention: the same schedule on Hopper's warpgroup tensor cores (wgmma; compute capability 9.0 only). */
    FLASH_WGMMA,
    /** One token at a time through the decode state (FIR ring, modal state, KV cache). */
    RECURRENT;

    public String spelling() { return name().toLowerCase(Locale.ROOT); }
}
