package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.lit64;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.min;
import static hyenac.backends.codegen.Expr.shuffleXor;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.MathFn;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Ptx;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;

/**
 * Dense projections of a few rows (a decode step's: one token per sequence) at the speed of reading the weights:
 * y[m, n] = epilogue(Σₖ x[m, k]·W[n, k]) for m < rows, W stored [N, K] as the library GEMM takes it (each output
 * feature's K weights contiguous). With so few rows a projection is a stream of its weights, so the kernel is built
 * around that stream:
 * <ul>
 *   <li>a block is 8 warps; each warp's lanes are 4 row groups × 8 lanes along K, so in one step the 8 lanes of a group
 *       read one row's 128 contiguous bytes (8 bf16 or 4 floats each, in one 16-byte load) and the warp reads 4 rows.
 *       A lane keeps {@code rowsPerLane} rows of each matrix (features n0 + 4i + group), so a block covers
 *       4·rowsPerLane features;</li>
 *   <li>the warps split the block's K range by 128-byte chunks, interleaved (warp w takes chunks w, w + 8, …), so the
 *       block reads its rows front to back;</li>
 *   <li>each weight vector, loaded once past L1, serves every row of x the block holds (up to 16; more rows take more
 *       blocks along x), x read through L1 where the 4 groups and 8 warps share it;</li>
 *   <li>sums in fp32: the 8 lanes of a group by shuffles, the 8 warps through shared memory in a fixed order;</li>
 *   <li>when the features alone give too few blocks to fill the GPU, the K range is split across blocks too (grid z):
 *       each split writes its fp32 partial sums to scratch and a second kernel adds them in split order and applies
 *       the epilogue. No atomics: the result is the same bits on every run;</li>
 *   <li>the epilogue is fused: bias, an activation, the product of two projections of the same x (a gated MLP's
 *       act(x·W1ᵀ) ⊙ x·W2ᵀ, both matrices streamed by the same blocks), and a residual add.</li>
 * </ul>
 * The main loop is written once for each row count of 1, 2, 4, 8 and 16 and the block takes the smallest that holds its
 * rows (a branch every thread takes alike): one sequence does one row's arithmetic, sixteen reuse each weight sixteen
 * times. In bf16 with 16-byte loads, more than two rows go to the tensor cores instead ({@link #tensorCores}): the
 * same blocks and warps, the weights read once, each 16 × 8 × 16 product one mma.
 */
public final class Gemv {
    private Gemv() {}

    public static final int THREADS = 256, WARPS = THREADS / 32;
    /** Lanes along K per row (8 × 16 bytes: one 128-byte line of a row per step) and rows per warp. */
    static final int K_LANES = 8, ROW_GROUPS = 32 / K_LANES;
    /** Rows of x one block holds; the row-count variants of the main loop. */
    public static final int MAX_ROWS = 16;
    private static final int[] ROW_VARIANTS = {1, 2, 4, 8, 16};
    /** The CUDA-core variants where more rows take the tensor cores ({@link #tensorCores}). */
    private static final int[] TENSOR_VARIANTS = {1, 2};
    /** Weight rows a lane keeps across all matrices: 4 × 8 floats of weights stay in registers beside the sums. */
    private static final int WEIGHT_ROWS = 4;
    /** Chunks of K in flight per lane for one or two rows of x. */
    static final int UNROLL = 2;
    /**
     * Blocks that keep a GPU's memory busy: an H100 has 132 multiprocessors and holds two of these blocks on each
     * (the kernel asks the compiler to fit two); fewer blocks than this leave bandwidth unused, so K is split too.
     */
    public static final int FILL_BLOCKS = 264;

    /**
     * What one GEMV computes: {@code matrices} projections of the same x [rows, k] by weights [n, k], each plus its
     * bias where {@code bias}; with one matrix y = act(p₀), with two y = act(p₀) ⊙ p₁; then + residual[rows, n] where
     * {@code residual}. {@code activation} is {@link Primitive#IDENTITY} for none.
     */
    public record Spec(long n, long k, int matrices, boolean bias, Primitive activation, boolean residual) {
        public Spec {
            if (n <= 0 || k <= 0) throw new IllegalArgumentException("a GEMV needs positive sizes, got n=" + n + " k=" + k);
            if (matrices != 1 && matrices != 2) throw new IllegalArgumentException("one or two matrices, not " + matrices);
            if (!activation.activation()) throw new IllegalArgumentException(activation + " is not an activation");
        }

