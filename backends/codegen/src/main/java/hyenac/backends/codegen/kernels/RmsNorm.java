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
import java.util.Optional;

/**
 * RMS normalisation, y = scale ⊙ x / (‖x‖₂·C^(−1/2) + eps), the eps added to the RMS (outside the root).
 * One block per row: each thread sums squares over its channels in fp32, then a tree in shared memory adds the partial
 * sums. Where the row splits into 16-byte vectors ({@link VectorAccess}) and fits in registers, a thread reads whole
 * vectors and keeps them for the write (the row read once); else it strides over single channels and reads them again.
 */
public final class RmsNorm {
    private RmsNorm() {}

    public static final int MAX_THREADS = 256;

    /** Threads per row: a power of two, no more than the channels need, at least a warp. */
    public static int threads(long channels) {
        return Math.clamp(Long.highestOneBit(Math.max(1, channels - 1)) << 1, 32, MAX_THREADS);
    }

    public static GeneratedKernel generate(long channels, double eps, Precision p) {
        Optional<Vectors> vectors = vectors(channels, p);
        int threads = threadsPerRow(channels, p);
        Scalar st = p.storage();
        String shape = Signature.shape("B", "L", channels);
        Signature sig = new Signature("rmsnorm_c" + channels + "_" + p.suffix(), threads);
        Var x = sig.input("x", st, "input " + shape);
        Var scale = sig.input("scale", st, "weight scale [" + channels + "]");
        Var y = sig.output("y", st, "result " + shape);
        Var partial = sig.k.shared("partial", Scalar.FLOAT, threads);
        Launch launch = new Launch(Extent.rows(), Extent.of(1), Extent.of(1), threads, 1, 1);
        String what = "RMS normalisation over " + channels + " channels: y = scale * x / (rms(x) + " + eps + "),";

        Scope s = sig.k.body();
        if (vectors.isPresent()) {
            int lanes = vectors.get().lanes();
            vectorRows(s, vectors.get(), channels, eps, scale, y, partial, (body, first, keep) -> {
                Var xv = VectorAccess.array(body, "xv", lanes);
                body.loadVector(x, first.index(), VectorAccess.elements(xv, lanes), true);
                body.unrolled("j", lit(0), lit(lanes), (j, b) -> keep.accept(b, j, xv.at(j)));
            });
            return sig.build("rmsnorm", launch, List.of(what, "eps added to the RMS; one block per row, " + lanes + " channels per 16-byte access, the row read"
                    + " once and kept in registers; fp32 sums reduced in shared memory."));
        }
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
        return sig.build("rmsnorm", launch, List.of(what, "eps added to the RMS; one block per row, fp32 sums reduced in shared memory."));
    }

    /** Vectors one thread keeps of a row at most; past them a row is normalised in the scalar form. */
    static final int MAX_VECTORS = 8;

    /**
     * The vector form of a row: {@code threads} threads (a power of two), thread t taking vectors t, t + threads, … of
     * {@code lanes} channels each, {@code perThread} of them at most.
     */
    record Vectors(int lanes, int threads, int perThread) {}

    /** The vector form for rows of {@code channels}, or none where they do not split into 16-byte vectors or would not fit in registers. */
    static Optional<Vectors> vectors(long channels, Precision p) {
        if (!VectorAccess.fits(channels, p)) return Optional.empty();
        int lanes = VectorAccess.lanes(p);
        long count = channels / lanes;
        int threads = threads(count);
        long perThread = Math.ceilDiv(count, threads);
        return perThread > MAX_VECTORS ? Optional.empty() : Optional.of(new Vectors(lanes, threads, (int) perThread));
    }

    /** Threads per row: the vector form's where the row takes it, else {@link #threads(long)}. */
    public static int threadsPerRow(long channels, Precision p) {
        return vectors(channels, p).map(Vectors::threads).orElseGet(() -> threads(channels));
    }

    /**
     * What a vector-form kernel computes at one vector of its row: given the vector's first element (its index in
     * [B, L, C], its row and channel), it emits the vector's loads and an unrolled loop over the lanes, handing
     * {@code keep} the value to normalise at each lane.
     */
    interface Prologue {
        void emit(Scope s, ElementProgram.At first, Keep keep);
    }

    /** Keeps the value of a lane. */
    interface Keep {
        void accept(Scope s, Var lane, Expr value);
    }

    /**
     * The vector form's body, one block per row: each thread runs {@code prologue} at its vectors, keeping their values
     * in registers and summing their squares in fp32; a tree in shared memory adds the partial sums; then each thread
     * writes scale * value / (rms + eps) for the values it kept, with no second read of the row.
     */
    static void vectorRows(Scope s, Vectors v, long channels, double eps, Var scale, Var y, Var partial, Prologue prologue) {
        int lanes = v.lanes();
        Var tid = s.let("tid", threadIdx(Axis.X));
        Var row = s.let("row", blockIdx(Axis.X).cast(Scalar.INT64));
        Var base = s.let("base", row.mul(channels));
        Var kept = VectorAccess.array(s, "kept", v.perThread() * lanes);
        Var sumSq = s.var("sum_sq", Scalar.FLOAT, lit(0.0f));
        s.comment("Thread tid takes vectors tid, tid + " + v.threads() + ", ... of " + lanes + " channels; kept[] holds their values.");
        eachVector(s, v, channels, tid, (body, k, c) -> {
            Var i = body.let("i", base.add(c));
            prologue.emit(body, new ElementProgram.At(i, row, c), (b, j, value) -> {
                b.set(kept.at(k.mul(lanes).add(j)), value);
                b.inc(sumSq, value.mul(value));
            });
        });
        Expr rowSumSq = BlockReduce.tree(s, partial, tid, v.threads(), sumSq, Expr::add, "the row's sum of squares");
        Var denom = s.let("denom", sqrt(rowSumSq.div(lit((float) channels))).add(lit((float) eps)));
        eachVector(s, v, channels, tid, (body, k, c) -> {
            Var sv = VectorAccess.array(body, "sv", lanes);
            body.loadVector(scale, c, VectorAccess.elements(sv, lanes), false);
            Var out = VectorAccess.array(body, "out", lanes);
            body.unrolled("j", lit(0), lit(lanes), (j, b) -> b.set(out.at(j), sv.at(j).mul(kept.at(k.mul(lanes).add(j)).div(denom))));
            body.storeVector(y, base.add(c), VectorAccess.elements(out, lanes));
        });
    }

    private interface AtVector {
        void emit(Scope s, Var k, Var channel);
    }

    /** An unrolled loop over a thread's vectors: the k-th at channel (tid + k * threads) * lanes, skipped past the row's end. */
    private static void eachVector(Scope s, Vectors v, long channels, Var tid, AtVector body) {
        boolean ragged = channels / v.lanes() % v.threads() != 0;
        s.unrolled("k", lit(0), lit(v.perThread()), (k, b) -> {
            Var c = b.let("c", tid.add(k.mul(v.threads())).mul(v.lanes()));
            if (ragged) b.when(c.lt(lit(channels)), in -> body.emit(in, k, c));
            else body.emit(b, k, c);
        });
    }
}
