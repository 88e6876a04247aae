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
 * <p>On an H100 it matched the reference at d = 128 and ran at 451-470 TFLOP/s (mma.sync: 285-295), but not at d = 64
 * with two sequences of 300 and 4 heads, which the emulator runs correctly: until that is understood the lowering
 * offers it only on request ({@code -Dhyenac.attention.wgmma=true}).
 */
public final class HopperAttention {
    private HopperAttention() {}

    /** Whether this kernel serves attention of head dim {@code headDim} stored as {@code p} (on a device of compute capability 9.0). */
    public static boolean supports(int headDim, Precision p) { return FlashAttention.supports(headDim, p); }

    /** The swizzle's row: 64 bf16. */
    private static final int ROW_BYTES = 128;
    /** One 64-row column block of a tile. */
    private static final int BLOCK_BYTES = KEYS * ROW_BYTES;

    public static GeneratedKernel generate(int heads, int headDim, Precision p) {
        if (heads <= 0 || !supports(headDim, p)) {
            throw new IllegalArgumentException("Hopper attention takes bf16 and head dim 64 or 128, got " + heads + " x " + headDim + " " + p);
        }
        final int d = headDim;
        final long width = (long) heads * d;
        final int chunks = d / 8;                 // 16-byte chunks per row of a tile
        final int rowsPerPass = THREADS / chunks; // rows one pass of the block's copies covers
        final int dSteps = d / 16, keySteps = KEYS / 16, columnBlocks = d / 64;
        final float scaleLog2 = (float) (1.4426950408889634 / Math.sqrt(d));

        Signature sig = new Signature("hopper_attention_h" + heads + "_d" + d + "_bf16", THREADS);
        // the K tile (q's first), then the V tile; 1024-byte aligned, as the swizzle's atoms must be
        FlashAttention.Block b = FlashAttention.Block.open(sig, heads, d, 1024);
        Var q = b.q(), k = b.k(), v = b.v(), out = b.out(), length = b.length(), kv = b.kv();
        Scope s = b.body();
        Var warp = b.warp(), lane = b.lane(), head = b.head(), seq = b.seq(), tile = b.tile(), q0 = b.q0(), tid = b.tid();
        final int vTile = KEYS * d * 2;

        s.comment("Chunk c of tile row r is stored in column block c / 8, row r, chunk (c % 8) ^ (r % 8): the 128-byte swizzle.");
        Var ldRow = s.let("ld_row", tid.div(chunks));
        Var ldChunk = s.let("ld_chunk", tid.mod(chunks));
        Var ldSource = s.let("ld_source", seq.mul(width).add(head.mul(d).add(ldChunk.mul(8))));
        FlashAttention.Copier copier = new FlashAttention.Copier(ldRow, ldSource, length, rowsPerPass, width, rowsPerPass * ROW_BYTES);
        Var base = s.let("base", sharedAddress(kv, lit(0)));
        Var store = s.let("store", base.add(swizzled(ldRow, ldChunk)));

        s.blank();
        s.comment("This block's queries through shared memory into registers (rows past the end read as zeros).");
        copyTile(s, "q", copier, store, q, q0);
        Ptx.cpAsyncWait(s, 0);
        s.barrier();
        Var qf = s.array("qf", Scalar.B32, 4 * dSteps);
        s.comment("The warp's 16 queries x 16 dims as an a fragment: lanes 0-7 address rows 0-7 of chunk 2ds, 8-15 rows 8-15, 16-31 the\n"
                + "same of chunk 2ds + 1.");
        Var readRow = s.let("read_row", warp.mul(16).add(lane.mod(8)).add(lane.div(8).mod(2).mul(8)));
        s.unrolled("ds", lit(0), lit(dSteps), (ds, body) ->
                Ptx.ldmatrixX4(body, regs(qf, ds.mul(4), 4), base.add(swizzled(readRow, ds.mul(2).add(lane.div(16)))), false));
        s.comment("Every warp has its queries before the first keys overwrite them.");
        s.barrier();
        copyTile(s, "k", copier, store, k, lit(0));

        s.comment("Descriptors of the K tile (K-major) and the V tile (N-major): 8-row atoms 1024 bytes apart.");
        Var kDesc = s.var("k_desc", Scalar.INT64, Expr.lit64(0));
        Var vDesc = s.var("v_desc", Scalar.INT64, Expr.lit64(0));
        Ptx.descriptor128(s, kDesc, base, 16, 8 * ROW_BYTES); // K-major: the leading offset is unused (16 by convention)
        Ptx.descriptor128(s, vDesc, base.add(vTile), BLOCK_BYTES, 8 * ROW_BYTES);

        Var o = s.array("o", Scalar.FLOAT, 4 * (d / 8));
        s.unrolled("i", lit(0), lit(4 * (d / 8)), (i, body) -> body.set(o.at(i), lit(0.0f)));
        FlashAttention.Rows st = FlashAttention.Rows.declare(s);
        Var sc = s.array("sc", Scalar.FLOAT, 4 * (KEYS / 8));
        Var pf = s.array("pf", Scalar.B32, 4 * keySteps);
        List<Expr> scores = regs(sc, lit(0), 4 * (KEYS / 8)), output = regs(o, lit(0), 4 * (d / 8));

        s.blank();
        s.loop("kt", lit(0), tile.add(1), lit(1), (kt, loop) -> {
            Var k0 = loop.let("k0", kt.mul(KEYS));
            loop.comment("K of this tile has landed and is visible to the tensor cores, and every warp is done with the previous V.");
            Ptx.cpAsyncWait(loop, 0);
            Ptx.fenceProxyAsync(loop);
            loop.barrier();
            copyTile(loop, "v", copier, store.add(vTile), v, k0);

            loop.comment("Scores s = q k^T of 64 queries x " + KEYS + " keys: 16 dims a step; a K-major step is 32 bytes into a 128-byte row,\n"
                    + "the fifth starts the next column block.");
            Ptx.wgmmaFence(loop);
            for (int ds = 0; ds < dSteps; ds++) {
                int offset = ds / 4 * BLOCK_BYTES + ds % 4 * 32;
                Ptx.wgmmaBf16(loop, KEYS, scores, regs(qf, lit(4 * ds), 4), kDesc.add(Expr.lit64(offset / 16)), false, lit(ds == 0 ? 0 : 1));
            }
            Ptx.wgmmaCommit(loop);
            Ptx.wgmmaWait(loop, 0, scores);
            FlashAttention.softmax(loop, st, sc, o, kt.eq(tile), warp, lane, d, scaleLog2);

            loop.comment("V of this tile has landed, and every warp is done with K: fetch the next K during p v.");
            Ptx.cpAsyncWait(loop, 0);
            Ptx.fenceProxyAsync(loop);
            loop.barrier();
            loop.when(kt.lt(tile), next -> copyTile(next, "next", copier, store, k, k0.add(KEYS)));

            loop.comment("o += p v: the score accumulators of two 8-key tiles are, as bf16 pairs, the a fragment of 16 keys; a step of\n"
                    + "16 keys is 2048 bytes into V, a column block of 64 dims " + BLOCK_BYTES + ".");
            for (int ks = 0; ks < keySteps; ks++) {
                for (int r = 0; r < 4; r++) Ptx.packBf16x2(loop, pf.at(4 * ks + r), sc.at(8 * ks + 2 * r), sc.at(8 * ks + 2 * r + 1));
            }
            Ptx.wgmmaFence(loop);
            for (int ks = 0; ks < keySteps; ks++) {
                for (int cb = 0; cb < columnBlocks; cb++) {
                    int offset = cb * BLOCK_BYTES + ks * 16 * ROW_BYTES;
                    Ptx.wgmmaBf16(loop, 64, regs(o, lit(32 * cb), 32), regs(pf, lit(4 * ks), 4), vDesc.add(Expr.lit64(offset / 16)), true, lit(1));
                }
            }
            Ptx.wgmmaCommit(loop);
            Ptx.wgmmaWait(loop, 0, output);
        });

        s.blank();
        FlashAttention.storeRows(s, st, o, q0, warp, lane, seq, head, length, out, width, d);
        return sig.build("causal_attention", FlashAttention.launch(heads),
                List.of("Causal attention, " + heads + " heads x " + d + ", scale 1/sqrt(" + d + "), on q and k already rotated: FlashAttention-2's",
                        "schedule on Hopper's warpgroup tensor cores (wgmma m64n64k16 bf16, fp32 accumulation, sm_90a); " + QUERIES
                                + " queries per block,", "key tiles of " + KEYS + " through shared memory by cp.async in the 128-byte swizzle; online softmax in fp32 with exp2."));
    }

    /** The byte offset of 16-byte chunk {@code chunk} of tile row {@code row} in the swizzled layout. */
    private static Expr swizzled(Expr row, Expr chunk) {
        return chunk.div(8).mul(BLOCK_BYTES).add(row.mul(ROW_BYTES)).add(chunk.mod(8).xor(row.mod(8)).mul(16));
    }
}