        /** A plain projection, with its bias where it has one. */
        public static Spec linear(long n, long k, boolean bias) { return new Spec(n, k, 1, bias, Primitive.IDENTITY, false); }

        /** What follows the dot products, for names and headers: "bias_gelu_mul_add", or "" for nothing. */
        String epilogueTag() {
            List<String> parts = new ArrayList<>();
            if (bias) parts.add("bias");
            if (activation != Primitive.IDENTITY) parts.add(activation.op());
            if (matrices == 2) parts.add("mul");
            if (residual) parts.add("add");
            return String.join("_", parts);
        }

        public String formula() {
            String p0 = "x*W0^T" + (bias ? " + b0" : ""), p1 = "x*W1^T" + (bias ? " + b1" : "");
            String y = activation == Primitive.IDENTITY ? (matrices == 2 ? "(" + p0 + ")" : p0) : activation.op() + "(" + p0 + ")";
            if (matrices == 2) y += " * (" + p1 + ")";
            return "y = " + y + (residual ? " + residual" : "");
        }
    }

    /**
     * How the work is cut. {@code vector}: elements per lane load (16 bytes where K allows, the row starts staying
     * aligned); {@code rowsPerLane}: rows of each matrix a lane keeps; {@code splits} blocks along K, each
     * {@code splitLength} elements (a multiple of a chunk, 8 lanes' loads).
     */
    public record Tiling(int vector, int rowsPerLane, int splits, long splitLength) {
        /** Output features per block. */
        public int features() { return ROW_GROUPS * rowsPerLane; }

        /** Elements of K one row group reads in one step. */
        public long chunk() { return (long) K_LANES * vector; }

        /** Blocks along N. */
        public long tiles(long n) { return Math.ceilDiv(n, features()); }
    }

    public static Tiling tiling(Spec s, Precision p) {
        int bytes = p.storage().bytes();
        int vector = 16 / bytes;
        while (vector > 1 && s.k() % vector != 0) vector /= 2;
        // fewer rows per lane where the features would otherwise give too few blocks
        int rowsPerLane = WEIGHT_ROWS / s.matrices();
        while (rowsPerLane > 1 && Math.ceilDiv(s.n(), (long) ROW_GROUPS * rowsPerLane) < FILL_BLOCKS) rowsPerLane /= 2;
        long tiles = Math.ceilDiv(s.n(), (long) ROW_GROUPS * rowsPerLane), chunk = (long) K_LANES * vector;
        long chunks = Math.ceilDiv(s.k(), chunk);
        // split K only when the features cannot fill the GPU, and never below a chunk per warp
        long splits = tiles >= FILL_BLOCKS ? 1 : Math.min(Math.ceilDiv(FILL_BLOCKS, tiles), Math.max(1, chunks / WARPS));
        long length = Math.ceilDiv(chunks, splits) * chunk;
        if (tiles > Launch.MAX_GRID_YZ) throw new IllegalArgumentException("a GEMV of " + s.n() + " features needs " + tiles + " blocks along y, past the grid's limit");
        return new Tiling(vector, rowsPerLane, Math.toIntExact(Math.ceilDiv(s.k(), length)), length);
    }

    /**
     * The kernels of one GEMV in launch order: the GEMV with its epilogue; or, where K is split across blocks, the
     * partial sums (into {@code partials}, fp32 [splits, matrices, rows, n]) then their reduction with the epilogue.
     * Parameters: {@code x}, {@code w0} (and {@code w1}), {@code bias0} ({@code bias1}), {@code residual}, {@code y},
     * {@code partials}, {@code rows} (= B·L). {@code -Dhyenac.gemv.unroll=N} sets the chunks in flight (for measurements, {@link #unroll}).
     */
    public static List<GeneratedKernel> generate(Spec s, Precision p) { return generate(s, p, unroll()); }

