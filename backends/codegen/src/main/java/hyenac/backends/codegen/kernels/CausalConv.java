package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Direct causal convolution along time with zero history, y[t, c] = Σ_{j<K} h_g[j]·x[t−j, c] (+ skip[c]·x[t, c]),
 * g = c / (C/G), and the fused Hyena core that convolves k ⊙ v read straight from the featurizer's
 * interleaved output and gates the result with q, or that computes the featurizer itself on its loads of the input
 * projection's output ({@link Featurizer}).
 *
 * <p>Tiling: a block of 32 × 8 threads owns 32 channels × 64 time steps of one sequence. It stages the 64 + K − 1
 * inputs those outputs read (the K − 1 before the tile are the halo; before t = 0 they are the zero history)
 * in shared memory once, then each thread computes 8 outputs of its channel from shared memory. Taps are
 * fp32 and read through the cache: the threads of a warp serve at most a few filter groups.
 */
public final class CausalConv {
    private CausalConv() {}

    public static final int TILE_C = 32, ROWS = 8, TILE_T = 64, THREADS = TILE_C * ROWS;
    /** The longest filter staged in shared memory with its halo (within 48 KiB); longer ones, fused or not, stream from global memory. */
    public static final int MAX_TAPS = 256;
    /** Tap loops up to this length are unrolled. */
    static final int UNROLL_TAPS = 16;

    /** How the taps of each filter are stored. */
    public enum Taps {
        /** FIR order: tap 0 multiplies the current token (Hyena-MR, LI). */
        FIR,
        /** Cross-correlation order (PyTorch conv1d): the last tap multiplies the current token (featurizer, Hyena-SE). */
        XCORR;

        public static Taps of(String attr) { return "xcorr".equals(attr) ? XCORR : FIR; }

        String spelling() { return name().toLowerCase(Locale.ROOT); }
    }

    /** A bank of {@code groups} filters of {@code len} taps over {@code channels} channels, with or without a per-channel skip. */
    public record Filter(long channels, int len, long groups, Taps taps, boolean skip) {
        public Filter {
            if (channels <= 0 || len <= 0 || groups <= 0) throw new IllegalArgumentException("bad filter " + channels + "/" + len + "/" + groups);
            if (channels % groups != 0) throw new IllegalArgumentException(channels + " channels do not divide into " + groups + " filter groups");
        }

        /** Channels per group. */
        public long groupSize() { return channels / groups; }

        String tag() { return "c" + channels + "_k" + len + "_g" + groups + "_" + taps.spelling() + (skip ? "_skip" : ""); }

        /** The taps as a kernel parameter h [groups, len]. */
        Var tapsParam(Signature sig, Precision p) {
            return sig.input("h", p.filter(), "weight taps [" + groups + ", " + len + "], " + taps.spelling() + " order");
        }

        /** The skip weights as a kernel parameter skip [channels], or null for a filter without. */
        Var skipParam(Signature sig, Precision p) {
            return skip ? sig.input("skip", p.filter(), "weight skip [" + channels + "]") : null;
        }

        public String describe() {
            return groups + " filter" + (groups == 1 ? "" : "s") + " of " + len + " taps (" + taps.spelling() + " order) over " + channels
                    + " channels" + (skip ? ", with skip" : "");
        }
    }

    /** The direct convolution: staged in shared memory up to {@link #MAX_TAPS} taps, straight from global memory beyond. */
    public static GeneratedKernel direct(Filter f, Precision p) {
        return f.len() <= MAX_TAPS ? tiled(f, null, p, false, Primitive.IDENTITY) : untiled(f, null, p, false, Primitive.IDENTITY);
    }

