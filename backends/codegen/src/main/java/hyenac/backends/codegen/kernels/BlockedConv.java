package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.lit64;
import static hyenac.backends.codegen.Expr.offset;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.sharedAddress;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Dialect;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Ptx;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.backends.codegen.kernels.CausalConv.Filter;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The two-stage blocked causal convolution on the tensor cores (StripedHyena 2, Ku et al. 2025, Algorithm 1), for
 * grouped explicit filters of at most {@value #CHUNK} taps in bf16: the same result as {@link CausalConv#direct}
 * and {@link CausalConv#hyenaCore}, y[t, c] = Σ_{j<K} h_g[j]·s[t−j, c] (+ skip[c]·s[t, c]), gated by q in the core.
 *
 * <p>The algorithm: with time cut in chunks of ℓb = {@value #CHUNK}, Y_n = H0·S_n + H1·S_{n−1}, H0[i, j] = h[i − j]
 * (lower triangular) and H1[i, j] = h[ℓb + i − j], both Toeplitz and shared by the channels of a group. Cut into
 * 16 × 16 tiles, every tile of [H1 H0] is one of the tiles T_d[i, j] = h[16d + i − j], d = 0 … D with
 * D = ⌊(K + 14) / 16⌋ (8 for K = 128; the rest are zero): the 16 outputs of a strip read the strip's own 16 inputs
 * through T_0 and the d-th 16 before through T_d. So the kernel walks time in strips of 16, keeps the last D + 1
 * strips of s on chip, and computes each strip as D + 1 products T_d·S (mma.sync m16n8k16, bf16 in, fp32
 * accumulate), skipping H0's and H1's zero tiles; the chunk boundary never shows.
 *
 * <p>T_d is never stored: a lane's a-fragment registers hold pairs (h[e + g − 2t], h[e + g − 2t − 1]) for g = lane / 4,
 * t = lane % 4 and e = 16d − 8, 16d, 16d + 8 (the PTX ISA's layout, rows g and g + 8, columns 2t and 2t + 8), so
 * 2D + 3 registers, built once from the taps, hold every fragment of every tile.
 *
 * <p>A block of {@value #WARPS} warps owns {@value #CHANNELS} channels (each warp 16 of them, one filter group, so
 * groups of a multiple of 16 channels) over a segment of time ({@link Walk}), walked strip by strip: each strip's interleaved
 * q, k, v (or x) rows are copied to shared memory by {@code cp.async}, 16 bytes a copy, {@value #STAGES} strips
 * ahead; the threads form s = k ⊙ v (bf16, the reference's rounding) into a ring of D + 1 strips, which the warps
 * read as b fragments with {@code ldmatrix.trans} (rows swizzled so those reads hit distinct banks), keeping the
 * gate act(q) and skip·s in registers meanwhile; the accumulators go through shared memory so that each thread
 * finishes 8 channels of one row with one 16-byte store. A segment starts by rebuilding its first D strips of history
 * (the halo: the K − 1 steps before it, rounded up to strips), the only input read twice.
 *
 * <p>As a core it may also compute the featurizer (a depthwise FIR of at most 17 taps over the 3C channels) from the
 * input projection's output u, so z is never stored: the strips staged are u's, laid out as z's, and each thread forms z
 * of its row's 24 columns from that row and the rows before it (the first rows of a strip read the last rows of the
 * strip before, which that strip left in a small two-slot tail), summing as the featurizer's own direct kernel sums and
 * rounding to bf16 as the unfused plan stores z, so the result is the unfused plan's bit for bit. The walk starts a strip
 * earlier for that tail; the featurizer's taps (fp32) sit in shared memory, and the accumulators are staged in the
 * strip's own input slot, free by then, so the kernel stays within the plain core's 47 KiB.
 *
 * <p>Launch: grid (⌈C / {@value #CHANNELS}⌉, ⌈L / segment⌉ or a fixed count as the {@link Walk} says, B),
 * {@value #THREADS} threads, static shared memory only (at most 47 KiB at K = 128: four blocks fit on an H100
 * multiprocessor, at 112 registers a thread).
 */
public final class BlockedConv {
    private BlockedConv() {}

    /** ℓb: the chunk of the two-stage form, and the longest filter it takes (a tap of index ℓb or more would reach past S_{n−1}). */
    public static final int CHUNK = 128;
    public static final int WARPS = 4, THREADS = 32 * WARPS;
    /** Channels a block owns: 16 per warp, two n8 tiles of an mma. */
    public static final int CHANNELS = 16 * WARPS;
    /** Strips of input in flight (copied ahead of the strip being computed). */
    public static final int STAGES = 4;
    /**
     * Time steps a block walks by default: 4 blocks per 64 channels at L = 8192, the halo 1/16 of a segment at K = 128
     * (on an H100, 2048 beat 512 and 1024 at L = 8192 and 65536, and spreading L over a fixed count of blocks won nothing).
     */
    public static final int SEGMENT = 2048;

    /** How time is cut among blocks: segments of {@code steps} steps, ⌈L / steps⌉ blocks per 64 channels (as many as L asks). */
    public record Walk(int steps) {
        public Walk {
            if (steps <= 0 || steps % STRIP != 0) throw new IllegalArgumentException("a segment is a positive multiple of " + STRIP + " steps, got " + steps);
        }

        public static Walk segments(int steps) { return new Walk(steps); }

        String tag() { return steps != SEGMENT ? "_seg" + steps : ""; }

        public String describe() { return steps + " steps per block"; }
    }

    /** The default walk: segments of {@value #SEGMENT} steps. */
    public static final Walk WALK = Walk.segments(SEGMENT);
    /** Strip rows, the mma's m and k. */
    static final int STRIP = 16;
    /** Accumulator staging row in floats: 8 more than the block's channels, so a warp's pairs of floats land in distinct banks. */
    static final int STAGE_ROW = CHANNELS + 8;

    /**
     * Whether this kernel computes {@code f} in {@code p} on {@code dialect}: bf16 (its products round s and h to bf16,
     * too coarse for the fp32 tests' 2e-4), inline PTX, at most {@value #CHUNK} taps, filter groups of a multiple of 16
     * channels (a warp's channels share one filter).
     */
    public static boolean supports(Filter f, Precision p, Dialect dialect) {
        return p == Precision.BF16 && dialect.inlinePtx() && f.len() <= CHUNK && f.groupSize() % 16 == 0;
    }

    /** D + 1: the Toeplitz tiles T_0 … T_D a filter of {@code taps} taps has, and the strips of history a strip reads. */
    public static int tiles(int taps) { return (taps + 14) / STRIP + 1; }

    /** The plain convolution y = h ∗ x (+ skip ⊙ x) of x [B, L, C], walked in the default segments. */
    public static GeneratedKernel conv(Filter f, Precision p) { return generate(f, p, false, Primitive.IDENTITY, WALK); }

    /** The Hyena core y = act(q) ⊙ (h ∗ s + skip ⊙ s), s = k ⊙ v, from z [B, L, 3C] (q, k, v interleaved), walked in the default segments. */
    public static GeneratedKernel core(Filter f, Primitive gate, Precision p) { return generate(f, p, true, gate, WALK); }

    /**
     * The Hyena core from the input projection u [B, L, 3C] (q, k, v interleaved before the featurizer): z =
     * featurizer(u) computed as each strip is formed ({@link #supportsFeaturizer}), so z is never stored; walked in the
     * default segments.
     */
    public static GeneratedKernel core(Filter f, Filter featurizer, Primitive gate, Precision p) {
        return featurizer == null ? core(f, gate, p) : generate(f, featurizer, p, gate, WALK);
    }

    /**
     * The kernel with time cut among blocks as {@code walk} says: shorter segments make more blocks and read more halo.
     * For tests (small segments cross block boundaries at small L) and tuning.
     */
    public static GeneratedKernel generate(Filter f, Precision p, boolean core, Primitive gate, Walk walk) {
        check(f, p, gate);
        return new Writer(f, null, core, gate, walk).write();
    }

    private static void check(Filter f, Precision p, Primitive gate) {
        if (p != Precision.BF16 || f.len() > CHUNK || f.groupSize() % 16 != 0) {
            throw new IllegalArgumentException("the blocked convolution takes bf16 and at most " + CHUNK + " taps in groups of a multiple of 16 channels, got "
                    + f.describe() + " in " + p);
        }
        if (!gate.activation()) throw new IllegalArgumentException("unknown gate activation " + gate);
    }

    /** The core computing {@code featurizer} on its loads ({@link #core(Filter, Filter, Primitive, Precision)}), walked as {@code walk} says. */
    public static GeneratedKernel generate(Filter f, Filter featurizer, Precision p, Primitive gate, Walk walk) {
        if (!supportsFeaturizer(f, featurizer)) {
            throw new IllegalArgumentException("the blocked core computes a featurizer of 3 x " + f.channels() + " channels reaching at most " + STRIP
                    + " steps back within " + MAX_STATIC_SHARED + " bytes of shared memory, not " + featurizer.describe());
        }
        check(f, p, gate);
        return new Writer(f, featurizer, true, gate, walk).write();
    }

    /**
     * Whether the core computes {@code featurizer} as it forms each strip: the featurizer of its 3C channels, its history
     * (len − 1 steps) within the strip before, and its taps, skip and that history fitting beside the rest in the 48 KiB of
     * static shared memory (with the accumulators staged in the strip's own input slot, which it no longer needs by then).
     */
    public static boolean supportsFeaturizer(Filter f, Filter featurizer) {
        return featurizer.channels() == 3 * f.channels() && featurizer.len() - 1 <= STRIP && sharedBytes(f, featurizer) <= MAX_STATIC_SHARED;
    }

    /** Static shared memory a block may have (CUDA's limit without opting in to more). */
    static final int MAX_STATIC_SHARED = 48 * 1024;

    /** One kernel being written: its sizes and the variables its parts share. */
    private static final class Writer {
        final Filter f;
        /** The featurizer the core computes on its loads of u, or null (the kernel reads z, or x). */
        final Filter featurizer;
        /** The featurizer's history: steps back it reads, the rows of the strip before that each strip keeps for the next. */
        final int tailRows;
        final boolean core;
        final Primitive gate;
        final Walk walk;
        final long channels;
        /** D: the highest tile, and the halo in strips. */
        final int top;
        /** Strips of s kept: T_0 … T_D read the strip and D before it. */
        final int ring;
        /** Elements of one staged input row: q, k, v of the block's channels interleaved, or x of them. */
        final int rawRow;
        final int copiesPerRow, copiesPerThread;
        final int rawSlotBytes, ringSlotBytes, tailSlotBytes;
        /** The first strip walked: the halo's first, or one before it whose last rows the featurizer reads. */
        final int first;

        Signature sig;
        Var in, h, skip, y, length;
        Var raw, sRing, stage;
        CausalConv.Featurizer feature;
        /** In shared memory: the featurizer's taps [steps back][the block's 3 x 64 columns] and skip (fp32), the tail rows of u (two slots). */
        Var featureTaps, featureSkip, tail;
        Var tid, warp, lane, c0, seg0, seq, slabs;
        /** The row and 8-channel column this thread forms s for and finishes: (tid / 8, tid % 8). */
        Var myRow, myColumn;
        /** This lane's row address in slot 0 of the ring, for ldmatrix. */
        Var ldFrom;
        final List<Var> copyRow = new ArrayList<>(), copyColumn = new ArrayList<>(), copySlot = new ArrayList<>(), copyInside = new ArrayList<>();
        Var toeplitz, gateQ, bias, skipW, active;
        /** s of the 8 channels this thread forms, in the strip being walked. */
        Var sValue;

        Writer(Filter f, Filter featurizer, boolean core, Primitive gate, Walk walk) {
            this.f = f;
            this.featurizer = featurizer;
            this.tailRows = featurizer == null ? 0 : featurizer.len() - 1;
            this.core = core;
            this.gate = gate;
            this.walk = walk;
            this.channels = f.channels();
            this.top = tiles(f.len()) - 1;
            this.ring = top + 1;
            this.rawRow = (core ? 3 : 1) * CHANNELS;
            this.copiesPerRow = rawRow * 2 / 16;
            this.copiesPerThread = STRIP * copiesPerRow / THREADS;
            this.rawSlotBytes = STRIP * rawRow * 2;
            this.ringSlotBytes = STRIP * CHANNELS * 2;
            this.tailSlotBytes = tailRows * rawRow * 2;
            this.first = -top - (tailRows > 0 ? 1 : 0);
        }

        String entry() {
            return (core ? "hyena_core_blocked_" : "causal_conv_blocked_") + f.tag() + CausalConv.featureTag(featurizer)
                    + (core && gate != Primitive.IDENTITY ? "_" + gate : "") + walk.tag() + "_bf16";
        }

        GeneratedKernel write() {
            sig = new Signature(entry(), THREADS);
            sig.k.minBlocksPerMultiprocessor(4);
            String io = Signature.shape("B", "L", channels);
            in = core ? CausalConv.coreInput(sig, channels, featurizer, Precision.BF16) : sig.input("x", Scalar.BF16, "input " + io);
            feature = featurizer == null ? null : CausalConv.Featurizer.params(sig, featurizer, Precision.BF16);
            h = f.tapsParam(sig, Precision.BF16);
            skip = f.skipParam(sig, Precision.BF16);
            y = sig.output("y", Scalar.BF16, "result " + io);
            length = sig.scalar("length", Scalar.INT64, "L");
            raw = sig.k.shared("raw", Scalar.BF16, STAGES * STRIP * rawRow, 128);
            sRing = sig.k.shared("s_ring", Scalar.BF16, ring * STRIP * CHANNELS, 128);
            // with a featurizer the accumulators are staged in the strip's own input slot (see stageAddress)
            stage = featurizer == null ? sig.k.shared("sums", Scalar.FLOAT, STRIP * STAGE_ROW, 16) : null;
            if (featurizer != null) {
                featureTaps = sig.k.shared("feature_taps", Scalar.FLOAT, featurizer.len() * rawRow, 16);
                featureSkip = featurizer.skip() ? sig.k.shared("feature_skip_w", Scalar.FLOAT, rawRow, 16) : null;
                tail = tailRows > 0 ? sig.k.shared("tail", Scalar.BF16, 2 * tailRows * rawRow, 16) : null;
            }

            Scope s = sig.k.body();
            setUp(s);
            toeplitzFragments(s);
            if (featurizer != null) featurizerSetUp(s);
            s.blank();
            s.comment("Copies of the first " + (STAGES - 1) + " strips (" + (first < -top ? "the one before the halo, whose last rows the featurizer reads, first"
                    : "the halo's first") + ") start before the walk; every pass commits one group, empty or not.");
            s.unrolled("p", lit(0), lit(STAGES - 1), (p, body) -> {
                Expr n = p.sub(-first);
                body.when(n.lt(slabs), copy -> copyStrip(copy, n, p.mul(rawSlotBytes)));
                Ptx.cpAsyncCommit(body);
            });
            Var rawSlot = s.var("raw_slot", Scalar.INT, lit(0));
            Var sSlot = s.var("s_slot", Scalar.INT, lit(0));
            Var tailSlot = tailRows > 0 ? s.var("tail_slot", Scalar.INT, lit(0)) : null;
            s.blank();
            s.loop("n", lit(first), slabs, lit(1), (n, strip) -> {
                strip.comment("Strip n has landed, and every thread is done with strip n - 1's input.");
                Ptx.cpAsyncWait(strip, STAGES - 2);
                strip.barrier();
                Var ahead = strip.let("ahead", n.add(STAGES - 1));
                strip.when(ahead.lt(slabs), copy -> copyStrip(copy, ahead, select(rawSlot.eq(lit(0)), lit(STAGES - 1), rawSlot.sub(1)).mul(rawSlotBytes)));
                Ptx.cpAsyncCommit(strip);
                Var value = featurizer == null ? formS(strip, rawSlot, sSlot) : formFeaturized(strip, rawSlot, sSlot, tailSlot);
                strip.when(n.ge(0), out -> {
                    if (core || skip != null) keep(out, value);
                    out.comment("s of strip n is in the ring" + (featurizer != null ? ", and its input slot is free for the sums." : "."));
                    out.barrier();
                    products(out, sSlot, rawSlot);
                    out.barrier();
                    finish(out, n, rawSlot);
                });
                strip.set(rawSlot, select(rawSlot.eq(lit(STAGES - 1)), lit(0), rawSlot.add(1)));
                strip.set(sSlot, select(sSlot.eq(lit(ring - 1)), lit(0), sSlot.add(1)));
                if (tailSlot != null) strip.set(tailSlot, lit(1).sub(tailSlot));
            });
            return sig.build(core ? "hyena_core" : "causal_conv", launch(channels, walk), about());
        }

        void setUp(Scope s) {
            tid = s.let("tid", threadIdx(Axis.X));
            warp = s.let("warp", tid.div(32));
            lane = s.let("lane", tid.mod(32));
            c0 = s.let("c0", blockIdx(Axis.X).mul(CHANNELS));
            Expr steps = lit64(walk.steps());
            seg0 = s.let("seg0", blockIdx(Axis.Y).cast(Scalar.INT64).mul(steps));
            seq = s.let("seq", blockIdx(Axis.Z).cast(Scalar.INT64).mul(length));
            Var rows = s.let("rows", Expr.min(steps, length.sub(seg0)).cast(Scalar.INT));
            slabs = s.let("slabs", rows.add(STRIP - 1).div(STRIP));
            myRow = s.let("my_row", tid.div(8));
            myColumn = s.let("my_column", tid.mod(8));
            s.comment("The row this lane addresses in an ldmatrix of 16 steps x 16 channels (lanes 0-7 steps 0-7 of the warp's first 8 channels,\n"
                    + "8-15 steps 8-15, 16-31 the same of the next 8) in ring slot 0; chunk c of ring row r is stored at c ^ (r % 8).");
            Var ldRow = s.let("ld_row", lane.mod(8).add(lane.div(8).mod(2).mul(8)));
            Var ldChunk = s.let("ld_chunk", warp.mul(2).add(lane.div(16)));
            ldFrom = s.let("ld_from", sharedAddress(sRing, lit(0)).add(ldRow.mul(CHANNELS * 2)).add(ldChunk.xor(ldRow.mod(8)).mul(16)));
            s.comment("Strip n of this block is steps [seg0 + 16n, seg0 + 16n + 16); strips -" + top + " ... -1 are the halo"
                    + (first < -top ? ", strip " + first + " is walked for its last " + tailRows + " rows of u alone." : "."));
            s.blank();
            long width = core ? 3 * channels : channels;
            s.comment("This thread's 16-byte copies of a strip: row, column of the input (elements), place in a staging slot (bytes), and whether\n"
                    + "the column holds channels below " + channels + " (the last block's may not).");
            for (int k = 0; k < copiesPerThread; k++) {
                Var e = s.let("copy" + k, tid.add(k * THREADS));
                Var chunk = s.let("chunk" + k, e.mod(copiesPerRow));
                copyRow.add(s.let("copy_row" + k, e.div(copiesPerRow)));
                copyColumn.add(s.let("copy_column" + k, c0.mul(core ? 3 : 1).add(chunk.mul(8)).cast(Scalar.INT64)));
                copySlot.add(s.let("copy_slot" + k, sharedAddress(raw, copyRow.get(k).mul(rawRow).add(chunk.mul(8)))));
                copyInside.add(s.let("copy_inside" + k, copyColumn.get(k).lt(lit64(width))));
            }
        }

        /** The 16-byte copies of strip {@code n} into the staging slot {@code slotOffset} bytes in; steps outside [0, L) read as zeros. */
        void copyStrip(Scope s, Expr n, Expr slotOffset) {
            long width = core ? 3 * channels : channels;
            for (int k = 0; k < copiesPerThread; k++) {
                Var t = s.let("t" + k, seg0.add(n.mul(STRIP).add(copyRow.get(k))));
                Var ok = s.let("ok" + k, t.ge(lit64(0)).and(t.lt(length)).and(copyInside.get(k)));
                Expr at = select(ok, seq.add(t).mul(lit64(width)).add(copyColumn.get(k)), lit64(0));
                Ptx.cpAsync16(s, copySlot.get(k).add(slotOffset), offset(in, at), select(ok, lit(16), lit(0)));
            }
        }

        /**
         * Every a fragment of T_0 … T_D for this warp's filter: register m + 1 holds the pair (lo h[8m + g − 2t],
         * hi h[8m + g − 2t − 1]) for m = −1 … 2D + 1, zero outside 0 … K − 1 (so register 0 is zero).
         */
        void toeplitzFragments(Scope s) {
            s.blank();
            s.comment("The a fragments of the Toeplitz tiles T_d[i][j] = h[16d + i - j] of this warp's filter, from its taps (rounded to bf16):\n"
                    + "toeplitz[m + 1] = (h[8m + g - 2t], h[8m + g - 2t - 1]), g = lane / 4, t = lane % 4; T_d's fragment is toeplitz[2d + 1],\n"
                    + "toeplitz[2d + 2], toeplitz[2d], toeplitz[2d + 1].");
            Var first = s.let("first_channel", c0.add(warp.mul(16)));
            active = s.let("active", first.lt(lit(channels)));
            Var group = s.let("group", select(active, first.div(lit(f.groupSize())), lit(0)));
            Var diagonal = s.let("diagonal", lane.div(4).sub(lane.mod(4).mul(2)));
            toeplitz = s.array("toeplitz", Scalar.B32, 2 * top + 3);
            Ptx.packBf16x2(s, toeplitz.at(0), lit(0.0f), lit(0.0f));
            for (int m = 0; m <= 2 * top + 1; m++) {
                Var lo = s.let("tap_lo" + m, tap(s, "lo" + m, group, diagonal.add(8 * m), active));
                Var hi = s.let("tap_hi" + m, tap(s, "hi" + m, group, diagonal.add(8 * m - 1), active));
                Ptx.packBf16x2(s, toeplitz.at(m + 1), lo, hi);
            }
            if (skip != null) {
                s.comment("Skip weights of the 8 channels this thread finishes.");
                skipW = s.array("skip_w", Scalar.FLOAT, 8);
                Var mine = s.let("my_channel", c0.add(myColumn.mul(8)));
                s.unrolled("i", lit(0), lit(8), (i, body) ->
                        body.set(skipW.at(i), select(mine.lt(lit(channels)), Expr.load(skip, mine.add(i)), lit(0.0f))));
            }
            gateQ = core ? s.array("gate_q", Scalar.FLOAT, 8) : null;
            bias = skip != null ? s.array("bias", Scalar.FLOAT, 8) : null;
        }

        /** h[j] of {@code group}, zero outside 0 … K − 1 or for a warp past the last channel. */
        Expr tap(Scope s, String name, Var group, Expr j, Var active) {
            Var at = s.let("j_" + name, j);
            return select(at.ge(0).and(at.lt(lit(f.len()))).and(active), CausalConv.tap(h, group, at, f), lit(0.0f));
        }

        /**
         * Thread (r, c) = (tid / 8, tid % 8) forms s for row r, channels 8c … 8c + 7 of the strip in {@code rawSlot} into the
         * ring (bf16, swizzled: 16-byte chunk c of row r at c ^ (r % 8)); returns the unpacked input row (q, k, v or x; not
         * unpacked for a plain convolution without skip, which needs none of it).
         */
        Var formS(Scope s, Var rawSlot, Var sSlot) {
            s.comment("s = " + (core ? "k * v" : "x") + " of row tid / 8, channels 8 (tid % 8) ... + 7, into the ring.");
            Var r = myRow, cc = myColumn;
            int words = core ? 12 : 4;
            Var packed = s.array("packed", Scalar.B32, words);
            Var from = s.let("from", sharedAddress(raw, lit(0)).add(rawSlot.mul(rawSlotBytes)).add(r.mul(rawRow * 2)).add(cc.mul(words * 4)));
            for (int v = 0; v < words / 4; v++) Ptx.loadShared128(s, regs(packed, 4 * v, 4), from.add(16 * v));
            // the plain convolution without skip needs x only as the ring's words
            Var value = core || skip != null ? s.array("value", Scalar.FLOAT, 2 * words) : null;
            if (value != null) {
                for (int w = 0; w < words; w++) Ptx.unpackBf16x2(s, value.at(lit(2 * w)), value.at(lit(2 * w + 1)), packed.at(lit(w)));
            }
            Expr into = sharedAddress(sRing, lit(0)).add(sSlot.mul(ringSlotBytes)).add(r.mul(CHANNELS * 2)).add(cc.xor(r.mod(8)).mul(16));
            if (!core) {
                // s is x, already bf16: its words go to the ring as they came
                sValue = value;
                Ptx.storeShared128(s, into, regs(packed, 0, 4));
                return value;
            }
            Var sv = sValue = s.array("s_value", Scalar.FLOAT, 8);
            for (int i = 0; i < 8; i++) s.set(sv.at(lit(i)), value.at(lit(3 * i + 1)).mul(value.at(lit(3 * i + 2))));
            Var out = s.array("s_bf16", Scalar.B32, 4);
            for (int j = 0; j < 4; j++) Ptx.packBf16x2(s, out.at(lit(j)), sv.at(lit(2 * j)), sv.at(lit(2 * j + 1)));
            Ptx.storeShared128(s, into, regs(out, 0, 4));
            return value;
        }

        /**
         * The featurizer's taps and skip of the block's columns into shared memory, by steps back (zero past the last
         * channel), once; and the tail slot the first strip reads cleared, so that strip's first rows (never used) are
         * computed from zeros rather than whatever the memory held.
         */
        void featurizerSetUp(Scope s) {
            s.blank();
            s.comment("The featurizer's taps of column c (channel 3 c0 + c of u) for the input j steps back at feature_taps[j * " + rawRow + " + c]"
                    + (featureSkip != null ? ", its skip at feature_skip_w[c]" : "") + (tail != null ? "; the tail slot strip " + first + " reads cleared." : "."));
            long width = 3 * channels;
            Var base = s.let("feature_column0", c0.mul(3));
            s.loop("fill", tid, lit(featurizer.len() * rawRow), lit(THREADS), (e, body) -> {
                Var j = body.let("fill_back", e.div(rawRow));
                Var ch = body.let("fill_channel", base.add(e.mod(rawRow)));
                Expr g = featurizer.groupSize() == 1 ? ch : ch.div(lit(featurizer.groupSize()));
                body.set(featureTaps.at(e), select(ch.lt(lit(width)), CausalConv.tap(feature.h(), g, j, featurizer), lit(0.0f)));
            });
            if (featureSkip != null) {
                s.loop("fill_skip", tid, lit(rawRow), lit(THREADS), (e, body) -> {
                    Var ch = body.let("skip_channel", base.add(e));
                    body.set(featureSkip.at(e), select(ch.lt(lit(width)), Expr.load(feature.skip(), ch), lit(0.0f)));
                });
            }
            if (tail != null) {
                s.loop("clear", tid, lit(2 * tailRows * rawRow), lit(THREADS), (e, body) -> body.set(tail.at(e), Expr.toStorage(Scalar.BF16, lit(0.0f))));
            }
        }

        /**
         * {@link #formS} with the featurizer: thread (r, c) computes z of row r, columns 24c … 24c + 23 (q, k, v of channels
         * 8c … 8c + 7) from u of rows r, r − 1, … (the rows before the strip from the tail the strip before left), summed as
         * the featurizer's own kernel sums them and rounded to bf16 as the unfused plan stores z, then s = k ⊙ v into the
         * ring as before; the last rows of u go to the tail for the next strip. Returns z.
         */
        Var formFeaturized(Scope s, Var rawSlot, Var sSlot, Var tailSlot) {
            s.comment("z = featurizer(u) of row tid / 8, columns 24 (tid % 8) ... + 23, 8 columns at a time, then s = k * v of its channels into the ring.");
            Var r = myRow, cc = myColumn;
            int rowBytes = rawRow * 2, columnBytes = 48;
            Var packed = s.array("packed", Scalar.B32, 12);
            Var from = s.let("from", sharedAddress(raw, lit(0)).add(rawSlot.mul(rawSlotBytes)).add(r.mul(rowBytes)).add(cc.mul(columnBytes)));
            for (int v = 0; v < 3; v++) Ptx.loadShared128(s, regs(packed, 4 * v, 4), from.add(16 * v));
            if (tail != null) {
                s.comment("The last " + tailRows + " rows of u to the tail, for the next strip's first rows.");
                s.when(r.ge(lit(STRIP - tailRows)), keepRow -> {
                    Var to = keepRow.let("tail_to", sharedAddress(tail, lit(0)).add(tailSlot.mul(tailSlotBytes)).add(r.sub(lit(STRIP - tailRows)).mul(rowBytes))
                            .add(cc.mul(columnBytes)));
                    for (int v = 0; v < 3; v++) Ptx.storeShared128(keepRow, to.add(16 * v), regs(packed, 4 * v, 4));
                });
            }
            Var before = tail == null ? null
                    : s.let("tail_from", sharedAddress(tail, lit(0)).add(lit(1).sub(tailSlot).mul(tailSlotBytes)).add(cc.mul(columnBytes)));
            List<Var> rows = new ArrayList<>();
            rows.add(from);
            // row r - j: this strip's, or one of the tail's rows of the strip before
            for (int j = 1; j < featurizer.len(); j++) {
                rows.add(s.let("back" + j, select(r.ge(lit(j)), from.sub(lit(j * rowBytes)), before.add(r.add(tailRows - j).mul(rowBytes)))));
            }
            Var taps = s.let("taps_from", sharedAddress(featureTaps, cc.mul(24)));
            Var skipFrom = featureSkip == null ? null : s.let("skip_from", sharedAddress(featureSkip, cc.mul(24)));
            Var zPacked = s.array("z_packed", Scalar.B32, 12);
            Var sum = s.array("z_sum", Scalar.FLOAT, 8);
            Var words = s.array("words", Scalar.B32, 4);
            Var u = s.array("u_row", Scalar.FLOAT, 8);
            Var w = s.array("tap_w", Scalar.FLOAT, 8);
            for (int v = 0; v < 3; v++) {
                for (int j = 0; j < featurizer.len(); j++) {
                    List<Expr> source = j == 0 ? regs(packed, 4 * v, 4) : regs(words, 0, 4);
                    if (j > 0) Ptx.loadShared128(s, source, rows.get(j).add(16 * v));
                    for (int q = 0; q < 4; q++) Ptx.unpackBf16x2(s, u.at(lit(2 * q)), u.at(lit(2 * q + 1)), source.get(q));
                    if (j == 0) {
                        // the sum starts as the featurizer's kernel starts it: skip * u, or zero
                        if (skipFrom != null) {
                            Ptx.loadSharedFloats128(s, regs(w, 0, 4), skipFrom.add(32 * v));
                            Ptx.loadSharedFloats128(s, regs(w, 4, 4), skipFrom.add(32 * v + 16));
                        }
                        for (int i = 0; i < 8; i++) s.set(sum.at(lit(i)), skipFrom != null ? w.at(lit(i)).mul(u.at(lit(i))) : lit(0.0f));
                    }
                    Ptx.loadSharedFloats128(s, regs(w, 0, 4), taps.add(j * rawRow * 4 + 32 * v));
                    Ptx.loadSharedFloats128(s, regs(w, 4, 4), taps.add(j * rawRow * 4 + 32 * v + 16));
                    for (int i = 0; i < 8; i++) s.inc(sum.at(lit(i)), w.at(lit(i)).mul(u.at(lit(i))));
                }
                // z as the unfused plan stores it: rounded to bf16 (to nearest even, as the featurizer's kernel stores it)
                for (int i = 0; i < 4; i++) Ptx.packBf16x2(s, zPacked.at(lit(4 * v + i)), sum.at(lit(2 * i)), sum.at(lit(2 * i + 1)));
            }
            Var value = s.array("value", Scalar.FLOAT, 24);
            for (int i = 0; i < 12; i++) Ptx.unpackBf16x2(s, value.at(lit(2 * i)), value.at(lit(2 * i + 1)), zPacked.at(lit(i)));
            Var sv = sValue = s.array("s_value", Scalar.FLOAT, 8);
            for (int i = 0; i < 8; i++) s.set(sv.at(lit(i)), value.at(lit(3 * i + 1)).mul(value.at(lit(3 * i + 2))));
            Var out = s.array("s_bf16", Scalar.B32, 4);
            for (int j = 0; j < 4; j++) Ptx.packBf16x2(s, out.at(lit(j)), sv.at(lit(2 * j)), sv.at(lit(2 * j + 1)));
            Expr into = sharedAddress(sRing, lit(0)).add(sSlot.mul(ringSlotBytes)).add(r.mul(CHANNELS * 2)).add(cc.xor(r.mod(8)).mul(16));
            Ptx.storeShared128(s, into, regs(out, 0, 4));
            return value;
        }

        /** For a strip this thread finishes: act(q) and skip·s of its 8 channels, from the input {@code value}s and s. */
        void keep(Scope keep, Var value) {
            for (int i = 0; i < 8; i++) {
                    if (core) {
                    Var q = keep.let("q" + i, value.at(lit(3 * i)));
                    keep.set(gateQ.at(lit(i)), Activations.apply(gate, q));
                }
                if (skip != null) {
                    Expr skipped = skipW.at(lit(i)).mul(sValue.at(lit(i)));
                    keep.set(bias.at(lit(i)), core ? gateQ.at(lit(i)).mul(skipped) : skipped);
                }
            }
        }

        /** Warp w: the strip's 16 rows × its 16 channels, Σ_d T_d·S_{n−d}, into the staging rows. */
        void products(Scope s, Var sSlot, Var rawSlot) {
            s.comment("Warp w: rows 0-15 x channels 16w ... 16w + 15 of the strip = sum over d of T_d times the ring's strip n - d, as b fragments\n"
                    + "by ldmatrix.trans (registers 0, 1 for channels 0-7, 2, 3 for 8-15).");
            Var acc = s.array("acc", Scalar.FLOAT, 8);
            s.unrolled("i", lit(0), lit(8), (i, body) -> body.set(acc.at(i), lit(0.0f)));
            Var b = s.array("b", Scalar.B32, 4);
            s.when(active, mine -> {
                for (int d = 0; d <= top; d++) {
                    Expr slot = d == 0 ? sSlot : select(sSlot.ge(d), sSlot.sub(d), sSlot.add(ring - d));
                    Ptx.ldmatrixX4(mine, regs(b, 0, 4), ldFrom.add(slot.mul(ringSlotBytes)), true);
                    List<Expr> a = List.of(toeplitz.at(lit(2 * d + 1)), toeplitz.at(lit(2 * d + 2)), toeplitz.at(lit(2 * d)), toeplitz.at(lit(2 * d + 1)));
                    Ptx.mmaBf16(mine, regs(acc, 0, 4), a, regs(b, 0, 2));
                    Ptx.mmaBf16(mine, regs(acc, 4, 4), a, regs(b, 2, 2));
                }
                mine.comment("Accumulator (row g or g + 8, channels 2t, 2t + 1 of each 8) to the staging rows, swizzled as sums_column says.");
                for (int nt = 0; nt < 2; nt++) {
                    for (int half = 0; half < 2; half++) {
                        Expr row = lane.div(4).add(8 * half);
                        Expr column = warp.mul(16).add(8 * nt).add(lane.mod(4).mul(2));
                        Ptx.storeSharedFloats64(mine, stageAddress(rawSlot, row.mul(STAGE_ROW).add(stageColumn(column))), acc.at(lit(4 * nt + 2 * half)),
                                acc.at(lit(4 * nt + 2 * half + 1)));
                    }
                }
            });
        }

        /**
         * Where staging column {@code column} lives: groups of 4 floats 8 apart swap with their neighbour in every other
         * 32, so the 8 threads finishing one row read 8 distinct bank groups.
         */
        static Expr stageColumn(Expr column) { return column.xor(column.div(32).mod(2).mul(4)); }

        /**
         * The shared address of staging float {@code index}: in the sums array, or with a featurizer in the strip's own input
         * slot, whose rows every thread has read by the barrier before the products (the next copy into that slot is issued
         * after the next strip's first barrier, when every thread has finished).
         */
        Expr stageAddress(Var rawSlot, Expr index) {
            if (stage != null) return sharedAddress(stage, index);
            return sharedAddress(raw, lit(0)).add(rawSlot.mul(rawSlotBytes)).add(index.mul(4));
        }

        /** Thread (r, c): y of row r, channels 8c … 8c + 7 of strip n, one 16-byte store. */
        void finish(Scope s, Var n, Var rawSlot) {
            s.comment("y = " + (core ? "act(q) * (sum" + (skip != null ? " + skip * s)" : ")") : "sum" + (skip != null ? " + skip * s" : ""))
                    + " for row tid / 8, channels 8 (tid % 8) ... + 7.");
            Var r = myRow, cc = myColumn;
            Var t = s.let("t", seg0.add(n.mul(STRIP).add(r)));
            s.when(t.lt(length).and(c0.add(cc.mul(8)).lt(lit(channels))), out -> {
                Var sum = out.array("sum", Scalar.FLOAT, 8);
                for (int q = 0; q < 2; q++) {
                    Expr column = stageColumn(cc.mul(8).add(4 * q));
                    Ptx.loadSharedFloats128(out, regs(sum, 4 * q, 4), stageAddress(rawSlot, r.mul(STAGE_ROW).add(column)));
                }
                Var yv = out.array("y_bf16", Scalar.B32, 4);
                for (int j = 0; j < 4; j++) {
                    Expr lo = result(sum, 2 * j), hi = result(sum, 2 * j + 1);
                    Ptx.packBf16x2(out, yv.at(lit(j)), lo, hi);
                }
                Ptx.storeGlobal128(out, offset(y, seq.add(t).mul(lit64(channels)).add(c0.add(cc.mul(8)))), regs(yv, 0, 4));
            });
        }

        Expr result(Var sum, int i) {
            Expr conv = sum.at(lit(i));
            if (core) conv = gateQ.at(lit(i)).mul(conv);
            return bias != null ? conv.add(bias.at(lit(i))) : conv;
        }

        List<String> about() {
            List<String> about = new ArrayList<>();
            if (core) {
                about.addAll(CausalConv.coreAbout(f, featurizer, gate));
            } else {
                about.add("Causal convolution, zero history: " + f.describe() + ".");
            }
            about.add("Two-stage blocked (chunk " + CHUNK + ") on the tensor cores: strips of 16 steps, y = sum over d <= " + top
                    + " of T_d * S_(n-d), T_d[i][j] = h[16d + i - j]");
            about.add("built in registers from the taps; mma.sync m16n8k16 with s and h rounded to bf16, fp32 sums; " + CHANNELS
                    + " channels x " + walk.describe() + ".");
            return about;
        }
    }

    /** Grid (⌈C / 64⌉, ⌈L / steps⌉ or the walk's blocks, B). */
    static Launch launch(long channels, Walk walk) {
        Extent time = Extent.length().ceilDiv(walk.steps());
        return new Launch(Extent.of(Math.ceilDiv(channels, CHANNELS)), time, Extent.batch(), THREADS, 1, 1);
    }

    /** Static shared memory of a block: the staged input strips, the ring of s and the accumulator staging rows. */
    public static int sharedBytes(Filter f, boolean core) {
        return STAGES * STRIP * (core ? 3 : 1) * CHANNELS * 2 + tiles(f.len()) * STRIP * CHANNELS * 2 + STRIP * STAGE_ROW * 4;
    }

    /**
     * Static shared memory of the core with {@code featurizer}: the staged strips of u and the ring of s, the featurizer's
     * taps and skip (fp32) and two slots of tail rows; the accumulators are staged in an input slot.
     */
    public static int sharedBytes(Filter f, Filter featurizer) {
        int raw = 3 * CHANNELS;
        return STAGES * STRIP * raw * 2 + tiles(f.len()) * STRIP * CHANNELS * 2 + featurizer.len() * raw * 4 + (featurizer.skip() ? raw * 4 : 0)
                + 2 * (featurizer.len() - 1) * raw * 2;
    }

    private static List<Expr> regs(Var array, int first, int n) {
        return IntStream.range(first, first + n).mapToObj(i -> (Expr) array.at(lit(i))).toList();
    }
}