    /** Chunks of K in flight per lane: {@value #UNROLL}, or what {@code -Dhyenac.gemv.unroll} says (1 to 8). */
    public static int unroll() {
        String given = System.getProperty("hyenac.gemv.unroll");
        if (given == null) return UNROLL;
        if (!given.matches("[1-8]")) throw new IllegalArgumentException("-Dhyenac.gemv.unroll is 1 to 8, not `" + given + "`");
        return Integer.parseInt(given);
    }

    /** As {@link #generate(Spec, Precision)} with {@code unroll} chunks of K in flight per lane for one or two rows (for measurements). */
    public static List<GeneratedKernel> generate(Spec s, Precision p, int unroll) {
        if (unroll < 1 || unroll > 8) throw new IllegalArgumentException("1 to 8 chunks in flight, not " + unroll);
        Tiling t = tiling(s, p);
        if (t.splits() == 1) return List.of(main(s, t, p, unroll));
        return List.of(main(s, t, p, unroll), reduce(s, t, p));
    }

    /** Elements of the partial sums' scratch per row of x: splits × matrices × n (empty when K is not split). */
    public static long partialsPerRow(Spec s, Precision p) {
        Tiling t = tiling(s, p);
        return t.splits() == 1 ? 0 : (long) t.splits() * s.matrices() * s.n();
    }

    private static String shapeTag(Spec s) { return "n" + s.n() + "_k" + s.k(); }

    /** The parameters that take the epilogue's operands and the result. */
    private record Outputs(List<Var> bias, Var residual, Var y) {}

    private static Outputs outputs(Signature sig, Spec s, Scalar st) {
        List<Var> bias = new ArrayList<>();
        if (s.bias()) for (int m = 0; m < s.matrices(); m++) bias.add(sig.input("bias" + m, st, "weight bias of W" + m + " [" + s.n() + "]"));
        Var residual = s.residual() ? sig.input("residual", st, "the residual added last " + Signature.shape("rows", s.n())) : null;
        Var y = sig.output("y", st, "result " + Signature.shape("rows", s.n()));
        return new Outputs(bias, residual, y);
    }

