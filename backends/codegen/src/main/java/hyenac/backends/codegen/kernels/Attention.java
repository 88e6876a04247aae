package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.fmax;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.negInfinity;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Stmt.AssignOp;
import hyenac.backends.codegen.Var;
import java.util.List;

/**
 * Causal multi-head attention, softmax(q·kᵀ/√d)·v over positions ≤ t, on q, k, v [B, L, H·d] (channel
 * h·d + e), with RoPE already applied to q and k ({@link Rope}). A straightforward tiled kernel, correctness
 * first: a block owns T queries of one head and walks the key tiles up to the diagonal, keeping for every
 * query the running maximum m, the running sum l and the unnormalised output O in shared memory
 * (online softmax: when a tile raises the maximum, earlier terms are rescaled by exp(m_old − m_new)).
 * Everything is fp32; the output is O / l.
 */
public final class Attention {
    private Attention() {}

    public static final int THREADS = 128;

    /**
     * Queries (and keys) per tile: as many as keep the four T×d tiles within 32 KiB, at least 4 and at most
     * 32. Query and key tiles have the same size, so every row of a tile on or below the diagonal has a key.
     */
    public static int tile(int headDim) {
        int t = Integer.highestOneBit(Math.max(1, 2048 / headDim));
        return Math.clamp(t, 4, 32);
    }

