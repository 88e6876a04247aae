package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.erfc;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.select;

import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Var;

/** The pointwise activations of the language on a float value, with the reference's formulas. */
final class Activations {
    private Activations() {}

    static boolean known(String act) {
        return switch (act) {
            case "identity", "gelu", "silu", "relu" -> true;
            default -> false;
        };
    }

    /** act(v); v is a variable because some forms read it twice. */
    static Expr apply(String act, Var v) {
        return switch (act) {
            case "identity" -> v;
            // exact GELU x·Φ(x) written with erfc, which keeps its precision for large negative x
            case "gelu" -> lit(0.5f).mul(v).mul(erfc(v.neg().mul(lit((float) (1 / Math.sqrt(2))))));
            case "silu" -> v.div(lit(1.0f).add(exp(v.neg())));
            case "relu" -> select(v.gt(lit(0.0f)), v, lit(0.0f));
            default -> throw new IllegalArgumentException("unknown activation " + act);
        };
    }

    static String formula(String act, String x) {
        return switch (act) {
            case "identity" -> x;
            case "gelu" -> "0.5 * " + x + " * erfc(-" + x + " / sqrt(2))  (exact GELU)";
            case "silu" -> x + " / (1 + exp(-" + x + "))";
            case "relu" -> "max(" + x + ", 0)";
            default -> throw new IllegalArgumentException("unknown activation " + act);
        };
    }
}