    private static GeneratedKernel main(Spec s, Tiling t, Precision p, int unroll) {
        Scalar st = p.storage();
        boolean split = t.splits() > 1;
        int mats = s.matrices(), nr = t.features(), v = t.vector();
        long n = s.n(), k = s.k(), chunk = t.chunk();
        String tag = s.epilogueTag();
        String entry = (split ? "gemv_" + shapeTag(s) + (mats == 2 ? "_x2" : "") + "_s" + t.splits()
                : "gemv_" + shapeTag(s) + (tag.isEmpty() ? "" : "_" + tag)) + (unroll == UNROLL ? "" : "_u" + unroll) + "_" + p.suffix();
        Signature sig = new Signature(entry, THREADS);
        sig.k.minBlocksPerMultiprocessor(2);
        Var x = sig.input("x", st, "input " + Signature.shape("rows", k));
        List<Var> w = new ArrayList<>();
        for (int m = 0; m < mats; m++) w.add(sig.input("w" + m, st, "weight W" + m + " [" + n + ", " + k + "]"));
        Outputs out = split ? null : outputs(sig, s, st);
        Var partials = split ? sig.output("partials", Scalar.FLOAT, "scratch: partial sums [" + t.splits() + ", " + mats + ", rows, " + n + "]") : null;
        Var rows = sig.scalar("rows", Scalar.INT64, "rows of x (B*L)");
        Var red = sig.k.shared("red", Scalar.FLOAT, WARPS * nr * mats * MAX_ROWS);

        Scope b = sig.k.body();
        Var tid = b.let("tid", threadIdx(Axis.X));
        Var warp = b.let("warp", tid.div(32));
        Var lane = b.let("lane", tid.mod(32));
        Var group = b.let("group", lane.div(K_LANES));
        Var part = b.let("part", lane.mod(K_LANES));
        // row groups along x, next to each other: past 16 rows, the blocks of one tile read its weights from L2 in turn
        Var m0 = b.let("m0", blockIdx(Axis.X).cast(Scalar.INT64).mul(MAX_ROWS));
        Var n0 = b.let("n0", blockIdx(Axis.Y).cast(Scalar.INT64).mul(nr));
        Expr k0 = lit64(0), kEnd = lit64(k);
        if (split) {
            k0 = b.let("k0", blockIdx(Axis.Z).cast(Scalar.INT64).mul(t.splitLength()));
            kEnd = b.let("k_end", min(k0.add(t.splitLength()), lit64(k)));
        }
        if (!"false".equals(System.getProperty("hyenac.gemv.prefetch"))) prefetchWeights(b, w, tid, n0, k0, kEnd, n, k, nr, st);
        b.awaitPredecessors();
        Var held = b.let("held", min(rows.sub(m0), lit64(MAX_ROWS)).cast(Scalar.INT));
        b.comment("The smallest copy of the loop that holds this block's rows of x (every thread takes the same branch).");
        Body body = new Body(s, t, x, w, out, partials, rows, red, tid, warp, lane, group, part, n0, k0, kEnd, m0, held, st, unroll);
        variants(b, body, held, tensorCores(t, st) ? TENSOR_VARIANTS : ROW_VARIANTS, 0);

        List<String> about = new ArrayList<>();
        about.add("GEMV for few rows (a decode step): " + s.formula() + ", W" + (mats == 2 ? "0, W1" : "0") + " [" + n + ", " + k + "], rows <= 16 per block;");
        about.add("blocks of " + nr + " features, " + WARPS + " warps along K in " + chunk * st.bytes() + "-byte chunks, lanes reading " + v * st.bytes()
                + " bytes of W (past L1) and of x, fp32 sums reduced by shuffles and in shared memory in a fixed order;");
        about.add(split ? "K split across " + t.splits() + " blocks of " + t.splitLength() + ": fp32 partial sums to scratch, reduced by the next kernel."
                : "epilogue fused" + (tag.isEmpty() ? " (none)" : ": " + tag.replace('_', ' ')) + ".");
        return sig.build("gemv", new Launch(Extent.rows().ceilDiv(MAX_ROWS), Extent.of(t.tiles(n)), Extent.of(t.splits()), THREADS, 1, 1), about);
    }

    /**
     * The weights depend on no earlier kernel (no kernel writes them; a GPU optimiser step that did would have to
     * come with its own wait): before waiting for the previous kernel to finish, each thread asks L2
     * for one 128-byte line of what the block reads first (the start of each of its weight rows' K range), 32 KiB a
     * block, so memory stays busy across the launch boundary; the loop's loads then find them there.
     * {@code -Dhyenac.gemv.prefetch=false} leaves it out (for measurements).
     */
    private static void prefetchWeights(Scope b, List<Var> w, Var tid, Var n0, Expr k0, Expr kEnd, long n, long k, int nr, Scalar st) {
        int mats = w.size(), linesPerRow = THREADS / (nr * mats), perLine = 128 / st.bytes();
        b.comment("Before waiting for the previous kernel: the first " + linesPerRow * 128 + " bytes of each weight row this block reads, into L2.");
        Var feature = b.let("prefetch_feature", n0.add(tid.mod(nr)));
        Var j = b.let("prefetch_line", tid.div(nr));
        Var at = b.let("prefetch_at", k0.add(j.mod(linesPerRow).cast(Scalar.INT64).mul(perLine)));
        Expr inside = feature.lt(lit64(n)).and(at.lt(kEnd));
        for (int m = 0; m < mats; m++) {
            Var wm = w.get(m);
            Expr mine = mats == 1 ? inside : inside.and(j.div(linesPerRow).eq(lit(m)));
            b.when(mine, then -> Ptx.prefetchL2(then, Expr.offset(wm, feature.mul(k).add(at))));
        }
    }

    /** What every variant of the main loop reads. */
    private record Body(Spec s, Tiling t, Var x, List<Var> w, Outputs out, Var partials, Var rows, Var red, Var tid, Var warp, Var lane, Var group,
                        Var part, Var n0, Expr k0, Expr kEnd, Var m0, Var held, Scalar st, int unroll) {}

