package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.ir.DType;

/**
 * How a kernel stores numbers. Arithmetic is fp32 in both modes; filters (taps, skips, poles, residues),
 * RoPE frequencies and recurrent IIR states stay fp32 whatever the activations are.
 */
public enum Precision {
    /** bf16 activations and weights in memory, fp32 arithmetic. */
    BF16(Scalar.BF16),
    /** fp32 everywhere. */
    FP32(Scalar.FLOAT);

    private final Scalar storage;

    Precision(Scalar storage) { this.storage = storage; }

    /** The element type of activations, embeddings, norm scales and caches. */
    public Scalar storage() { return storage; }

    /** The element type of filters and FFT data. */
    public Scalar filter() { return Scalar.FLOAT; }

    /** The spelling used in kernel names. */
    public String suffix() { return this == BF16 ? "bf16" : "fp32"; }

    public static Precision of(DType dtype) {
        return switch (dtype) {
            case BF16 -> BF16;
            case FP32 -> FP32;
            default -> throw new IllegalArgumentException("no kernels for " + dtype.spelling() + " activations (bf16 or fp32)");
        };
    }
}
