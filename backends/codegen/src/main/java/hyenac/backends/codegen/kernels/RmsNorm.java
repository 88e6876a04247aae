package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.sqrt;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.List;

/**
 * RMS normalisation, y = scale ⊙ x / (‖x‖₂·C^(−1/2) + eps), the eps added to the RMS (outside the root).
 * One block per row: each thread sums squares over a stride of the channels in fp32, then a tree in
 * shared memory adds the partial sums.
 */
public final class RmsNorm {
    private RmsNorm() {}

    public static final int MAX_THREADS = 256;

    /** Threads per row: a power of two, no more than the channels need, at least a warp. */
    public static int threads(long channels) {
        return Math.clamp(Long.highestOneBit(Math.max(1, channels - 1)) << 1, 32, MAX_THREADS);
    }

    public static GeneratedKernel generate(long channels, double eps, Precision p) {
        int threads = threads(channels);
        Scalar st = p.storage();
        String shape = Signature.shape("B", "L", channels);
        Signature sig = new Signature("rmsnorm_c" + channels + "_" + p.suffix(), threads);
        Var x = sig.input("x", st, "input " + shape);
        Var scale = sig.input("scale", st, "weight scale [" + channels + "]");
        Var y = sig.output("y", st, "result " + shape);
        Var partial = sig.k.shared("partial", Scalar.FLOAT, threads);

        Scope s = sig.k.body();
        Var tid = s.let("tid", threadIdx(Axis.X));
        Var base = s.let("base", blockIdx(Axis.X).cast(Scalar.INT64).mul(channels));
        Var sumSq = s.var("sum_sq", Scalar.FLOAT, lit(0.0f));
        s.loop("c", tid, lit(channels), lit(threads), (c, body) -> {
            Var v = body.let("v", load(x, base.add(c)));
            body.inc(sumSq, v.mul(v));
        });
        Expr rowSumSq = BlockReduce.tree(s, partial, tid, threads, sumSq, Expr::add, "the row's sum of squares");
        Var denom = s.let("denom", sqrt(rowSumSq.div(lit((float) channels))).add(lit((float) eps)));
        s.loop("c", tid, lit(channels), lit(threads), (c, body) ->
                body.store(y, base.add(c), load(scale, c).mul(load(x, base.add(c)).div(denom))));
        return sig.build("rmsnorm", new Launch(Extent.rows(), Extent.of(1), Extent.of(1), threads, 1, 1),
                List.of("RMS normalisation over " + channels + " channels: y = scale * x / (rms(x) + " + eps + "),",
                        "eps added to the RMS; one block per row, fp32 sums reduced in shared memory."));
    }
}
