package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.List;

/**
 * The long implicit filter of Hyena-LI materialised for the FFT path: h[c, t] = Σₙ R[c, n]·exp(log_pole[c, n]·t)
 * for t < L, summed in fp64 as the reference does and stored fp32. Depends on L only, so a plan computes it
 * once per length (and caches its spectrum).
 */
public final class ModalFilter {
    private ModalFilter() {}

    public static final int THREADS = 256;

    public static GeneratedKernel generate(long channels, int modes, Precision p) {
        Signature sig = new Signature("modal_filter_c" + channels + "_m" + modes, THREADS);
        Var logPoles = sig.input("log_poles", p.filter(), "weight log_poles [" + channels + ", " + modes + "]");
        Var residues = sig.input("residues", p.filter(), "weight residues [" + channels + ", " + modes + "]");
        Var h = sig.output("h", p.filter(), "filters [" + channels + ", L]");
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Var t = s.let("t", blockIdx(Axis.X).cast(Scalar.INT64).mul(THREADS).add(threadIdx(Axis.X)));
        Var c = s.let("c", blockIdx(Axis.Y));
        s.when(t.ge(length), Scope::exit);
        Var acc = s.var("acc", Scalar.DOUBLE, lit(0.0));
        s.unrolled("n", lit(0), lit(modes), (n, body) -> {
            Var at = body.let("at", c.mul(modes).add(n));
            body.inc(acc, residues.at(at).cast(Scalar.DOUBLE).mul(exp(logPoles.at(at).cast(Scalar.DOUBLE).mul(t.cast(Scalar.DOUBLE)))));
        });
        s.store(h, c.cast(Scalar.INT64).mul(length).add(t), acc);
        return sig.build("modal_filter", new Launch(Extent.length().ceilDiv(THREADS), Extent.of(channels), Extent.of(1), THREADS, 1, 1),
                List.of("Hyena-LI filters h[c, t] = sum_n residue[c, n] * exp(log_pole[c, n] * t) for " + channels + " channels x "
                        + modes + " modes;", "fp64 sums stored as fp32, one thread per (t, channel)."));
    }
}
