package hyenac.backends.codegen;

/**
 * The math library functions kernels may call, on float or double arguments; a dialect spells them.
 * {@code MUL_RN} is a product rounded on its own, which a compiler may not contract with a later sum into a
 * fused multiply-add: fused kernels use it to round as the unfused kernels do when they store a product.
 */
public enum MathFn {
    EXP(1), LOG(1), SQRT(1), ERF(1), ERFC(1), SIN(1), COS(1), FABS(1), FMAX(2), FMIN(2), MUL_RN(2);

    public final int arity;

    MathFn(int arity) { this.arity = arity; }
}
