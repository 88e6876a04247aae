package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.cos;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.sin;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.List;

/**
 * Rotary position encoding, rotate-half convention over the full head: with x0 = x[0, d/2), x1 = x[d/2, d),
 * θᵢ = (p / scale)·inv_freq[i]: y = [x0·cos θ − x1·sin θ, x0·sin θ + x1·cos θ]. The inverse frequencies are an
 * input (the checkpoint's bf16-rounded buffer); angle, sine, cosine and rotation are fp64 as in the reference,
 * which matters at long positions. One thread per (row, frequency), looping over the heads.
 */
public final class Rope {
    private Rope() {}

    public static final int THREADS = 256;

    /** The rotation of q or k for the attention of {@code heads} × {@code headDim}; positions are divided by {@code scale}. */
    public static GeneratedKernel generate(int heads, int headDim, double scale, Precision p) {
        int half = half(headDim);
        long width = (long) heads * headDim;
        Scalar st = p.storage();
        Signature sig = new Signature("rope_h" + heads + "_d" + headDim + scaleTag(scale) + "_" + p.suffix(), THREADS);
        Var x = sig.input("x", st, "q or k " + Signature.shape("B", "L", width));
        Var y = sig.output("y", st, "rotated " + Signature.shape("B", "y_length", width) + " (rows [0, L) of each sequence written)");
        Var invFreq = sig.input("inv_freq", p.filter(), "inverse frequencies [" + half + "]");
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var yLength = sig.scalar("y_length", Scalar.INT64, "rows per sequence in y (L, or a KV cache's capacity)");
        Var first = sig.scalar("first_position", Scalar.INT64, "absolute position of row 0 (0 for a prompt)");

        Scope s = sig.k.body();
        Var e = Pointwise.globalIndex(s, THREADS, "e");
        s.when(e.ge(rows.mul(half)), Scope::exit);
        Var i = s.let("i", e.mod(half).cast(Scalar.INT));
        Var row = s.let("row", e.div(half));
        Var t = s.let("t", row.mod(length));
        Var src = s.let("src", row.mul(width));
        Var dst = s.let("dst", row.div(length).mul(yLength).add(t).mul(width));
        Expr position = first.add(t).cast(Scalar.DOUBLE);
        if (scale != 1) position = position.div(lit(scale));
        Var theta = s.let("theta", position.mul(invFreq.at(i).cast(Scalar.DOUBLE)));
        Var cs = s.let("cs", cos(theta));
        Var sn = s.let("sn", sin(theta));
        s.loop("head", lit(0), lit(heads), lit(1), (head, body) -> {
            Var at = body.let("at", head.mul(headDim).add(i));
            Var x0 = body.let("x0", load(x, src.add(at)).cast(Scalar.DOUBLE));
            Var x1 = body.let("x1", load(x, src.add(at).add(half)).cast(Scalar.DOUBLE));
            body.store(y, dst.add(at), x0.mul(cs).sub(x1.mul(sn)));
            body.store(y, dst.add(at).add(half), x0.mul(sn).add(x1.mul(cs)));
        });
        return sig.build("rope", Launch.linear(Extent.rows().times(half).ceilDiv(THREADS), THREADS),
                List.of("Rotary position encoding (rotate-half) of " + heads + " heads x " + headDim
                        + (scale != 1 ? ", positions divided by " + scale : "") + ";",
                        "theta = position * inv_freq[i] in fp64; one thread per (row, frequency), looping over heads."));
    }

    static int half(int headDim) {
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("rope needs an even head_dim, got " + headDim);
        return headDim / 2;
    }

    /** "_s32" for a position scale of 32, "" for none; other scales spelled with p for the point. */
    static String scaleTag(double scale) {
        if (scale == 1) return "";
        String s = scale == Math.rint(scale) ? Long.toString((long) scale) : Double.toString(scale).replace('.', 'p').replace('-', 'm').replace('E', 'e');
        return "_s" + s;
    }
}