    /**
     * One thread per output, reading its inputs through the cache: for filters too long to stage with their
     * halo (the FFT is the better algorithm there, but any length stays possible).
     */
    private static GeneratedKernel untiled(Filter f, Filter featurizer, Precision p, boolean core, Primitive gate) {
        long C = f.channels();
        Scalar st = p.storage();
        String io = Signature.shape("B", "L", C);
        Signature sig = new Signature(entry(f, featurizer, p, core, gate), Pointwise.THREADS);
        Var in = core ? coreInput(sig, C, featurizer, p) : sig.input("x", st, "input " + io);
        Featurizer fz = featurizer == null ? null : Featurizer.params(sig, featurizer, p);
        Var h = f.tapsParam(sig, p);
        Var skip = f.skipParam(sig, p);
        Var y = sig.output("y", st, "result " + io);
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, Pointwise.THREADS);
        s.when(i.ge(rows.mul(C)), Scope::exit);
        Var c = s.let("c", i.mod(C).cast(Scalar.INT));
        Var t = s.let("t", i.div(C).mod(length));
        Expr g = f.groupSize() == 1 ? c : s.let("g", c.div(f.groupSize()));
        Var first = fz == null ? null : s.let("first_row", i.div(C).sub(t));
        // the core's input j steps back is s = k * v of that element: read from z in place, or featurized from u there
        // (its variables named with {@code tag}: the skip's and the taps' loop's)
        Input input = (at, back, tag) -> {
            Expr element = back == null ? i : i.sub(back.mul(C));
            if (!core) return load(in, element);
            if (fz == null) return load(in, element.mul(3).add(1)).mul(load(in, element.mul(3).add(2)));
            Var when = at.let("t_" + tag, back == null ? t : t.sub(back));
            Var k = fz.at(at, "k_" + tag, in, first, when, c.mul(3).add(1), 3 * C, p);
            return k.mul(fz.at(at, "v_" + tag, in, first, when, c.mul(3).add(2), 3 * C, p));
        };
        Var acc = s.var("acc", Scalar.FLOAT, skip != null ? load(skip, c).mul(input.at(s, null, "now")) : lit(0.0f));
        s.comment("Taps reaching before t = 0 meet the zero history.");
        Var taps = s.let("taps", Expr.min(t.add(1), lit64(f.len())));
        s.loop("j", lit64(0), taps, lit(1), (j, body) -> body.inc(acc, tap(h, g, j, f).mul(input.at(body, j, "back"))));
        if (core) {
            Var q = fz == null ? s.let("q", load(in, i.mul(3))) : fz.at(s, "q", in, first, t, c.mul(3), 3 * C, p);
            s.store(y, i, (gate == Primitive.IDENTITY ? q : s.let("gate", Activations.apply(gate, q))).mul(acc));
        } else {
            s.store(y, i, acc);
        }
        List<String> about = new ArrayList<>();
        if (core) about.addAll(coreAbout(f, featurizer, gate));
        else about.add("Direct causal convolution, zero history: " + f.describe() + ".");
        about.add("Too long to stage in shared memory: one thread per output, inputs through the cache; fp32 sums.");
        return sig.build(core ? "hyena_core" : "causal_conv", Launch.linear(Extent.rows().times(C).ceilDiv(Pointwise.THREADS), Pointwise.THREADS), about);
    }

    /** The untiled kernel's input {@code back} steps before its output (null: its own step), in scope {@code at}. */
    private interface Input {
        Expr at(Scope at, Expr back, String tag);
    }

    private static String entry(Filter f, Filter featurizer, Precision p, boolean core, Primitive gate) {
        return (core ? "hyena_core_" : "causal_conv_") + f.tag() + featureTag(featurizer) + (core && gate != Primitive.IDENTITY ? "_" + gate : "")
                + "_" + p.suffix();
    }

    /** "_feat_k3_g192_xcorr" for a core that computes this featurizer, "" for none (its channels are 3C, implied). */
    static String featureTag(Filter featurizer) {
        return featurizer == null ? "" : "_feat_" + featurizer.tag().substring(featurizer.tag().indexOf('_') + 1);
    }

    /** A core's input: z, or u where it computes the featurizer itself. */
    static Var coreInput(Signature sig, long channels, Filter featurizer, Precision p) {
        String shape = Signature.shape("B", "L", 3 * channels);
        return featurizer == null ? sig.input("z", p.storage(), "featurizer output " + shape + ", q, k, v interleaved")
                : sig.input("u", p.storage(), "input projection " + shape + " before the featurizer, q, k, v interleaved");
    }

    static List<String> coreAbout(Filter f, Filter featurizer, Primitive gate) {
        String y = "Fused Hyena core: y = " + (gate == Primitive.IDENTITY ? "q" : gate + "(q)") + " * (h * s" + (f.skip() ? " + skip * s" : "")
                + "), s = k * v, reading q, k, v";
        if (featurizer == null) return List.of(y, "interleaved from the featurizer output; h: " + f.describe() + ".");
        return List.of(y, "interleaved from z = featurizer(u), computed on the loads of the input projection u (the featurizer: "
                + featurizer.describe() + ",", "summed as its own kernel sums it and rounded as the plan stores z); h: " + f.describe() + ".");
    }

    /**
     * The featurizer inside a Hyena core's kernel: its taps {@code h} [groups, len] and skip over the 3C channels of u.
     * {@link #at} computes one z as the featurizer's own direct kernel does ({@link #direct}: skip ⊙ u first, then the
     * taps j = 0 … K − 1 in order, fp32) and rounds it to the storage type as the unfused plan stores z, so the core
     * computes on the very numbers it would read from z, bit for bit.
     */
    record Featurizer(Filter filter, Var h, Var skip) {
        static Featurizer params(Signature sig, Filter f, Precision p) {
            Var h = sig.input("feature_h", p.filter(), "weight featurizer taps [" + f.groups() + ", " + f.len() + "], " + f.taps().spelling() + " order");
            Var skip = f.skip() ? sig.input("feature_skip", p.filter(), "weight featurizer skip [" + f.channels() + "]") : null;
            return new Featurizer(f, h, skip);
        }

        /**
         * z[t, channel] from u [B, L, width], {@code first} the row of the sequence's t = 0: the loads before t = 0 are the
         * zero history, never read.
         */
        Var at(Scope s, String name, Var u, Expr first, Expr t, Expr channel, long width, Precision p) {
            Var ch = s.let(name + "_channel", channel);
            Expr g = filter.groupSize() == 1 ? ch : s.let(name + "_group", ch.div(filter.groupSize()));
            Function<Expr, Expr> input = j -> select(t.sub(j).ge(0), load(u, first.add(t).sub(j).mul(width).add(ch)), lit(0.0f));
            Var acc = s.var(name + "_sum", Scalar.FLOAT, skip == null ? lit(0.0f) : load(skip, ch).mul(input.apply(lit(0))));
            BiConsumer<Var, Scope> step = (j, body) -> body.inc(acc, tap(h, g, j, filter).mul(input.apply(j)));
            if (filter.len() <= UNROLL_TAPS) s.unrolled(name + "_j", lit(0), lit(filter.len()), step);
            else s.loop(name + "_j", lit(0), lit(filter.len()), lit(1), step);
            return s.let(name, p.storage() == Scalar.BF16 ? Expr.toFloat(Expr.toStorage(Scalar.BF16, acc)) : acc);
        }
    }

    private static Expr lit64(long v) { return Expr.lit64(v); }

    /**
     * y = act(q) ⊙ (h ∗ s + skip ⊙ s), s = k ⊙ v, from z = [B, L, 3C] holding q, k, v interleaved
     * (channel c reads 3c, 3c+1, 3c+2): the gate-conv-gate of Hyena-SE and MR in one pass over z.
     */
    public static GeneratedKernel hyenaCore(Filter f, Primitive gate, Precision p) { return hyenaCore(f, null, gate, p); }

    /**
     * As {@link #hyenaCore(Filter, Primitive, Precision)}, from the input projection u [B, L, 3C] where {@code featurizer}
     * is not null: the kernel computes z = featurizer(u) on its loads ({@link Featurizer}), so z is never stored.
     */
    public static GeneratedKernel hyenaCore(Filter f, Filter featurizer, Primitive gate, Precision p) {
        if (!gate.activation()) throw new IllegalArgumentException("unknown gate activation " + gate);
        if (featurizer != null && !supportsFeaturizer(f, featurizer)) {
            throw new IllegalArgumentException("the direct core computes a featurizer of 3 x " + f.channels() + " channels and at most " + UNROLL_TAPS
                    + " taps, not " + featurizer.describe());
        }
        return f.len() <= MAX_TAPS ? tiled(f, featurizer, p, true, gate) : untiled(f, featurizer, p, true, gate);
    }

    /** Whether the direct core computes {@code featurizer} on its loads: the featurizer of its 3C channels, its taps unrolled. */
    public static boolean supportsFeaturizer(Filter f, Filter featurizer) {
        return featurizer.channels() == 3 * f.channels() && featurizer.len() <= UNROLL_TAPS;
    }

    private static GeneratedKernel tiled(Filter f, Filter featurizer, Precision p, boolean core, Primitive gate) {
        if (f.len() > MAX_TAPS) throw new IllegalArgumentException(f.len() + " taps is too long for a direct convolution (at most " + MAX_TAPS + ")");
        long C = f.channels();
        int halo = f.len() - 1;
        int tileSize = (TILE_T + halo) * TILE_C;
        Scalar st = p.storage();
        String io = Signature.shape("B", "L", C);
        Signature sig = new Signature(entry(f, featurizer, p, core, gate), THREADS);
        Var in = core ? coreInput(sig, C, featurizer, p) : sig.input("x", st, "input " + io);
        Featurizer fz = featurizer == null ? null : Featurizer.params(sig, featurizer, p);
        Var h = f.tapsParam(sig, p);
        Var skip = f.skipParam(sig, p);
        Var y = sig.output("y", st, "result " + io);
        Var length = sig.scalar("length", Scalar.INT64, "L");
        Var tile = sig.k.shared("tile", Scalar.FLOAT, tileSize);

        Scope s = sig.k.body();
        Var tx = s.let("tx", threadIdx(Axis.X));
        Var ty = s.let("ty", threadIdx(Axis.Y));
        Var c0 = s.let("c0", blockIdx(Axis.X).mul(TILE_C));
        Var t0 = s.let("t0", blockIdx(Axis.Y).cast(Scalar.INT64).mul(TILE_T));
        Var row0 = s.let("row0", blockIdx(Axis.Z).cast(Scalar.INT64).mul(length));
        s.comment("Stage " + (core ? "s = k * v" + (fz != null ? " (k, v = featurizer(u) there)" : "") : "x") + " at times [t0 - " + halo + ", t0 + "
                + TILE_T + ") for channels [c0, c0 + " + TILE_C + "): tile[(t - t0 + " + halo + ") * " + TILE_C + " + (c - c0)].");
        s.comment("Times before 0 are the zero history; positions past the end or past channel " + (C - 1) + " stage zeros, never stored.");
        s.loop("e", ty.mul(TILE_C).add(tx), lit(tileSize), lit(THREADS), (e, body) -> {
            Var t = body.let("t", t0.sub(halo).add(e.div(TILE_C)));
            Var cc = body.let("cc", c0.add(e.mod(TILE_C)));
            Expr inside = t.ge(0).and(t.lt(length)).and(cc.lt(C));
            if (fz != null) {
                // the featurizer's loads stay inside the sequence: computed only where the staged step is
                body.set(tile.at(e), lit(0.0f));
                body.when(inside, at -> {
                    Var k = fz.at(at, "k", in, row0, t, cc.mul(3).add(1), 3 * C, p);
                    Var v = fz.at(at, "v", in, row0, t, cc.mul(3).add(2), 3 * C, p);
                    at.set(tile.at(e), k.mul(v));
                });
                return;
            }
            Expr value;
            if (core) {
                Var at = body.let("at", row0.add(t).mul(C).add(cc).mul(3));
                value = load(in, at.add(1)).mul(load(in, at.add(2)));
            } else {
                value = load(in, row0.add(t).mul(C).add(cc));
            }
            body.set(tile.at(e), select(inside, value, lit(0.0f)));
        });
        s.barrier();
        s.blank();
        Var c = s.let("c", c0.add(tx));
        s.when(c.ge(C), Scope::exit);
        Expr g = f.groupSize() == 1 ? c : s.let("g", c.div(f.groupSize()));
        s.loop("r", ty, lit(TILE_T), lit(ROWS), (r, body) -> {
            Var t = body.let("t", t0.add(r));
            body.when(t.lt(length), out -> {
                Expr current = tile.at(r.add(halo).mul(TILE_C).add(tx));
                Var acc = out.var("acc", Scalar.FLOAT, skip != null ? load(skip, c).mul(current) : lit(0.0f));
                taps(out, f, (j, lb) -> lb.inc(acc, tap(h, g, j, f).mul(tile.at(r.add(halo).sub(j).mul(TILE_C).add(tx)))));
                Var at = out.let("at", row0.add(t).mul(C).add(c));
                if (core) {
                    Var q = fz == null ? out.let("q", load(in, at.mul(3))) : fz.at(out, "q", in, row0, t, c.mul(3), 3 * C, p);
                    Expr gated = gate == Primitive.IDENTITY ? q : out.let("gate", Activations.apply(gate, q));
                    out.store(y, at, gated.mul(acc));
                } else {
                    out.store(y, at, acc);
                }
            });
        });

        List<String> about = new ArrayList<>();
        if (core) {
            about.addAll(coreAbout(f, featurizer, gate));
        } else {
            about.add("Direct causal convolution, zero history: " + f.describe() + ".");
        }
        about.add("Blocks of 32 channels x 64 steps stage their inputs (+ " + halo + " halo steps) in shared memory; fp32 sums.");
        return sig.build(core ? "hyena_core" : "causal_conv", launch(C), about);
    }

    static Launch launch(long channels) {
        return new Launch(Extent.of(Math.ceilDiv(channels, TILE_C)), Extent.length().ceilDiv(TILE_T), Extent.batch(), TILE_C, ROWS, 1);
    }

    /** A loop over the taps j = 0 … K−1, unrolled when short. */
    static void taps(Scope s, Filter f, java.util.function.BiConsumer<Var, Scope> body) {
        if (f.len() <= UNROLL_TAPS) s.unrolled("j", lit(0), lit(f.len()), body);
        else s.loop("j", lit(0), lit(f.len()), lit(1), body);
    }

    /** The tap of filter g that multiplies the input j steps back, whatever the storage order. */
    static Expr tap(Var h, Expr g, Expr j, Filter f) {
        Expr k = f.taps() == Taps.FIR ? j : lit(f.len() - 1).sub(j);
        return load(h, g.mul(f.len()).add(k));
    }
}
