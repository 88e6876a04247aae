package hyenac.backends.cpu;

import hyenac.ir.Primitive;
import java.util.Locale;

/** The pointwise activations of the language, computed in double and stored as fp32. */
public enum Activation {
    IDENTITY, GELU, SILU, RELU;

    /** The activation a name denotes ({@code "gelu"}, {@code "silu"}, {@code "relu"}, {@code "identity"}): an activation_grad's attribute. */
    public static Activation of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** The kernel of an activation primitive ({@link Primitive#activation()}). */
    public static Activation of(Primitive p) {
        if (!p.activation()) throw new IllegalArgumentException(p + " is not an activation");
        return of(p.op());
    }

    public double apply(double x) {
        return switch (this) {
            case IDENTITY -> x;
            case GELU -> gelu(x);
            case SILU -> x / (1 + Math.exp(-x));
            case RELU -> x > 0 ? x : 0;
        };
    }

    /** Applies the activation to every element; returns a new array. */
    public float[] apply(float[] x) {
        float[] y = new float[x.length];
        Par.forEach(x.length / 4096 + 1, 4096 * 20, chunk -> {
            int end = Math.min(x.length, (chunk + 1) * 4096);
            for (int i = chunk * 4096; i < end; i++) y[i] = (float) apply((double) x[i]);
        });
        return y;
    }

    /** Exact GELU, x·Φ(x) with Φ the standard normal CDF, written with erfc so that large negative x keep their precision. */
    public static double gelu(double x) {
        return 0.5 * x * erfc(-x / Math.sqrt(2));
    }

    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

    /** The error function, to about 1e-15 absolute (there is no erf in java.lang.Math). */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a >= 3) return Math.copySign(1 - erfcLarge(a), x);
        // erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ·x^(2n+1) / (1·3·…·(2n+1)): every term is positive, so no cancellation.
        double x2 = x * x;
        double term = x;
        double sum = x;
        for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
    }

    /** 1 − erf(x), accurate in relative terms also where it is tiny (x ≥ 3). */
    public static double erfc(double x) {
        if (Double.isNaN(x)) return x;
        if (x >= 3) return erfcLarge(x);
        if (x <= -3) return 2 - erfcLarge(-x);
        return 1 - erf(x);
    }

    /**
     * erfc(x) for x ≥ 3 from its continued fraction e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))),
     * evaluated from the tail; 60 levels reach double precision for x ≥ 3.
     */
    private static double erfcLarge(double x) {
        double f = x;
        for (int k = 60; k >= 1; k--) f = x + (k / 2.0) / f;
        return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    }
}