    /**
     * Whether rows past two take the tensor cores: bf16 with 16-byte loads. Sixteen rows on the CUDA cores cost 16 fp32
     * FMAs per weight, more than an H100 issues while the weights stream; an mma does them in one instruction per 16×8×16.
     */
    static boolean tensorCores(Tiling t, Scalar storage) { return storage == Scalar.BF16 && t.vector() == 8; }

    /** {@code if (held <= 1) {…} else if (held <= 2) {…} … else {the last}}: the last of {@code counts}, or the tensor-core loop past them. */
    private static void variants(Scope s, Body body, Var held, int[] counts, int i) {
        int rowsHeld = counts[i];
        boolean last = i == counts.length - 1;
        if (last && counts != TENSOR_VARIANTS) {
            loop(s, body, rowsHeld);
            return;
        }
        s.when(held.le(rowsHeld), then -> loop(then, body, rowsHeld),
                otherwise -> {
                    if (last) tensorLoop(otherwise, body);
                    else variants(otherwise, body, held, counts, i + 1);
                });
    }

    /** The main loop for {@code rowsHeld} rows of x, then the reductions and the store. */
    private static void loop(Scope s, Body c, int rowsHeld) {
        Spec spec = c.s();
        Tiling t = c.t();
        int mats = spec.matrices(), rl = t.rowsPerLane(), nr = t.features(), v = t.vector(), r = mats * rl;
        long n = spec.n(), k = spec.k(), chunk = t.chunk();
        // more chunks in flight per lane where few sums leave registers for them: more loads in flight per thread
        int unroll = rowsHeld <= 2 ? c.unroll() : 1;
        boolean wide = v * c.st().bytes() >= 4;
        boolean ragged = n % nr != 0;

        Var acc = s.array("acc", Scalar.FLOAT, r * rowsHeld);
        s.unrolled("a", lit(0), lit(r * rowsHeld), (a, body) -> body.set(acc.at(a), lit(0.0f)));
        Var wv = s.array("wv", Scalar.FLOAT, unroll * r * v);
        Var xv = s.array("xv", Scalar.FLOAT, v);
        s.loop("c", c.k0().add(c.warp().mul(chunk)), c.kEnd(), lit(WARPS * chunk * unroll), (ch, loop) -> {
            List<Var> at = new ArrayList<>();
            loop.comment("Weights first: every load of this step in flight before the sums need them.");
            for (int u = 0; u < unroll; u++) {
                Var ku = loop.let("at" + u, ch.add((long) u * WARPS * chunk).add(c.part().mul(v)));
                at.add(ku);
                int uu = u;
                for (int m = 0; m < mats; m++) {
                    int mm = m;
                    loop.unrolled("i", lit(0), lit(rl), (i, each) -> {
                        Var feature = each.let("feature", c.n0().add(i.mul(ROW_GROUPS)).add(c.group()));
                        Expr slot = lit(uu * r + mm * rl).add(i).mul(v);
                        Expr inside = ragged ? ku.lt(c.kEnd()).and(feature.lt(lit64(n))) : ku.lt(c.kEnd());
                        each.when(inside,
                                then -> vector(then, c.w().get(mm), feature.mul(k).add(ku), wv, slot, v, true, wide),
                                otherwise -> otherwise.unrolled("j", lit(0), lit(v), (j, zero) -> zero.set(wv.at(slot.add(j)), lit(0.0f))));
                    });
                }
            }
            for (int u = 0; u < unroll; u++) {
                Var ku = at.get(u);
                int uu = u;
                loop.unrolled("row", lit(0), lit(rowsHeld), (row, sums) -> {
                    sums.when(ku.lt(c.kEnd()).and(row.lt(c.held())),
                            then -> vector(then, c.x(), c.m0().add(row).mul(k).add(ku), xv, lit(0), v, false, wide),
                            otherwise -> otherwise.unrolled("j", lit(0), lit(v), (j, zero) -> zero.set(xv.at(j), lit(0.0f))));
                    sums.unrolled("q", lit(0), lit(r), (q, inner) -> inner.unrolled("j", lit(0), lit(v), (j, fma) ->
                            fma.inc(acc.at(q.mul(rowsHeld).add(row)), wv.at(lit(uu * r).add(q).mul(v).add(j)).mul(xv.at(j)))));
                });
            }
        });
        s.comment("The 8 lanes of a row group summed different parts of the same rows: add them up (each lane gets the total).");
        s.unrolled("a", lit(0), lit(r * rowsHeld), (a, body) -> {
            for (int mask = 1; mask < K_LANES; mask *= 2) body.inc(acc.at(a), shuffleXor(acc.at(a), mask));
        });
        s.when(c.part().eq(lit(0)), first -> first.unrolled("q", lit(0), lit(r), (q, each) -> each.unrolled("row", lit(0), lit(rowsHeld), (row, st) ->
                st.set(c.red().at(redIndex(c.warp(), q.mod(rl).mul(ROW_GROUPS).add(c.group()), q.div(rl), row, nr, mats)), acc.at(q.mul(rowsHeld).add(row))))));
        finish(s, c, rowsHeld);
    }

