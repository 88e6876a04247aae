package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.toStorage;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.List;

/** Embedding gather: y[row, c] = table[tokens[row], c], one thread per element. */
public final class Embedding {
    private Embedding() {}

    public static final int THREADS = 256;

    public static GeneratedKernel generate(long vocab, long channels, Precision p) {
        Scalar st = p.storage();
        Signature sig = new Signature("embedding_v" + vocab + "_c" + channels + "_" + p.suffix(), THREADS);
        Var tokens = sig.input("tokens", Scalar.INT64, "token ids [B, L]");
        Var table = sig.input("table", st, "weight [" + vocab + ", " + channels + "]");
        Var y = sig.output("y", st, "result " + Signature.shape("B", "L", channels));
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(rows.mul(channels)), Scope::exit);
        Var token = s.let("token", tokens.at(i.div(channels)));
        Var c = s.let("c", i.mod(channels).cast(Scalar.INT));
        s.comment("A token outside the vocabulary reads as zeros; the host checks tokens before launching.");
        s.set(y.at(i), select(token.ge(0).and(token.lt(vocab)), table.at(token.mul(channels).add(c)), toStorage(st, lit(0.0f))));
        return sig.build("embedding", Launch.linear(Extent.rows().times(channels).ceilDiv(THREADS), THREADS),
                List.of("Embedding gather from a [" + vocab + ", " + channels + "] table; one thread per element."));
    }
}
