package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.fmax;
import static hyenac.backends.codegen.Expr.gridDim;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.negInfinity;
import static hyenac.backends.codegen.Expr.offset;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.sharedAddress;
import static hyenac.backends.codegen.Expr.shuffleXor;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Ptx;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Stmt.AssignOp;
import hyenac.backends.codegen.Var;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Causal multi-head attention on the tensor cores, after FlashAttention-2 (Dao, 2023): the same result as
 * {@link Attention}, softmax(q·kᵀ/√d)·v over positions ≤ t on q, k, v [B, L, H·d] bf16 (channel h·d + e, RoPE
 * already applied), written to out [B, L, H·d] bf16; for bf16 storage and d = 64 or 128, in a dialect with
 * inline PTX (CUDA, sm_80 and later).
 *
 * <p>A block of 4 warps owns {@value #QUERIES} queries of one (sequence, head); each warp owns 16 of them and keeps
 * their q fragments, the running row maxima and sums and the fp32 output accumulator in registers. The block
 * walks the key tiles of {@value #KEYS} keys up to the diagonal: K and V tiles are copied to shared memory
 * asynchronously ({@code cp.async}; V's copy overlaps q·kᵀ and the softmax, the next K's overlaps p·v), read
 * as fragments with {@code ldmatrix} (rows swizzled so those reads hit 8 distinct banks), and multiplied with
 * {@code mma.sync.m16n8k16} (bf16 in, fp32 accumulate). Online softmax in fp32 with exp2 (the SFU's ex2): scores
 * stay unscaled and the scale 1/√d is folded with log2(e) into one factor; p is rounded to bf16 for p·v (the row
 * sums use the unrounded p). Only the diagonal tile is masked. Blocks run the longest query tiles (last in the
 * sequence) first, so the short ones fill in at the end.
 *
 * <p>FLOPs, for throughput: 4·B·H·L²·d / 2 (two products of 2·L²·d each, halved for causality; the softmax
 * is not counted).
 *
 * <p>Launch: grid (B·H, ⌈L/64⌉), 128 threads, static shared memory 2·64·d·2 bytes (32 KiB at d = 128): no
 * dynamic shared memory.
 */
public final class FlashAttention {
    private FlashAttention() {}

    public static final int WARPS = 4, THREADS = 32 * WARPS;
    /** Queries per block (16 per warp) and keys per tile; equal, so the diagonal tile is the last one. */
    public static final int QUERIES = 16 * WARPS, KEYS = 64;

    /** Whether this kernel serves attention of head dim {@code headDim} stored as {@code p}. */
    public static boolean supports(int headDim, Precision p) {
        return p == Precision.BF16 && (headDim == 64 || headDim == 128);
    }

    /**
     * Blocks per multiprocessor the register budget is set for; 0 leaves it to ptxas: about 175 registers, 2 blocks of
     * 4 warps per multiprocessor, no spills. 3 (at most 168 registers) measured about 4% faster on an H100 but spills
     * a few bytes, more for some head counts, so it is not the default.
     */
    public static final int MIN_BLOCKS = 0;

    public static GeneratedKernel generate(int heads, int headDim, Precision p) { return generate(heads, headDim, p, MIN_BLOCKS); }

    /** With the register budget set for {@code minBlocks} resident blocks per multiprocessor (0: the compiler's choice). */
    public static GeneratedKernel generate(int heads, int headDim, Precision p, int minBlocks) {
        if (heads <= 0 || !supports(headDim, p)) {
            throw new IllegalArgumentException("flash attention takes bf16 and head dim 64 or 128, got " + heads + " x " + headDim + " " + p);
        }
        final int d = headDim;
        final long width = (long) heads * d;
        final int chunks = d / 8;             // 16-byte chunks per row of a tile
        final int rowsPerPass = THREADS / chunks; // rows one pass of the block's copies covers
        final int dSteps = d / 16, keySteps = KEYS / 16;
        final double log2e = 1.4426950408889634;
        final float scaleLog2 = (float) (log2e / Math.sqrt(d));

        Signature sig = new Signature("flash_attention_h" + heads + "_d" + d + "_bf16", THREADS);
        if (minBlocks > 0) sig.k.minBlocksPerMultiprocessor(minBlocks);
        // the K tile, then the V tile; 128-byte aligned, so that the swizzle below can be applied to addresses with one xor
        Block b = Block.open(sig, heads, d, 128);
        Var q = b.q(), k = b.k(), v = b.v(), out = b.out(), length = b.length(), kv = b.kv();
        Scope s = b.body();
        Var tid = b.tid(), warp = b.warp(), lane = b.lane(), head = b.head(), seq = b.seq(), tile = b.tile(), q0 = b.q0();
        final int vTile = KEYS * d * 2; // bytes from the K tile to the V tile

        s.comment("Tile rows are " + d + " bf16 = " + chunks + " chunks of 16 bytes; chunk c of row r is stored at c ^ (r % 8),\n"
                + "so 8 rows of one chunk column (an ldmatrix) fall in 8 distinct banks.");
        Var ldRow = s.let("ld_row", tid.div(chunks));
        Var ldChunk = s.let("ld_chunk", tid.mod(chunks));
        Var ldColumn = s.let("ld_column", head.mul(d).add(ldChunk.mul(8)));
        Var ldSlot = s.let("ld_slot", ldRow.mul(d).add(ldChunk.xor(ldRow.mod(8)).mul(8)));
        Var ldSource = s.let("ld_source", seq.mul(width).add(ldColumn));
        Copier copier = new Copier(ldRow, ldSource, length, rowsPerPass, width, rowsPerPass * d * 2);
        Var store = s.let("store", sharedAddress(kv, ldSlot));
        s.comment("The row this lane addresses in an ldmatrix of 16 rows x 2 chunks: lanes 0-7 give rows 0-7 of chunk 0, lanes 8-15\n"
                + "rows 8-15 of chunk 0, lanes 16-31 the same of chunk 1. q, k and v are all read so, k and v from one address.");
        Var readRow = s.let("read_row", lane.mod(8).add(lane.div(8).mod(2).mul(8)));
        Var read = s.let("read", sharedAddress(kv, lit(0)).add(readRow.mul(2 * d)).add(lane.div(16).xor(lane.mod(8)).mul(16)));

        s.blank();
        s.comment("This block's queries through shared memory into registers (rows past the end read as zeros).");
        copyTile(s, "q", copier, store, q, q0);
        Ptx.cpAsyncWait(s, 0);
        s.barrier();
        Var qf = s.array("qf", Scalar.B32, 4 * dSteps);
        s.comment("The warp's 16 queries x 16 dims as an a fragment: rows 0-7 and 8-15 of dims 0-7, then of dims 8-15.");
        s.unrolled("ds", lit(0), lit(dSteps), (ds, body) ->
                Ptx.ldmatrixX4(body, regs(qf, ds.mul(4), 4), chunkAddress(read, ds).add(warp.mul(16 * 2 * d)), false));
        s.comment("Every warp has its queries before the first keys overwrite them.");
        s.barrier();
        copyTile(s, "k", copier, store, k, lit(0));

        Var o = s.array("o", Scalar.FLOAT, 4 * (d / 8));
        s.unrolled("i", lit(0), lit(4 * (d / 8)), (i, body) -> body.set(o.at(i), lit(0.0f)));
        s.comment("Rows lane / 4 and lane / 4 + 8 of the warp's 16: running maxima (of unscaled scores) and this lane's part of the sums.");
        Rows st = Rows.declare(s);
        Var sc = s.array("sc", Scalar.FLOAT, 4 * (KEYS / 8));
        Var kf = s.array("kf", Scalar.B32, 4);
        Var vf = s.array("vf", Scalar.B32, 4);
        Var pf = s.array("pf", Scalar.B32, 4);

        s.blank();
        s.loop("kt", lit(0), tile.add(1), lit(1), (kt, loop) -> {
            Var k0 = loop.let("k0", kt.mul(KEYS));
            loop.comment("K of this tile has landed, and every warp is done with the previous V.");
            Ptx.cpAsyncWait(loop, 0);
            loop.barrier();
            copyTile(loop, "v", copier, store.add(vTile), v, k0);

            loop.comment("Scores s = q k^T of 16 queries x " + KEYS + " keys. One ldmatrix of 16 keys x 16 dims gives the b fragments of\n"
                    + "two 8-key tiles: registers 0 and 2 for keys 0-7, 1 and 3 for keys 8-15.");
            loop.unrolled("i", lit(0), lit(4 * (KEYS / 8)), (i, body) -> body.set(sc.at(i), lit(0.0f)));
            loop.unrolled("ds", lit(0), lit(dSteps), (ds, outer) -> outer.unrolled("kp", lit(0), lit(keySteps), (kp, body) -> {
                Ptx.ldmatrixX4(body, regs(kf, lit(0), 4), chunkAddress(read, ds).add(kp.mul(16 * 2 * d)), false);
                Ptx.mmaBf16(body, regs(sc, kp.mul(8), 4), regs(qf, ds.mul(4), 4), List.of(kf.at(0), kf.at(2)));
                Ptx.mmaBf16(body, regs(sc, kp.mul(8).add(4), 4), regs(qf, ds.mul(4), 4), List.of(kf.at(1), kf.at(3)));
            }));
            softmax(loop, st, sc, o, kt.eq(tile), warp, lane, d, scaleLog2);

            loop.comment("V of this tile has landed, and every warp is done with K: fetch the next K during p v.");
            Ptx.cpAsyncWait(loop, 0);
            loop.barrier();
            loop.when(kt.lt(tile), next -> copyTile(next, "next", copier, store, k, k0.add(KEYS)));

            loop.comment("o += p v: the score accumulators of two 8-key tiles are, as bf16 pairs, the a fragment of 16 keys.");
            loop.unrolled("kstep", lit(0), lit(keySteps), (kstep, outer) -> {
                for (int r = 0; r < 4; r++) {
                    Expr lo = sc.at(kstep.mul(8).add(2 * r)), hi = sc.at(kstep.mul(8).add(2 * r + 1));
                    Ptx.packBf16x2(outer, pf.at(r), lo, hi);
                }
                outer.unrolled("dp", lit(0), lit(d / 16), (dp, body) -> {
                    Ptx.ldmatrixX4(body, regs(vf, lit(0), 4), chunkAddress(read, dp).add(vTile).add(kstep.mul(16 * 2 * d)), true);
                    Ptx.mmaBf16(body, regs(o, dp.mul(8), 4), regs(pf, lit(0), 4), regs(vf, lit(0), 2));
                    Ptx.mmaBf16(body, regs(o, dp.mul(8).add(4), 4), regs(pf, lit(0), 4), regs(vf, lit(2), 2));
                });
            });
        });

        s.blank();
        storeRows(s, st, o, q0, warp, lane, seq, head, length, out, width, d);
        return sig.build("causal_attention", launch(heads),
                List.of("Causal attention, " + heads + " heads x " + d + ", scale 1/sqrt(" + d + "), on q and k already rotated: FlashAttention-2",
                        "on the tensor cores (mma.sync m16n8k16 bf16, fp32 accumulation); " + QUERIES + " queries per block, 16 per warp,",
                        "key tiles of " + KEYS + " through shared memory by cp.async and ldmatrix; online softmax in fp32 with exp2."));
    }

    /**
     * What both attention kernels start with: their parameters (q, k, v, out [B, L, H·d] bf16 and L), the shared K and V
     * tiles ({@code kvAlign}-byte aligned), and each thread's place: its warp and lane, the block's head, the row of its
     * sequence's first position, and its query tile, the longest first.
     */
    record Block(Var q, Var k, Var v, Var out, Var length, Var kv, Scope body, Var tid, Var warp, Var lane, Var head, Var seq, Var tile, Var q0) {
        static Block open(Signature sig, int heads, int d, int kvAlign) { return open(sig, heads, d, kvAlign, 2, QUERIES); }

        /**
         * With {@code tiles} tiles of 64 rows x d in the shared array (a K tile and {@code tiles - 1} V tiles) and
         * {@code queries} queries per block (a multiple of 64).
         */
        static Block open(Signature sig, int heads, int d, int kvAlign, int tiles, int queries) {
            String io = Signature.shape("B", "L", (long) heads * d);
            Var q = sig.input("q", Scalar.BF16, "queries " + io + " (after RoPE)");
            Var k = sig.input("k", Scalar.BF16, "keys " + io + " (after RoPE)");
            Var v = sig.input("v", Scalar.BF16, "values " + io);
            Var out = sig.output("out", Scalar.BF16, "result " + io);
            Var length = sig.scalar("length", Scalar.INT64, "L");
            Var kv = sig.k.shared("kv", Scalar.BF16, tiles * KEYS * d, kvAlign);
            Scope s = sig.k.body();
            Var tid = s.let("tid", threadIdx(Axis.X));
            Var warp = s.let("warp", tid.div(32));
            Var lane = s.let("lane", tid.mod(32));
            Var head = s.let("head", blockIdx(Axis.X).mod(heads));
            Var seq = s.let("seq", blockIdx(Axis.X).div(heads).cast(Scalar.INT64).mul(length)); // row of (b, 0)
            s.comment("The last query tiles have the most keys: the first blocks take them.");
            Var tile = s.let("tile", gridDim(Axis.Y).sub(1).sub(blockIdx(Axis.Y)));
            Var q0 = s.let("q0", tile.mul(queries));
            s.blank();
            return new Block(q, k, v, out, length, kv, s, tid, warp, lane, head, seq, tile, q0);
        }
    }

    /** Running maxima (of unscaled scores) and this lane's part of the sums of rows lane / 4 and lane / 4 + 8 of the warp's 16. */
    record Rows(Var m0, Var m1, Var l0, Var l1) {
        static Rows declare(Scope s) {
            return new Rows(s.var("m0", Scalar.FLOAT, negInfinity()), s.var("m1", Scalar.FLOAT, negInfinity()), s.var("l0", Scalar.FLOAT, lit(0.0f)),
                    s.var("l1", Scalar.FLOAT, lit(0.0f)));
        }
    }

    /**
     * One key tile's online softmax over the scores {@code sc} of the warp's 16 queries x {@value #KEYS} keys (the
     * m16n8 accumulator layout, 8-key tile n in registers 4n…4n+3): masks the future on the diagonal tile, updates
     * the rows' maxima and sums, turns sc into p and rescales the output accumulator {@code o} (the same layout, d columns).
     */
    static void softmax(Scope loop, Rows st, Var sc, Var o, Expr diagonal, Var warp, Var lane, int d, float scaleLog2) {
        rescale(loop, o, exponentiate(loop, st, sc, diagonal, warp, lane, scaleLog2, ""), d);
    }

    /** The factors by which a tile's online softmax scales what the rows accumulated before it (rows lane / 4 and lane / 4 + 8). */
    record Rescale(Var alpha0, Var alpha1) {}

    /**
     * The part of {@link #softmax} that leaves the output accumulator alone: masks the diagonal tile, updates the rows'
     * maxima and sums, turns sc into p and returns the factors the output is still to be scaled by ({@link #rescale}).
     * {@code tag} ends the names of its locals, so that two of them can share a scope.
     */
    static Rescale exponentiate(Scope loop, Rows st, Var sc, Expr diagonal, Var warp, Var lane, float scaleLog2, String tag) {
        return exponentiate(loop, st, sc, KEYS, diagonal, null, warp, lane, scaleLog2, tag);
    }

    /**
     * As above over a tile of {@code keys} keys (a multiple of 8; sc holds keys / 2 scores) for a warp whose 64-query
     * tile need not start with the key tile: where {@code masked}, key j of the tile is in the future of query i (both
     * counted from their tile's start) when j + {@code keyShift} > i, keyShift being how far the key tile starts after
     * the query tile (null for 0: the diagonal; negative where the key tile starts first; 64 on the tile after it: all
     * masked); {@code warpInTile} is the warp's place among the 4 of its query tile.
     */
    static Rescale exponentiate(Scope loop, Rows st, Var sc, int keys, Expr masked, Expr keyShift, Expr warpInTile, Var lane, float scaleLog2,
            String tag) {
        Var m0 = st.m0(), m1 = st.m1(), l0 = st.l0(), l1 = st.l1();
        loop.comment(keyShift == null ? "On the diagonal tile, key j is in the future of query i when j > i."
                : "On the diagonal tile (and any after it), key j is in the future of query i when j + shift > i.");
        loop.when(masked, diag -> diag.unrolled("n", lit(0), lit(keys / 8), (n, mask) -> mask.unrolled("e", lit(0), lit(4), (e, body) -> {
            Expr inTile = n.mul(8).add(lane.mod(4).mul(2)).add(e.mod(2)), key = keyShift == null ? inTile : inTile.add(keyShift);
            Expr query = warpInTile.mul(16).add(lane.div(4)).add(e.div(2).mul(8));
            Expr at = n.mul(4).add(e);
            body.set(sc.at(at), select(key.gt(query), negInfinity(), sc.at(at)));
        })));

        loop.comment("Online softmax: new row maxima (over the 4 lanes sharing a row), rescale what came before, p = 2^(s*c - m*c).");
        Var t0 = loop.var("t0" + tag, Scalar.FLOAT, m0);
        Var t1 = loop.var("t1" + tag, Scalar.FLOAT, m1);
        loop.unrolled("n", lit(0), lit(keys / 8), (n, body) -> {
            body.set(t0, fmax(t0, fmax(sc.at(n.mul(4)), sc.at(n.mul(4).add(1)))));
            body.set(t1, fmax(t1, fmax(sc.at(n.mul(4).add(2)), sc.at(n.mul(4).add(3)))));
        });
        for (int mask : new int[] {1, 2}) {
            loop.set(t0, fmax(t0, shuffleXor(t0, mask)));
            loop.set(t1, fmax(t1, shuffleXor(t1, mask)));
        }
        loop.comment("A row that has seen only masked keys keeps m = -inf; shift it by 0 instead, so no inf - inf.");
        Var shift0 = loop.let("shift0" + tag, select(t0.eq(negInfinity()), lit(0.0f), t0.mul(lit(scaleLog2))));
        Var shift1 = loop.let("shift1" + tag, select(t1.eq(negInfinity()), lit(0.0f), t1.mul(lit(scaleLog2))));
        Var alpha0 = loop.var("alpha0" + tag, Scalar.FLOAT, lit(0.0f));
        Var alpha1 = loop.var("alpha1" + tag, Scalar.FLOAT, lit(0.0f));
        Ptx.exp2Approx(loop, alpha0, m0.mul(lit(scaleLog2)).sub(shift0));
        Ptx.exp2Approx(loop, alpha1, m1.mul(lit(scaleLog2)).sub(shift1));
        loop.set(m0, t0);
        loop.set(m1, t1);
        loop.set(l0, l0.mul(alpha0));
        loop.set(l1, l1.mul(alpha1));
        loop.unrolled("n", lit(0), lit(keys / 8), (n, body) -> {
            for (int e = 0; e < 4; e++) {
                Expr at = n.mul(4).add(e);
                Ptx.exp2Approx(body, sc.at(at), sc.at(at).mul(lit(scaleLog2)).sub(e < 2 ? shift0 : shift1));
                body.inc(e < 2 ? l0 : l1, sc.at(at));
            }
        });
        return new Rescale(alpha0, alpha1);
    }

    /** The output accumulator {@code o} (the m16n8 layout, d columns) scaled by a tile's factors. */
    static void rescale(Scope s, Var o, Rescale r, int d) {
        s.unrolled("n", lit(0), lit(d / 8), (n, body) -> {
            for (int e = 0; e < 4; e++) body.update(o.at(n.mul(4).add(e)), AssignOp.MUL, e < 2 ? r.alpha0() : r.alpha1());
        });
    }

    /** The end of a block: the rows' whole sums, then its queries' outputs. */
    static void storeRows(Scope s, Rows st, Var o, Var q0, Var warp, Var lane, Var seq, Var head, Var length, Var out, long width, int d) {
        Var l0 = st.l0(), l1 = st.l1();
        s.comment("Whole row sums (each lane holds a quarter of a row's columns), then out = o / l for the rows that exist.");
        for (int mask : new int[] {1, 2}) {
            s.inc(l0, shuffleXor(l0, mask));
            s.inc(l1, shuffleXor(l1, mask));
        }
        Var inv0 = s.let("inv0", lit(1.0f).div(l0));
        Var inv1 = s.let("inv1", lit(1.0f).div(l1));
        Var r0 = s.let("r0", q0.add(warp.mul(16)).add(lane.div(4)));
        Var column = s.let("column", head.mul(d).add(lane.mod(4).mul(2)));
        for (int half = 0; half < 2; half++) {
            final int h = half;
            Expr row = half == 0 ? r0 : r0.add(8);
            Var inv = half == 0 ? inv0 : inv1;
            s.when(row.lt(length), inside -> {
                Var at = inside.let("at" + h, seq.add(row).mul(width).add(column));
                inside.unrolled("n", lit(0), lit(d / 8), (n, body) -> {
                    body.store(out, at.add(n.mul(8)), o.at(n.mul(4).add(2 * h)).mul(inv));
                    body.store(out, at.add(n.mul(8)).add(1), o.at(n.mul(4).add(2 * h + 1)).mul(inv));
                });
            });
        }
    }

    /** Grid (B·H, ⌈L/64⌉): blockIdx.x picks the (sequence, head), blockIdx.y the query tile, counted from the end. */
    public static Launch launch(int heads) { return launch(heads, QUERIES, THREADS); }

    /** As above with {@code queries} per block of {@code threads}. */
    static Launch launch(int heads, int queries, int threads) {
        return new Launch(Extent.batch().times(heads), Extent.length().ceilDiv(queries), Extent.of(1), threads, 1, 1);
    }

    /** Static shared memory of a block: a K and a V tile of bf16. */
    public static int sharedBytes(int headDim) { return 2 * KEYS * headDim * 2; }

    /** Where this thread's 16-byte copies of a tile come from, and how far apart in shared memory its passes store. */
    record Copier(Var ldRow, Var source, Var length, int rowsPerPass, long width, int passBytes) {}

    /**
     * Starts the asynchronous copy of rows [t0, t0 + 64) of one head of {@code src} (t0 < L) into the tile at
     * {@code store} (this thread's slot) and commits it as one group. Only a tile at the end of the sequence
     * has rows past it: those are zero-filled, their (unread) address clamped to the last row.
     */
    static void copyTile(Scope s, String name, Copier c, Expr store, Var src, Expr t0) { copyTile(s, name, c, store, src, t0, KEYS); }

    /** As above for rows [t0, t0 + {@code rows}), a multiple of the copier's rows per pass. */
    static void copyTile(Scope s, String name, Copier c, Expr store, Var src, Expr t0, int rows) {
        int passes = rows / c.rowsPerPass();
        Var first = s.let(name + "_first", c.source().add(t0.cast(Scalar.INT64).add(c.ldRow()).mul(c.width())));
        s.when(t0.add(rows).le(c.length()), whole -> whole.unrolled("pass", lit(0), lit(passes), (pass, body) ->
                Ptx.cpAsync16(body, store.add(pass.mul(c.passBytes())),
                        offset(src, first.add(pass.mul(c.rowsPerPass()).cast(Scalar.INT64).mul(c.width()))))), end -> {
            Var last = end.let(name + "_last", c.length().sub(1).sub(t0).sub(c.ldRow())); // this thread's rows after it are missing
            end.unrolled("pass", lit(0), lit(passes), (pass, body) -> {
                Expr row = pass.mul(c.rowsPerPass());
                Ptx.cpAsync16(body, store.add(pass.mul(c.passBytes())),
                        offset(src, first.add(Expr.min(row.cast(Scalar.INT64), last).mul(c.width()))), select(row.le(last), lit(16), lit(0)));
            });
        });
        Ptx.cpAsyncCommit(s);
    }

    /**
     * The shared address of 16-byte chunk pair {@code pair} (elements 16·pair … 16·pair + 15) of this lane's
     * row: the pair's low bits (32·(pair % 4) bytes) enter the swizzle by xor, its high bits (128 bytes per 4)
     * add, since the tile is 128-byte aligned and the lane's swizzle is below 128.
     */
    private static Expr chunkAddress(Var rowAddress, Expr pair) {
        return rowAddress.xor(pair.mod(4).mul(32)).add(pair.div(4).mul(128));
    }

    /** {@code n} consecutive elements of a register array, from {@code first}. */
    static List<Expr> regs(Var array, Expr first, int n) {
        return IntStream.range(0, n).mapToObj(i -> array.at(first.add(i))).map(e -> (Expr) e).toList();
    }
}