    /**
     * Rows 3 to 16 on the tensor cores: per 64-element chunk of K a lane loads 16 bytes of one weight row per n8 tile
     * and of two rows of x (g and g + 8, g = lane / 4) at elements 8t … 8t + 7 of each 32-element half (t = lane % 4),
     * and each half is two mma.m16n8k16 (A = x, B = Wᵀ). A sum over K does not care in which order the elements come:
     * the fragments' k slots 2t, 2t + 1, 2t + 8, 2t + 9 of step e hold elements 8t + 4e … 8t + 4e + 3, in x and in W
     * alike, so each lane's one 16-byte load per row feeds both steps. A matrix's features fill ⌈features / 8⌉ tiles.
     */
    private static void tensorLoop(Scope s, Body c) {
        Spec spec = c.s();
        Tiling t = c.t();
        int mats = spec.matrices(), nr = t.features(), perMatrix = Math.ceilDiv(nr, 8), tiles = mats * perMatrix;
        long n = spec.n(), k = spec.k(), chunk = t.chunk();
        Var g = s.let("g", c.lane().div(4));
        Var t4 = s.let("t4", c.lane().mod(4));
        Var acc = s.array("dacc", Scalar.FLOAT, 4 * tiles);
        s.unrolled("a", lit(0), lit(4 * tiles), (a, body) -> body.set(acc.at(a), lit(0.0f)));
        Var wr = s.array("wr", Scalar.B32, 2 * tiles * 4);
        Var xr = s.array("xr", Scalar.B32, 2 * 2 * 4);
        s.loop("c", c.k0().add(c.warp().mul(chunk)), c.kEnd(), lit(WARPS * chunk), (ch, loop) -> {
            loop.comment("Every load of the chunk in flight before the first mma.");
            List<Var> at = new ArrayList<>();
            for (int h = 0; h < 2; h++) at.add(loop.let("at" + h, ch.add(32L * h).add(t4.mul(8))));
            for (int h = 0; h < 2; h++) {
                Var ku = at.get(h);
                for (int tile = 0; tile < tiles; tile++) {
                    int mat = tile / perMatrix, first = tile % perMatrix * 8, base = (h * tiles + tile) * 4;
                    Var f = loop.let("f" + h + "_" + tile, g.add(first));
                    Expr feature = c.n0().add(f);
                    Expr inside = ku.lt(c.kEnd());
                    if (first + 8 > nr) inside = inside.and(f.lt(nr));
                    if (n % nr != 0) inside = inside.and(feature.lt(lit64(n)));
                    loop.when(inside, then -> Ptx.loadGlobal128(then, regs(wr, base), Expr.offset(c.w().get(mat), feature.mul(k).add(ku)), true),
                            otherwise -> zero(otherwise, wr, base));
                }
                for (int half = 0; half < 2; half++) {
                    int base = (h * 2 + half) * 4;
                    Var row = loop.let("r" + h + "_" + half, g.add(8 * half));
                    loop.when(ku.lt(c.kEnd()).and(row.lt(c.held())),
                            then -> Ptx.loadGlobal128(then, regs(xr, base), Expr.offset(c.x(), c.m0().add(row).mul(k).add(ku)), false),
                            otherwise -> zero(otherwise, xr, base));
                }
            }
            for (int h = 0; h < 2; h++) {
                for (int e = 0; e < 2; e++) {
                    int x0 = h * 8, x8 = h * 8 + 4;
                    List<Expr> a = List.of(xr.at(lit(x0 + 2 * e)), xr.at(lit(x8 + 2 * e)), xr.at(lit(x0 + 2 * e + 1)), xr.at(lit(x8 + 2 * e + 1)));
                    for (int tile = 0; tile < tiles; tile++) {
                        int base = (h * tiles + tile) * 4;
                        Ptx.mmaBf16(loop, List.of(acc.at(lit(4 * tile)), acc.at(lit(4 * tile + 1)), acc.at(lit(4 * tile + 2)), acc.at(lit(4 * tile + 3))),
                                a, List.of(wr.at(lit(base + 2 * e)), wr.at(lit(base + 2 * e + 1))));
                    }
                }
            }
        });
        s.comment("Accumulators: rows g and g + 8, features 2t and 2t + 1 of each tile, to the warps' sums in shared memory.");
        for (int tile = 0; tile < tiles; tile++) {
            int mat = tile / perMatrix, first = tile % perMatrix * 8, tt = tile;
            for (int j = 0; j < 2; j++) {
                int jj = j;
                Var f = s.let("sf" + tile + "_" + j, t4.mul(2).add(first + j));
                s.when(f.lt(nr), st -> {
                    for (int half = 0; half < 2; half++) {
                        st.set(c.red().at(redIndex(c.warp(), f, lit(mat), g.add(8 * half), nr, mats)), acc.at(lit(4 * tt + 2 * half + jj)));
                    }
                });
            }
        }
        finish(s, c, MAX_ROWS);
    }