    public static GeneratedKernel generate(int heads, int headDim, Precision p) {
        if (heads <= 0 || headDim <= 0) throw new IllegalArgumentException("bad attention shape " + heads + " x " + headDim);
        int T = tile(headDim);
        long width = (long) heads * headDim;
        Scalar st = p.storage();
        String io = Signature.shape("B", "L", width);
        Signature sig = new Signature("causal_attention_h" + heads + "_d" + headDim + "_" + p.suffix(), THREADS);
        Var q = sig.input("q", st, "queries " + io + " (after RoPE)");
        Var k = sig.input("k", st, "keys " + io + " (after RoPE)");
        Var v = sig.input("v", st, "values " + io);
        Var out = sig.output("out", st, "result " + io);
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var qs = sig.k.shared("qs", Scalar.FLOAT, T * headDim);
        Var ks = sig.k.shared("ks", Scalar.FLOAT, T * headDim);
        Var vs = sig.k.shared("vs", Scalar.FLOAT, T * headDim);
        Var o = sig.k.shared("o", Scalar.FLOAT, T * headDim);
        Var pr = sig.k.shared("p", Scalar.FLOAT, T * T);
        Var rowMax = sig.k.shared("row_max", Scalar.FLOAT, T);
        Var rowSum = sig.k.shared("row_sum", Scalar.FLOAT, T);
        Var rowScale = sig.k.shared("row_scale", Scalar.FLOAT, T);
        float scale = (float) (1 / Math.sqrt(headDim));

        Scope s = sig.k.body();
        Var tid = s.let("tid", threadIdx(Axis.X));
        Var q0 = s.let("q0", blockIdx(Axis.X).cast(Scalar.INT64).mul(T));
        Var c0 = s.let("c0", blockIdx(Axis.Y).mul(headDim)); // first channel of this head
        Var row0 = s.let("row0", blockIdx(Axis.Z).cast(Scalar.INT64).mul(length));
        s.comment("Stage this block's queries (zeros past the end: computed, never stored) and clear O, m, l.");
        s.loop("e", tid, lit(T * headDim), lit(THREADS), (e, body) -> {
            Var t = body.let("t", q0.add(e.div(headDim)));
            body.set(qs.at(e), select(t.lt(length), load(q, row0.add(t).mul(width).add(c0).add(e.mod(headDim))), lit(0.0f)));
            body.set(o.at(e), lit(0.0f));
        });
        s.loop("i", tid, lit(T), lit(THREADS), (i, body) -> {
            body.set(rowMax.at(i), negInfinity());
            body.set(rowSum.at(i), lit(0.0f));
        });
        s.comment("Key tiles up to and including the diagonal one; later keys are in every query's future.");
        s.loop("k0", Scalar.INT64, lit(0), k0 -> k0.le(q0), AssignOp.ADD, lit(T), (k0, tileBody) -> {
            tileBody.comment("Wait until the previous tile is used up before overwriting it.");
            tileBody.barrier();
            tileBody.loop("e", tid, lit(T * headDim), lit(THREADS), (e, body) -> {
                Var t = body.let("t", k0.add(e.div(headDim)));
                Var at = body.let("at", row0.add(t).mul(width).add(c0).add(e.mod(headDim)));
                body.set(ks.at(e), select(t.lt(length), load(k, at), lit(0.0f)));
                body.set(vs.at(e), select(t.lt(length), load(v, at), lit(0.0f)));
            });
            tileBody.barrier();
            tileBody.comment("Scores q_i . k_j / sqrt(" + headDim + "); -inf where key j is in query i's future or past the end.");
            tileBody.loop("e", tid, lit(T * T), lit(THREADS), (e, body) -> {
                Var i = body.let("i", e.div(T));
                Var j = body.let("j", e.mod(T));
                Var score = body.var("score", Scalar.FLOAT, negInfinity());
                body.when(k0.add(j).le(q0.add(i)).and(k0.add(j).lt(length)), visible -> {
                    Var dot = visible.var("dot", Scalar.FLOAT, lit(0.0f));
                    visible.loop("d", lit(0), lit(headDim), lit(1), (d, inner) ->
                            inner.inc(dot, qs.at(i.mul(headDim).add(d)).mul(ks.at(j.mul(headDim).add(d)))));
                    visible.set(score, dot.mul(lit(scale)));
                });
                body.set(pr.at(e), score);
            });
            tileBody.barrier();
            tileBody.comment("Online softmax, one thread per query: new maximum, rescale factor, exponentiated scores, new sum.");
            tileBody.loop("i", tid, lit(T), lit(THREADS), (i, body) -> {
                Var mOld = body.let("m_old", rowMax.at(i));
                Var mNew = body.var("m_new", Scalar.FLOAT, mOld);
                body.loop("j", lit(0), lit(T), lit(1), (j, inner) -> inner.set(mNew, fmax(mNew, pr.at(i.mul(T).add(j)))));
                Var alpha = body.let("alpha", select(mNew.eq(negInfinity()), lit(1.0f), exp(mOld.sub(mNew))));
                Var sum = body.var("sum", Scalar.FLOAT, lit(0.0f));
                body.loop("j", lit(0), lit(T), lit(1), (j, inner) -> {
                    Var sc = inner.let("sc", pr.at(i.mul(T).add(j)));
                    Var e = inner.let("w", select(sc.eq(negInfinity()), lit(0.0f), exp(sc.sub(mNew))));
                    inner.set(pr.at(i.mul(T).add(j)), e);
                    inner.inc(sum, e);
                });
                body.set(rowSum.at(i), rowSum.at(i).mul(alpha).add(sum));
                body.set(rowMax.at(i), mNew);
                body.set(rowScale.at(i), alpha);
            });
            tileBody.barrier();
            tileBody.comment("O_i = O_i * alpha_i + sum_j p_ij v_j");
            tileBody.loop("e", tid, lit(T * headDim), lit(THREADS), (e, body) -> {
                Var i = body.let("i", e.div(headDim));
                Var d = body.let("d", e.mod(headDim));
                Var acc = body.var("acc", Scalar.FLOAT, o.at(e).mul(rowScale.at(i)));
                body.loop("j", lit(0), lit(T), lit(1), (j, inner) -> inner.inc(acc, pr.at(i.mul(T).add(j)).mul(vs.at(j.mul(headDim).add(d)))));
                body.set(o.at(e), acc);
            });
        });
        s.barrier();
        s.loop("e", tid, lit(T * headDim), lit(THREADS), (e, body) -> {
            Var t = body.let("t", q0.add(e.div(headDim)));
            body.when(t.lt(length), in -> in.store(out, row0.add(t).mul(width).add(c0).add(e.mod(headDim)), o.at(e).div(rowSum.at(e.div(headDim)))));
        });
        return sig.build("causal_attention", launch(heads, headDim),
                List.of("Causal attention, " + heads + " heads x " + headDim + ", scale 1/sqrt(" + headDim + "), on q and k already rotated;",
                        "tiles of " + T + " queries x " + T + " keys in shared memory, online softmax, fp32 throughout."));
    }

    static Launch launch(int heads, int headDim) {
        return new Launch(Extent.length().ceilDiv(tile(headDim)), Extent.of(heads), Extent.batch(), THREADS, 1, 1);
    }
}
