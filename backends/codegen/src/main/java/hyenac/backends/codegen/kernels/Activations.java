package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.erfc;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.select;

import hyenac.backends.codegen.Expr;
import hyenac.ir.Primitive;

/** The pointwise activations of the language on a float value, with the reference's formulas. */
final class Activations {
    private Activations() {}

    /** act(v) for an activation primitive ({@link Primitive#activation()}); v is a variable or an array element, as some forms read it twice. */
    static Expr apply(Primitive act, Expr v) {
        return switch (act) {
            case IDENTITY -> v;
            // exact GELU x·Φ(x) written with erfc, which keeps its precision for large negative x
            case GELU -> lit(0.5f).mul(v).mul(erfc(v.neg().mul(lit((float) (1 / Math.sqrt(2))))));
            case SILU -> v.div(lit(1.0f).add(exp(v.neg())));
            case RELU -> select(v.gt(lit(0.0f)), v, lit(0.0f));
            default -> throw new IllegalArgumentException(act + " is not an activation");
        };
    }

    static String formula(Primitive act, String x) {
        return switch (act) {
            case IDENTITY -> x;
            case GELU -> "0.5 * " + x + " * erfc(-" + x + " / sqrt(2))  (exact GELU)";
            case SILU -> x + " / (1 + exp(-" + x + "))";
            case RELU -> "max(" + x + ", 0)";
            default -> throw new IllegalArgumentException(act + " is not an activation");
        };
    }
}