    private static List<Expr> regs(Var array, int first) {
        return List.of(array.at(lit(first)), array.at(lit(first + 1)), array.at(lit(first + 2)), array.at(lit(first + 3)));
    }

    private static void zero(Scope s, Var array, int first) {
        // a b32 register is made by an instruction: two zeros packed
        for (int i = 0; i < 4; i++) Ptx.packBf16x2(s, array.at(lit(first + i)), lit(0.0f), lit(0.0f));
    }

    /** The warps' sums, waiting in shared memory, added in warp order by one thread per (feature, row); then the epilogue or the split's partial sums. */
    private static void finish(Scope s, Body c, int rowsHeld) {
        Spec spec = c.s();
        int mats = spec.matrices(), nr = c.t().features();
        long n = spec.n();
        boolean ragged = n % nr != 0;
        s.barrier();
        s.comment("One thread per (feature, row): the warps' sums in warp order, then the epilogue or the split's partial sums.");
        s.when(c.tid().lt(nr * rowsHeld), last -> {
            Var f = last.let("f", c.tid().div(rowsHeld));
            Var row = last.let("row", c.tid().mod(rowsHeld));
            Var feature = last.let("feature", c.n0().add(f));
            Expr keep = row.lt(c.held());
            if (ragged) keep = keep.and(feature.lt(lit64(n)));
            last.when(keep, store -> {
                Var m = store.let("m", c.m0().add(row));
                List<Expr> sums = new ArrayList<>();
                for (int mat = 0; mat < mats; mat++) {
                    int mm = mat;
                    Var sum = store.var("sum" + mat, Scalar.FLOAT, lit(0.0f));
                    store.unrolled("from", lit(0), lit(WARPS), (from, add) -> add.inc(sum, c.red().at(redIndex(from, f, lit(mm), row, nr, mats))));
                    sums.add(sum);
                }
                if (c.partials() != null) {
                    Expr split = blockIdx(Axis.Z).cast(Scalar.INT64);
                    for (int mat = 0; mat < mats; mat++) {
                        store.set(c.partials().at(split.mul(mats).add(mat).mul(c.rows()).add(m).mul(n).add(feature)), sums.get(mat));
                    }
                } else {
                    epilogue(store, spec, sums, m, feature, c.out());
                }
            });
        });
    }

