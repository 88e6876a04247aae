package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.sharedAddress;
import static hyenac.backends.codegen.kernels.FlashAttention.KEYS;
import static hyenac.backends.codegen.kernels.FlashAttention.QUERIES;
import static hyenac.backends.codegen.kernels.FlashAttention.THREADS;
import static hyenac.backends.codegen.kernels.FlashAttention.copyTile;
import static hyenac.backends.codegen.kernels.FlashAttention.regs;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Ptx;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link FlashAttention}'s causal attention on Hopper's warpgroup tensor cores ({@code wgmma}, sm_90a): the same
 * result, launch, tiles and online softmax, with each block's 4 warps issuing as one warpgroup. q·kᵀ of the
 * block's 64 queries by a 64-key tile is {@code d/16} wgmma m64n64k16 with q from registers (each warp's 16 rows, as
 * loaded once by ldmatrix) and K read by the tensor cores from shared memory; p·v is {@code 4·d/64} more, p from
 * registers (the score accumulators, rounded to bf16 pairs, are already the a fragments) and V N-major from shared memory.
 *
 * <p>Tiles are stored in the layout wgmma reads through a matrix descriptor with the 128-byte swizzle: a tile of 64
 * rows × d is d/64 column blocks of 64 rows × 128 bytes, 16-byte chunk c of a row at chunk c ^ (row % 8), each
 * block 1024-byte aligned. K is K-major for q·kᵀ (a key's d contiguous); V is N-major for p·v (a key's d contiguous
 * is a k row's N contiguous), one 64-column block per wgmma, so only the stride between 8-row atoms (1024 bytes) is used.
 * Copies are cp.async as before; a proxy fence makes them visible to the tensor cores' reads.
 *
 * <p>Each tile's softmax runs while the previous tile's p·v is on the tensor cores (FlashAttention-3's intra-warpgroup
 * overlap, §3.2), with V double-buffered: 48 KiB of shared memory at d = 128, 172 registers. On an H100 (bf16, 32
 * heads × 128, bench/results/cuda-h100-2026-12-07e) it ran at 461 and 454 TFLOP/s at L = 8192 and 16384 and matched
 * the reference at every shape checked, d = 64 and 128, partial last tiles, several sequences. A serial schedule (q·kᵀ,
 * wait, softmax, p·v, wait; one V tile) ran as fast (458 / 468) but got every multi-tile block wrong at d = 64 there,
 * which the emulator did not reproduce, for a cause not found; asking for three blocks per multiprocessor (168
 * registers, some spilled) made this one slower (434 / 429).
 *
 * <p>With 128-key tiles q·kᵀ is d/16 wgmma m64n128k16 and each tile's copies, waits and barriers cover twice the keys;
 * a tile is then d/64 column blocks of 128 rows, K and two V tiles 96 KiB at d = 128 (dynamic shared memory). The one
 * key tile holding a block's queries may start 64 keys before a warpgroup's first query and end past its last: it
 * is masked with a signed shift. ptxas 13.0 for sm_90a at d = 128, no spills: 231 registers with one warpgroup, 254 with two.
 */
public final class HopperAttention {
    private HopperAttention() {}

    /** Whether this kernel serves attention of head dim {@code headDim} stored as {@code p} (on a device of compute capability 9.0). */
    public static boolean supports(int headDim, Precision p) { return FlashAttention.supports(headDim, p); }

    /** The swizzle's row: 64 bf16. */
    private static final int ROW_BYTES = 128;

    /** The kernel a model's attention runs: {@link #warpgroups()} warpgroups per block, key tiles of {@link #keys()}. */
    public static GeneratedKernel generate(int heads, int headDim, Precision p) { return generate(heads, headDim, p, warpgroups(), keys()); }

    /** Warpgroups per block of a model's attention: 1, or what {@code -Dhyenac.attention.warpgroups} says (1 or 2). */
    public static int warpgroups() { return option("hyenac.attention.warpgroups", 1, 1, 2); }

    /** Keys per tile of a model's attention: 64, or what {@code -Dhyenac.attention.keys} says (64 or 128). */
    public static int keys() { return option("hyenac.attention.keys", KEYS, 64, 128); }

    /** A system property that must be one of two values, else a message naming it. */
    private static int option(String property, int fallback, int a, int b) {
        String given = System.getProperty(property);
        if (given == null) return fallback;
        if (!given.equals(String.valueOf(a)) && !given.equals(String.valueOf(b))) {
            throw new IllegalArgumentException("-D" + property + " is " + a + " or " + b + ", not `" + given + "`");
        }
        return Integer.parseInt(given);
    }

    /**
     * With {@code warpgroups} (1 or 2) warpgroups per block, each its own 64 queries: two share every K and V tile they
     * read, halving the tiles' traffic from L2 per query.
     */
    public static GeneratedKernel generate(int heads, int headDim, Precision p, int warpgroups) { return generate(heads, headDim, p, warpgroups, KEYS); }

    /**
     * With key tiles of {@code keys} (64 or 128) keys: 128 makes q·kᵀ wgmma m64n128k16 (half as many, twice as large) and
     * spreads each tile's copies and barriers over twice the keys, at twice the shared memory (96 KiB at d = 128, dynamic)
     * and the scores' registers.
     */
    public static GeneratedKernel generate(int heads, int headDim, Precision p, int warpgroups, int keys) {
        if (heads <= 0 || !supports(headDim, p)) {
            throw new IllegalArgumentException("Hopper attention takes bf16 and head dim 64 or 128, got " + heads + " x " + headDim + " " + p);
        }
        if (warpgroups != 1 && warpgroups != 2) throw new IllegalArgumentException("one or two warpgroups per block, not " + warpgroups);
        if (keys != 64 && keys != 128) throw new IllegalArgumentException("key tiles of 64 or 128 keys, not " + keys);
        final int d = headDim;
        final long width = (long) heads * d;
        final int threads = THREADS * warpgroups, queries = QUERIES * warpgroups;
        final int chunks = d / 8;                 // 16-byte chunks per row of a tile
        final int rowsPerPass = threads / chunks; // rows one pass of the block's copies covers
        final int dSteps = d / 16, keySteps = keys / 16;
        final float scaleLog2 = (float) (1.4426950408889634 / Math.sqrt(d));

        Signature sig = new Signature("hopper_attention_h" + heads + "_d" + d + (warpgroups == 1 ? "" : "_wg" + warpgroups)
                + (keys == KEYS ? "" : "_k" + keys) + "_bf16", threads);
        // the K tile (q's first), then two V tiles (3·keys/64 tiles of 64 rows); 1024-byte aligned, as the swizzle's atoms must be
        FlashAttention.Block b = FlashAttention.Block.open(sig, heads, d, 1024, 3 * keys / KEYS, queries);
        Var q = b.q(), k = b.k(), v = b.v(), out = b.out(), length = b.length(), kv = b.kv();
        Scope s = b.body();
        Var warp = b.warp(), lane = b.lane(), head = b.head(), seq = b.seq(), tile = b.tile(), q0 = b.q0(), tid = b.tid();
        final Layout tiles = new Layout(keys, d);
        final int vTile = tiles.tileBytes();
        // a warpgroup's 64 queries: rows 64g of the tile where a tile has a row for each of the block's queries, else tile g
        final int qBytes = keys >= queries ? QUERIES * ROW_BYTES : vTile;

        s.comment("Chunk c of tile row r is stored in column block c / 8, row r, chunk (c % 8) ^ (r % 8): the 128-byte swizzle.");
        Var ldRow = s.let("ld_row", tid.div(chunks));
        Var ldChunk = s.let("ld_chunk", tid.mod(chunks));
        Var ldSource = s.let("ld_source", seq.mul(width).add(head.mul(d).add(ldChunk.mul(8))));
        FlashAttention.Copier copier = new FlashAttention.Copier(ldRow, ldSource, length, rowsPerPass, width, rowsPerPass * ROW_BYTES);
        Var base = s.let("base", sharedAddress(kv, lit(0)));
        Var store = s.let("store", base.add(tiles.swizzled(ldRow, ldChunk)));

        s.blank();
        // the warp's warpgroup and its place there; the warpgroup's queries are its own 64-row tile
        Expr group = warpgroups == 1 ? lit(0) : s.let("group", warp.div(4));
        Expr warpInGroup = warpgroups == 1 ? warp : s.let("warp_in_group", warp.mod(4));
        s.comment("This block's queries through shared memory into registers (rows past the end read as zeros).");
        for (int g = 0; g < warpgroups; g++) copyTile(s, g == 0 ? "q" : "q" + g, copier, g == 0 ? store : store.add(g * qBytes), q, g == 0 ? q0 : q0.add(g * QUERIES));
        Ptx.cpAsyncWait(s, 0);
        s.barrier();
        Var qf = s.array("qf", Scalar.B32, 4 * dSteps);
        s.comment("The warp's 16 queries x 16 dims as an a fragment: lanes 0-7 address rows 0-7 of chunk 2ds, 8-15 rows 8-15, 16-31 the\n"
                + "same of chunk 2ds + 1.");
        Var readRow = s.let("read_row", warpInGroup.mul(16).add(lane.mod(8)).add(lane.div(8).mod(2).mul(8)));
        Expr qBase = warpgroups == 1 ? base : base.add(group.mul(qBytes));
        s.unrolled("ds", lit(0), lit(dSteps), (ds, body) ->
                Ptx.ldmatrixX4(body, regs(qf, ds.mul(4), 4), qBase.add(tiles.swizzled(readRow, ds.mul(2).add(lane.div(16)))), false));
        s.comment("Every warp has its queries before the first keys overwrite them.");
        s.barrier();
        copyTile(s, "k", copier, store, k, lit(0), keys);
        copyTile(s, "v0", copier, store.add(vTile), v, lit(0), keys);

        s.comment("Descriptors of the K tile (K-major) and the V tile (N-major): 8-row atoms 1024 bytes apart.");
        Var kDesc = s.var("k_desc", Scalar.INT64, Expr.lit64(0));
        Var vDesc = s.var("v_desc", Scalar.INT64, Expr.lit64(0));
        Ptx.descriptor128(s, kDesc, base, 16, 8 * ROW_BYTES); // K-major: the leading offset is unused (16 by convention)
        Ptx.descriptor128(s, vDesc, base.add(vTile), tiles.blockBytes(), 8 * ROW_BYTES);

        Var o = s.array("o", Scalar.FLOAT, 4 * (d / 8));
        s.unrolled("i", lit(0), lit(4 * (d / 8)), (i, body) -> body.set(o.at(i), lit(0.0f)));
        FlashAttention.Rows st = FlashAttention.Rows.declare(s);
        Var sc = s.array("sc", Scalar.FLOAT, 4 * (keys / 8));
        Var pf = s.array("pf", Scalar.B32, 4 * keySteps);
        Products products = new Products(sc, o, qf, pf, kDesc, tiles);
        Diagonal diagonal;
        Expr last;
        if (keys > QUERIES) {
            s.comment("Key tiles up to the one holding all the block's queries (and so the last key they see), masked there: it may start\n"
                    + "before the warpgroup's first query (a negative shift) and reach past its last, or past the sequence's end (zero rows).");
            last = s.let("last_tile", q0.div(keys));
            Expr firstQuery = warpgroups == 1 ? q0 : q0.add(group.mul(QUERIES));
            diagonal = new Diagonal(last, warpInGroup, true, s.let("key_shift", last.mul(keys).sub(firstQuery)));
        } else if (warpgroups == 1) {
            diagonal = new Diagonal(tile, warp, true, null);
            last = tile;
        } else {
            s.comment("Key tiles up to the block's last query (or the sequence's last key); the warpgroup's own diagonal tile, and any after it, masked.");
            last = s.let("last_tile", Expr.min(tile.mul(warpgroups).add(warpgroups - 1), b.length().sub(1).div(KEYS).cast(Scalar.INT)));
            diagonal = new Diagonal(s.let("diagonal", tile.mul(warpgroups).add(group)), warpInGroup, false, null);
        }
        overlappedTiles(s, products, copier, store, vDesc, k, v, last, diagonal, st, lane, scaleLog2);

        s.blank();
        FlashAttention.storeRows(s, st, o, q0, warp, lane, seq, head, length, out, width, d);
        List<String> about = new ArrayList<>(List.of(
                "Causal attention, " + heads + " heads x " + d + ", scale 1/sqrt(" + d + "), on q and k already rotated, on Hopper's warpgroup",
                "tensor cores (wgmma " + (keys == KEYS ? "m64n64k16" : "m64n" + keys + "k16 for q k^T, m64n64k16 for p v") + " bf16, fp32 accumulation, sm_90a); "
                        + queries + " queries per block (" + warpgroups + " warpgroup" + (warpgroups == 1 ? "" : "s") + " of 64), key tiles of " + keys + " through",
                "shared memory by cp.async in the 128-byte swizzle; online softmax in fp32 with exp2, each tile's overlapping the previous",
                "tile's p v (FlashAttention-3's intra-warpgroup pipelining); V double-buffered."));
        return sig.build("causal_attention", FlashAttention.launch(heads, queries, threads), about);
    }

    /**
     * Which key tiles a warp masks: from {@code index} (the key tile holding its queries' first) on, or only there where
     * {@code exact} (the tiles end at it); {@code warpInTile}, the warp's place among the 4 of its query tile;
     * {@code keyShift}, where exact, how far the tile at index starts after the warpgroup's first query (null: 0).
     */
    private record Diagonal(Expr index, Expr warpInTile, boolean exact, Expr keyShift) {
        Expr masked(Expr kt) { return exact ? kt.eq(index) : kt.ge(index); }

        /** How far key tile kt starts after the query tile: where masked, key j is in the future of query i when j + shift > i. */
        Expr shift(Expr kt) { return exact ? keyShift : kt.sub(index).mul(KEYS); }
    }

    /**
     * The swizzled layout of a tile of {@code keys} rows × d: d/64 column blocks of keys rows × 128 bytes, so that the
     * 8-row atoms of a column block are evenly spaced over all the tile's keys (one K-major wgmma reads N = keys of them).
     */
    private record Layout(int keys, int d) {
        int blockBytes() { return keys * ROW_BYTES; }

        int tileBytes() { return keys * d * 2; }

        /** The byte offset of 16-byte chunk {@code chunk} of tile row {@code row}. */
        Expr swizzled(Expr row, Expr chunk) {
            return chunk.div(8).mul(blockBytes()).add(row.mul(ROW_BYTES)).add(chunk.mod(8).xor(row.mod(8)).mul(16));
        }
    }

    /** The registers and the K descriptor both products use: scores, output, q and p fragments; the tiles' layout. */
    private record Products(Var sc, Var o, Var qf, Var pf, Var kDesc, Layout tiles) {
        int d() { return tiles.d(); }

        int keys() { return tiles.keys(); }

        List<Expr> scores() { return regs(sc, lit(0), 4 * (keys() / 8)); }

        List<Expr> output() { return regs(o, lit(0), 4 * (d() / 8)); }

        /** s = q k^T of the K tile: d/16 wgmma, uncommitted. */
        void issueScores(Scope s) {
            for (int ds = 0; ds < d() / 16; ds++) {
                int offset = ds / 4 * tiles.blockBytes() + ds % 4 * 32;
                Ptx.wgmmaBf16(s, keys(), scores(), regs(qf, lit(4 * ds), 4), kDesc.add(Expr.lit64(offset / 16)), false, lit(ds == 0 ? 0 : 1));
            }
        }

        /** p (the scores, exponentiated) rounded to bf16 pairs: the a fragments of p v. */
        void pack(Scope s) {
            for (int ks = 0; ks < keys() / 16; ks++) {
                for (int r = 0; r < 4; r++) Ptx.packBf16x2(s, pf.at(4 * ks + r), sc.at(8 * ks + 2 * r), sc.at(8 * ks + 2 * r + 1));
            }
        }

        /** o += p v of the V tile {@code vDesc} names: 4·d/64 wgmma, uncommitted. */
        void issueProduct(Scope s, Expr vDesc) {
            for (int ks = 0; ks < keys() / 16; ks++) {
                for (int cb = 0; cb < d() / 64; cb++) {
                    int offset = cb * tiles.blockBytes() + ks * 16 * ROW_BYTES;
                    Ptx.wgmmaBf16(s, 64, regs(o, lit(32 * cb), 32), regs(pf, lit(4 * ks), 4), vDesc.add(Expr.lit64(offset / 16)), true, lit(1));
                }
            }
        }
    }

    /**
     * FlashAttention-3's intra-warpgroup overlap: tile 0's scores and softmax first; then per tile j ≥ 1, q k_j^T and
     * o += p_{j-1} v_{j-1} issued as two groups, a wait for the first, the softmax of tile j while p v runs, a wait for
     * the second and o rescaled; last, p v of the last tile. One K tile, two V tiles (V_j in buffer j % 2).
     *
     * <p>Shared-memory hazards, each copy's 128 threads being the wgmma's: a tile is read by wgmma only after every thread's
     * cp.async.wait_group for it, a proxy fence and a barrier; it is overwritten only after every warp's wgmma.wait_group
     * for the products that read it and a barrier. K_{j+1} is copied after the barrier that follows every warp's wait for
     * q k_j^T; V_j (into the buffer V_{j-2} was in) after the barrier that opens tile j, which follows every warp's wait
     * for p_{j-2} v_{j-2} at the end of tile j − 1. The p fragments are rewritten only after p v's wait, and o is scaled
     * only after it.
     */
    private static void overlappedTiles(Scope s, Products x, FlashAttention.Copier copier, Var store, Var vDesc, Var k, Var v, Expr last,
            Diagonal diagonal, FlashAttention.Rows st, Var lane, float scaleLog2) {
        final int d = x.d(), keys = x.keys(), vTile = x.tiles().tileBytes();
        s.blank();
        s.comment("Tile 0: K has landed (V_0 may still be in flight) and is visible to the tensor cores.");
        Ptx.cpAsyncWait(s, 1);
        Ptx.fenceProxyAsync(s);
        s.barrier();
        Ptx.wgmmaFence(s);
        x.issueScores(s);
        Ptx.wgmmaCommit(s);
        Ptx.wgmmaWait(s, 0, x.scores());
        s.comment("Every warp is done with K_0: fetch K_1 during the softmax.");
        s.barrier();
        s.when(last.gt(0), next -> copyTile(next, "k1", copier, store, k, lit(keys), keys));
        FlashAttention.exponentiate(s, st, x.sc(), keys, diagonal.masked(lit(0)), diagonal.shift(lit(0)), diagonal.warpInTile(), lane, scaleLog2,
                "_first"); // o is still 0: nothing to rescale
        x.pack(s);

        s.blank();
        s.loop("kt", lit(1), last.add(1), lit(1), (kt, loop) -> {
            Var k0 = loop.let("k0", kt.mul(keys));
            loop.comment("K_j and V_{j-1} have landed and are visible to the tensor cores; every warp is done with p_{j-2} v_{j-2}, so\n"
                    + "V_j may take its buffer.");
            Ptx.cpAsyncWait(loop, 0);
            Ptx.fenceProxyAsync(loop);
            loop.barrier();
            Var vBuffer = loop.let("v_buffer", kt.mod(2).mul(vTile));
            copyTile(loop, "v", copier, store.add(vTile).add(vBuffer), v, k0, keys);

            loop.comment("s = q k_j^T, then o += p_{j-1} v_{j-1} (V_{j-1} in the other buffer), as two groups: wait for the first only.");
            Ptx.wgmmaFence(loop);
            x.issueScores(loop);
            Ptx.wgmmaCommit(loop);
            x.issueProduct(loop, vDesc.add(lit(vTile).sub(vBuffer).div(16).cast(Scalar.INT64)));
            Ptx.wgmmaCommit(loop);
            Ptx.wgmmaWait(loop, 1, x.scores());
            loop.comment("Every warp is done with K_j: fetch the next K during the softmax.");
            loop.barrier();
            loop.when(kt.lt(last), next -> copyTile(next, "next", copier, store, k, k0.add(keys), keys));

            FlashAttention.Rescale factors = FlashAttention.exponentiate(loop, st, x.sc(), keys, diagonal.masked(kt), diagonal.shift(kt), diagonal.warpInTile(),
                    lane, scaleLog2, "");
            loop.comment("p_{j-1} v_{j-1} is done: scale o to the new maxima, and the p fragments are free for p_j.");
            Ptx.wgmmaWait(loop, 0, x.output());
            FlashAttention.rescale(loop, x.o(), factors, d);
            x.pack(loop);
        });

        s.comment("The last tile's V has landed and is visible to the tensor cores: o += p v.");
        Ptx.cpAsyncWait(s, 0);
        Ptx.fenceProxyAsync(s);
        s.barrier();
        Ptx.wgmmaFence(s);
        x.issueProduct(s, vDesc.add(last.mod(2).mul(vTile / 16).cast(Scalar.INT64)));
        Ptx.wgmmaCommit(s);
        Ptx.wgmmaWait(s, 0, x.output());
    }
}