    /** Where warp {@code from}'s sum for local feature {@code f} of matrix {@code mat} and row {@code row} waits in shared memory. */
    private static Expr redIndex(Expr from, Expr f, Expr mat, Expr row, int nr, int mats) {
        return from.mul(nr).add(f).mul(mats).add(mat).mul(MAX_ROWS).add(row);
    }

    /** {@code count} elements of {@code src} from {@code index} into {@code into[slot …]}: one wide load where the sizes allow. */
    private static void vector(Scope s, Var src, Expr index, Var into, Expr slot, int count, boolean streaming, boolean wide) {
        if (wide) {
            List<Expr> targets = new ArrayList<>();
            for (int j = 0; j < count; j++) targets.add(into.at(slot.add(j)));
            s.loadVector(src, index, targets, streaming);
        } else {
            // K odd in bf16: no two elements of a row start 4-byte aligned
            for (int j = 0; j < count; j++) s.set(into.at(slot.add(j)), load(src, index.add(j)));
        }
    }

    /** y[m, n] from the sums: biases, the activation, the product of the two matrices, the residual, in that order. */
    private static void epilogue(Scope s, Spec spec, List<Expr> sums, Expr m, Expr feature, Outputs out) {
        List<Var> p = new ArrayList<>();
        for (int mat = 0; mat < spec.matrices(); mat++) {
            Expr value = sums.get(mat);
            if (spec.bias()) value = value.add(load(out.bias().get(mat), feature));
            p.add(s.let("p" + mat, value));
        }
        Var y = p.getFirst();
        if (spec.activation() != Primitive.IDENTITY) y = s.let("act", Activations.apply(spec.activation(), y));
        // rounded on its own, as the elementwise kernel's product
        if (spec.matrices() == 2) y = s.let("gated", Expr.call(MathFn.MUL_RN, y, p.get(1)));
        Expr index = m.mul(spec.n()).add(feature);
        Expr result = spec.residual() ? y.add(load(out.residual(), index)) : y;
        s.store(out.y(), index, result);
    }

    /** The second kernel of a split GEMV: one thread per output, the splits' partial sums added in order, then the epilogue. */
    private static GeneratedKernel reduce(Spec s, Tiling t, Precision p) {
        Scalar st = p.storage();
        int mats = s.matrices();
        long n = s.n();
        String tag = s.epilogueTag();
        Signature sig = new Signature("gemv_reduce_n" + n + (mats == 2 ? "_x2" : "") + "_s" + t.splits() + (tag.isEmpty() ? "" : "_" + tag) + "_" + p.suffix(),
                THREADS);
        Var partials = sig.input("partials", Scalar.FLOAT, "partial sums [" + t.splits() + ", " + mats + ", rows, " + n + "]");
        Outputs out = outputs(sig, s, st);
        Var rows = sig.scalar("rows", Scalar.INT64, "rows of x (B*L)");

        Scope b = sig.k.body();
        Var i = Pointwise.globalIndex(b, THREADS);
        b.when(i.ge(rows.mul(n)), Scope::exit);
        Var m = b.let("m", i.div(n));
        Var feature = b.let("feature", i.mod(n));
        List<Expr> sums = new ArrayList<>();
        for (int mat = 0; mat < mats; mat++) {
            int mm = mat;
            Var sum = b.var("sum" + mat, Scalar.FLOAT, lit(0.0f));
            b.loop("split", lit(0), lit(t.splits()), lit(1), (split, add) ->
                    add.inc(sum, partials.at(split.cast(Scalar.INT64).mul(mats).add(mm).mul(rows).add(m).mul(n).add(feature))));
            sums.add(sum);
        }
        epilogue(b, s, sums, m, feature, out);
        return sig.build("gemv_reduce", Launch.linear(Extent.rows().times(n).ceilDiv(THREADS), THREADS),
                List.of("The partial sums of a GEMV split " + t.splits() + " ways along K, added in split order, then " + s.formula() + ";",
                        "one thread per output."));
    }
}
