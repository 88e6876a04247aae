package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.exp;
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
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;

/**
 * The modal scan: a modal filter (Hyena-LI, h[t] = Σₙ Rₙ·λₙ^t with 0 < λ < 1, as long as the sequence) is an IIR, so
 * its convolution is exactly the diagonal recurrence Sₙ[t] = λₙ·Sₙ[t−1] + s[t], y[t] = Σₙ Rₙ·Sₙ[t] (+ skip·s[t]),
 * which this computes as a chunked scan, time cut into chunks of T steps ({@link Blocking#chunk}), in three kernels:
 * <ol>
 *   <li>{@link #states}: one thread per (sequence, channel, chunk) runs its chunk from a zero state and writes the
 *       modes' end states to scratch [B, chunks, modes, C] (fp32; consecutive threads are consecutive channels, so a warp's
 *       stores are coalesced);</li>
 *   <li>{@link #carry}: one thread per (sequence, channel, mode) walks the chunks in order, carry ← λ^T·carry + local,
 *       replacing each chunk's local end state with its incoming state (the state before it);</li>
 *   <li>{@link #output}: one thread per (sequence, channel, chunk) re-runs its chunk from its incoming state and writes y;
 *       for a Hyena core s = k ⊙ v from z and y = act(q) ⊙ (…).</li>
 * </ol>
 * No FFT and no materialised filter: per step, channel and mode three FMAs (its state in each of the two passes over the
 * chunk, and its share of y), all fp32 in registers, storage the precision's; the input is read twice. The last chunk
 * may be partial: its end state is never needed, so the first kernel skips it. λ comes from the weights in each thread
 * (exp of log λ; λ^T as exp(T·log λ), not T products, so the carry across many chunks stays exact).
 *
 * <p>As a core the scan may also compute the featurizer (a depthwise FIR of at most {@value #MAX_FEATURIZER_TAPS} taps
 * over the 3C channels) from the input projection's output u, so z is never stored: the first and third kernels read u
 * where they would read z, keep each of their columns' last K − 1 rows of u in registers (a chunk starts by reading
 * the K − 1 rows before it, zeros before t = 0), and form z as the featurizer's own direct kernel sums it, rounded to the
 * storage type as the unfused plan stores z, so they compute on the very numbers they would have read.
 */
public final class ModalScan {
    private ModalScan() {}

    /**
     * How the work is cut: chunks of {@code chunk} steps, {@code threads} channels per block (of one sequence and chunk),
     * {@code ahead} steps' inputs loaded before their recurrence runs (the carry: twice as many chunks), so the loads of a
     * thread's dependent chain overlap.
     */
    public record Blocking(int chunk, int threads, int ahead) {
        public Blocking {
            if (chunk < 1 || ahead < 1 || chunk % ahead != 0) throw new IllegalArgumentException("bad blocking: chunks of " + chunk + ", " + ahead + " ahead");
            if (threads < 1 || threads > Launch.MAX_THREADS || threads % 32 != 0) throw new IllegalArgumentException("bad block of " + threads + " threads");
        }

        public String tag() { return "t" + chunk; }

        /** Chunks the carry loads before walking them. */
        public int carryAhead() { return 2 * ahead; }

        /** The blocks a multiprocessor is asked to hold: 128 registers a thread, room for 16 modes' states, poles, residues and inputs. */
        public int blocksPerMultiprocessor() { return Math.max(1, 512 / threads); }
    }

    /**
     * Chunks of 128 steps, 128 channels a block, 8 steps ahead: Evo 2's 4096 channels at 8192 steps are 262,144 threads
     * (two waves of an H100 at 128 registers a thread), and the scratch (written, read and written, read: 256 bytes per
     * channel and chunk of 16 modes) is 256/T = 2 bytes per channel and step, a sixth of the core's 12 in bf16.
     */
    public static final Blocking DEFAULT = new Blocking(128, 128, 8);

    /** The most modes a thread holds in registers (three floats each: state, pole, residue). */
    public static final int MAX_MODES = 32;

    /**
     * The longest featurizer the scan computes on its loads: its taps and each column's last K − 1 rows of u sit in
     * registers beside the modes' (Evo 2's has 3 taps).
     */
    public static final int MAX_FEATURIZER_TAPS = 8;

    /** Whether the scan's core computes {@code featurizer} on its loads of u: the featurizer of its 3C channels, short enough. */
    public static boolean supportsFeaturizer(Filter f, CausalConv.Filter featurizer) {
        return featurizer.channels() == 3 * f.channels() && featurizer.len() <= MAX_FEATURIZER_TAPS;
    }

    /** Hyena-LI's filter: h[c, t] = Σₙ residues[c, n]·exp(log_poles[c, n]·t), one per channel. */
    public record Filter(long channels, int modes, boolean skip) {
        public Filter {
            if (channels < 1 || modes < 1) throw new IllegalArgumentException("a modal filter of " + channels + " channels and " + modes + " modes");
        }

        public String tag() { return "c" + channels + "_m" + modes + (skip ? "_skip" : ""); }

        String describe() { return "modal filters (" + modes + " modes) over " + channels + " channels" + (skip ? ", with skip" : ""); }
    }

    /** The filter of modal convolution node {@code n} over {@code channels}. */
    public static Filter filter(Node n, long channels) {
        if (!n.is(Primitive.MODAL_CONV)) throw new IllegalArgumentException(n.op() + " is not a modal convolution");
        return new Filter(channels, Math.toIntExact(n.intAttr("modes")), n.boolAttr("skip"));
    }

    /** Whether the scan takes {@code f}: its modes fit a thread's registers. Any length and batch, either precision. */
    public static boolean supports(Filter f) { return f.modes() <= MAX_MODES; }

    /** The scratch's floats: B · ceil(L / T) · modes · C, of which the formula here gives the factor after B · ceil(L / T). */
    public static long scratchPerChunk(Filter f) { return f.modes() * f.channels(); }

    /** The scratch's name for convolution node {@code conv}. */
    public static String scratchName(Node conv) { return "n" + conv.id() + ".scan_states"; }

    /**
     * A thread's place: its channel (blocks along x; a thread past the last exits), the block's index along y ({@code
     * what}: its chunk, or the carry's mode), its sequence (z), and the chunk count.
     */
    private record Place(Var c, Var y, Var b, Var chunks) {}

    private static Place place(Scope s, Filter f, Blocking k, Var length, String what) {
        Var c = s.let("c", blockIdx(Axis.X).mul(k.threads()).add(threadIdx(Axis.X)));
        s.when(c.ge(lit(f.channels())), Scope::exit);
        Var y = s.let(what, blockIdx(Axis.Y));
        Var b = s.let("b", blockIdx(Axis.Z).cast(Scalar.INT64));
        Var chunks = s.let("chunks", length.add(k.chunk() - 1).div(k.chunk()));
        return new Place(c, y, b, chunks);
    }

    /** Where mode n's state of chunk j lies in the scratch [B, chunks, modes, C]. */
    private static Expr slot(Filter f, Place here, Expr chunk, Expr n) {
        return here.b().mul(here.chunks()).add(chunk).mul(f.modes()).add(n).mul(f.channels()).add(here.c());
    }

    /**
     * Where a thread's chunk reads its input: x, z (s = k ⊙ v, beside it q), or u, z then formed on the loads by the
     * featurizer. {@link #read} loads the input of one step, the row of [B, L, C] it is at given; {@link #form} then
     * computes the loaded steps' s (and q) where z is formed from u.
     */
    private static final class Source {
        final Filter f;
        final boolean core;
        final Precision p;
        final Var in;
        /** With a featurizer: its parameters, the columns of u used (q = 0, k = 1, v = 2) and for each its taps, skip and window. */
        final CausalConv.Featurizer featurizer;
        final List<Integer> columns;
        final Var[] taps, skip, window;
        /** The rows of u before a step that its z reads (the featurizer's K − 1), kept at the front of each window. */
        final int history;
        final int ahead;

        private Source(Signature sig, Filter f, boolean core, CausalConv.Filter featurizer, boolean withQ, Precision p, int ahead) {
            this.f = f;
            this.core = core;
            this.p = p;
            this.ahead = ahead;
            in = core ? CausalConv.coreInput(sig, f.channels(), featurizer, p) : sig.input("x", p.storage(), "input " + Signature.shape("B", "L", f.channels()));
            this.featurizer = featurizer == null ? null : CausalConv.Featurizer.params(sig, featurizer, p);
            columns = withQ ? List.of(0, 1, 2) : List.of(1, 2);
            taps = new Var[3];
            skip = new Var[3];
            window = new Var[3];
            history = featurizer == null ? 0 : featurizer.len() - 1;
        }

        /** The input of a kernel: x, or for a core z, or u where {@code featurizer} is not null; {@code withQ}: q too, not only k and v. */
        static Source of(Signature sig, Filter f, boolean core, CausalConv.Filter featurizer, boolean withQ, Precision p, Blocking k) {
            if (featurizer != null && (!core || !supportsFeaturizer(f, featurizer))) {
                throw new IllegalArgumentException("the scan's core computes a featurizer of 3 x " + f.channels() + " channels and at most "
                        + MAX_FEATURIZER_TAPS + " taps, not " + featurizer.describe() + (core ? "" : " in a plain convolution"));
            }
            return new Source(sig, f, core, featurizer, withQ, p, k.ahead());
        }

        static String column(int col) { return "qkv".substring(col, col + 1); }

        /**
         * With a featurizer, before the chunk's first step at {@code row} (time {@code t0}): the taps and skip of this
         * thread's columns into registers, and the K − 1 rows of u before the chunk into the front of the windows (zeros
         * before t = 0, as the featurizer's zero history).
         */
        void start(Scope s, Var c, Var row, Var t0) {
            if (featurizer == null) return;
            CausalConv.Filter fz = featurizer.filter();
            s.comment("The featurizer's taps of this channel's " + (columns.size() == 3 ? "q, k, v" : "k, v") + " columns of u, and the " + history
                    + " rows of u before the chunk (zeros before t = 0).");
            for (int col : columns) {
                String name = "u_" + column(col);
                Var ch = s.let(name + "_channel", c.mul(3).add(col));
                Expr g = fz.groupSize() == 1 ? ch : s.let(name + "_group", ch.div(fz.groupSize()));
                Var w = taps[col] = s.array(name + "_taps", Scalar.FLOAT, fz.len());
                s.unrolled("tap", lit(0), lit(fz.len()), (j, body) -> body.set(w.at(j), CausalConv.tap(featurizer.h(), g, j, fz)));
                if (featurizer.skip() != null) skip[col] = s.let(name + "_skip", load(featurizer.skip(), ch));
                Var rows = window[col] = s.array(name, Scalar.FLOAT, history + ahead);
                if (history > 0) {
                    s.unrolled("back", lit(1), lit(history + 1), (back, body) -> body.set(rows.at(lit(history).sub(back)),
                            select(t0.ge(back), load(in, row.sub(back.mul(f.channels())).mul(3).add(col)), lit(0.0f))));
                }
            }
        }

        /** Loads step {@code i} of the group at row {@code r}: s (and q) from x or z, or u into the windows. */
        void read(Scope s, Expr i, Expr r, Var sv, Var qv) {
            if (featurizer != null) {
                for (int col : columns) s.set(window[col].at(lit(history).add(i)), load(in, r.mul(3).add(col)));
                return;
            }
            s.set(sv.at(i), core ? load(in, r.mul(3).add(1)).mul(load(in, r.mul(3).add(2))) : load(in, r));
            if (qv != null) s.set(qv.at(i), load(in, r.mul(3)));
        }

        /**
         * With a featurizer, after a group's {@link #read}s: each step's z summed as the featurizer's own direct kernel sums
         * it (skip ⊙ u, then the taps j = 0 … K − 1 in order) and rounded as the unfused plan stores z, s = k ⊙ v and q from
         * it; then the windows' last K − 1 rows moved to their front for the next group.
         */
        void form(Scope s, Var sv, Var qv) {
            if (featurizer == null) return;
            int len = featurizer.filter().len();
            boolean bf16 = p.storage() == Scalar.BF16;
            s.unrolled("i", lit(0), lit(ahead), (i, step) -> {
                Var[] z = new Var[3];
                for (int col : columns) {
                    Var rows = window[col], w = taps[col];
                    String name = "z_" + column(col);
                    Var sum = step.var(name + "_sum", Scalar.FLOAT, skip[col] != null ? skip[col].mul(rows.at(lit(history).add(i))) : lit(0.0f));
                    step.unrolled("tap", lit(0), lit(len), (j, tap) -> tap.inc(sum, w.at(j).mul(rows.at(lit(history).add(i).sub(j)))));
                    z[col] = step.let(name, bf16 ? Expr.toFloat(Expr.toStorage(Scalar.BF16, sum)) : sum);
                }
                step.set(sv.at(i), z[1].mul(z[2]));
                if (qv != null) step.set(qv.at(i), z[0]);
            });
            if (history > 0) {
                s.unrolled("m", lit(0), lit(history), (m, shift) -> {
                    for (int col : columns) shift.set(window[col].at(m), window[col].at(m.add(ahead)));
                });
            }
        }

        /** How the kernel's header names its input. */
        String describe() { return core ? "s = k * v read from z" : "s = x"; }

        /** The header's lines on the featurizer formed on the loads. */
        List<String> aboutFeaturizer() {
            return List.of("s = k * v from z = featurizer(u), computed on the loads of u (the featurizer: " + featurizer.filter().describe() + ",",
                    "summed as its own kernel sums it and rounded as the plan stores z);");
        }
    }

    private static String endStates(Blocking k) { return "end states [B, ceil(L / " + k.chunk() + "), modes, C], fp32"; }

    private static Launch perChunk(Filter f, Blocking k) {
        return new Launch(Extent.of(Math.ceilDiv(f.channels(), k.threads())), Extent.length().ceilDiv(k.chunk()), Extent.batch(), k.threads(), 1, 1);
    }

    /**
     * The first kernel: each chunk but the last run from a zero state, its modes' end states written to {@code states}.
     * {@code core}: s = k ⊙ v from z, else x.
     */
    public static GeneratedKernel states(Filter f, boolean core, Precision p, Blocking k) { return states(f, core, null, p, k); }

    /** The first kernel of the core from u, z = {@code featurizer}(u) formed on the loads ({@link #supportsFeaturizer}). */
    public static GeneratedKernel states(Filter f, CausalConv.Filter featurizer, Precision p, Blocking k) { return states(f, true, featurizer, p, k); }

    private static GeneratedKernel states(Filter f, boolean core, CausalConv.Filter featurizer, Precision p, Blocking k) {
        int modes = f.modes(), u = k.ahead();
        Signature sig = new Signature("scan_states_" + (core ? "core_" : "") + f.tag() + CausalConv.featureTag(featurizer) + "_" + k.tag() + "_" + p.suffix(),
                k.threads());
        sig.k.minBlocksPerMultiprocessor(k.blocksPerMultiprocessor());
        Source in = Source.of(sig, f, core, featurizer, false, p, k);
        Var logPoles = sig.input("log_poles", p.filter(), "weight log_poles [" + f.channels() + ", " + modes + "]");
        Var out = sig.output("states", p.filter(), "scratch: each chunk's " + endStates(k));
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Place here = place(s, f, k, length, "j");
        Var t0 = s.let("t0", here.y().cast(Scalar.INT64).mul(k.chunk()));
        s.comment("The last chunk's end state is never read: every state it needs comes from the chunks before it.");
        s.when(t0.add(k.chunk()).ge(length), Scope::exit);
        Var lambda = s.array("lambda", Scalar.FLOAT, modes);
        Var state = s.array("state", Scalar.FLOAT, modes);
        s.unrolled("n", lit(0), lit(modes), (n, body) -> {
            body.set(lambda.at(n), exp(logPoles.at(here.c().mul(modes).add(n))));
            body.set(state.at(n), lit(0.0f));
        });
        Var row = s.let("row", here.b().mul(length).add(t0).mul(f.channels()).add(here.c()));
        in.start(s, here.c(), row, t0);
        s.comment("Whole chunks: " + u + " steps' inputs loaded, then their recurrence.");
        s.loop("tau", lit(0), lit(k.chunk()), lit(u), (tau, step) -> {
            Var sv = step.array("sv", Scalar.FLOAT, u);
            step.unrolled("i", lit(0), lit(u), (i, load) -> in.read(load, i, row.add(tau.add(i).mul(f.channels())), sv, null));
            in.form(step, sv, null);
            step.unrolled("i", lit(0), lit(u), (i, run) -> run.unrolled("n", lit(0), lit(modes),
                    (n, mode) -> mode.set(state.at(n), lambda.at(n).mul(state.at(n)).add(sv.at(i)))));
        });
        s.unrolled("n", lit(0), lit(modes), (n, body) -> body.set(out.at(slot(f, here, here.y(), n)), state.at(n)));
        List<String> about = new ArrayList<>();
        about.add("Modal scan, 1 of 3: the end states of each chunk of " + k.chunk() + " steps from a zero state, S = lambda * S + s,");
        if (featurizer != null) about.addAll(in.aboutFeaturizer());
        about.add((featurizer == null ? in.describe() + "; " : "") + f.describe() + "; one thread per (sequence, channel, chunk), fp32.");
        return sig.build("scan_states", perChunk(f, k), about);
    }

    /**
     * The second kernel: per (sequence, channel, mode), the chunks in order, carry ← λ^T·carry + local[j], each chunk's
     * slot of {@code states} replaced by its incoming state (the carry before it). The last chunk's slot, which the first
     * kernel left unwritten, only receives. Loads run {@link Blocking#carryAhead} chunks ahead of the dependent chain.
     */
    public static GeneratedKernel carry(Filter f, Blocking k) {
        int modes = f.modes(), u = k.carryAhead();
        Signature sig = new Signature("scan_carry_c" + f.channels() + "_m" + modes + "_" + k.tag(), k.threads());
        Var logPoles = sig.input("log_poles", Scalar.FLOAT, "weight log_poles [" + f.channels() + ", " + modes + "]");
        Var states = sig.output("states", Scalar.FLOAT, "scratch: in, each chunk's " + endStates(k) + "; out, each chunk's incoming states");
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Place here = place(s, f, k, length, "n");
        Var n = here.y();
        s.comment("lambda^T in one exp, not T products: the carry over many chunks stays as exact as one step.");
        Var whole = s.let("whole", exp(logPoles.at(here.c().mul(modes).add(n)).mul(lit((float) k.chunk()))));
        Var carry = s.var("carry", Scalar.FLOAT, lit(0.0f));
        Var last = s.let("last", here.chunks().sub(1));
        s.loop("j0", Scalar.INT64, Expr.lit64(0), j0 -> j0.lt(here.chunks()), hyenac.backends.codegen.Stmt.AssignOp.ADD, lit(u), (j0, group) -> {
            Var own = group.array("own", Scalar.FLOAT, u);
            group.unrolled("i", lit(0), lit(u), (i, load) -> {
                Var j = load.let("jl", j0.add(i));
                load.set(own.at(i), select(j.lt(last), states.at(slot(f, here, j, n)), lit(0.0f)));
            });
            group.unrolled("i", lit(0), lit(u), (i, walk) -> {
                Var j = walk.let("jw", j0.add(i));
                walk.when(j.lt(here.chunks()), inside -> {
                    inside.set(states.at(slot(f, here, j, n)), carry);
                    inside.set(carry, whole.mul(carry).add(own.at(i)));
                });
            });
        });
        return sig.build("scan_carry", new Launch(Extent.of(Math.ceilDiv(f.channels(), k.threads())), Extent.of(modes), Extent.batch(), k.threads(), 1, 1),
                List.of("Modal scan, 2 of 3: each chunk's incoming states, carry = lambda^" + k.chunk() + " * carry + the chunk's own end state,",
                        "walked chunk by chunk in place; " + f.describe() + "; one thread per (sequence, channel, mode), fp32."));
    }

    /**
     * The third kernel: each chunk from its incoming state (the carry's {@code states}), y = Σₙ Rₙ·Sₙ (+ skip·s); with
     * {@code gate} null the plain convolution of x, otherwise the Hyena core y = gate(q) ⊙ (…), s = k ⊙ v from z.
     */
    public static GeneratedKernel output(Filter f, Primitive gate, Precision p, Blocking k) { return output(f, null, gate, p, k); }

    /**
     * The third kernel; with {@code featurizer} not null the core from u, z = featurizer(u) formed on the loads ({@link
     * #supportsFeaturizer}).
     */
    public static GeneratedKernel output(Filter f, CausalConv.Filter featurizer, Primitive gate, Precision p, Blocking k) {
        if (gate != null && !gate.activation()) throw new IllegalArgumentException("unknown gate activation " + gate);
        boolean core = gate != null;
        int modes = f.modes(), u = k.ahead();
        Scalar st = p.storage();
        String entry = (core ? "scan_core_" : "scan_conv_") + f.tag() + CausalConv.featureTag(featurizer) + "_" + k.tag()
                + (core && gate != Primitive.IDENTITY ? "_" + gate : "") + "_" + p.suffix();
        Signature sig = new Signature(entry, k.threads());
        sig.k.minBlocksPerMultiprocessor(k.blocksPerMultiprocessor());
        Source in = Source.of(sig, f, core, featurizer, true, p, k);
        Var logPoles = sig.input("log_poles", p.filter(), "weight log_poles [" + f.channels() + ", " + modes + "]");
        Var residues = sig.input("residues", p.filter(), "weight residues [" + f.channels() + ", " + modes + "]");
        Var skip = f.skip() ? sig.input("skip", p.filter(), "weight skip [" + f.channels() + "]") : null;
        Var states = sig.input("states", p.filter(), "scratch: each chunk's incoming states [B, ceil(L / " + k.chunk() + "), modes, C], fp32");
        Var y = sig.output("y", st, "result " + Signature.shape("B", "L", f.channels()));
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Place here = place(s, f, k, length, "j");
        Var t0 = s.let("t0", here.y().cast(Scalar.INT64).mul(k.chunk()));
        Var lambda = s.array("lambda", Scalar.FLOAT, modes);
        Var residue = s.array("residue", Scalar.FLOAT, modes);
        Var state = s.array("state", Scalar.FLOAT, modes);
        s.unrolled("n", lit(0), lit(modes), (n, body) -> {
            Var w = body.let("w", here.c().mul(modes).add(n));
            body.set(lambda.at(n), exp(logPoles.at(w)));
            body.set(residue.at(n), residues.at(w));
            body.set(state.at(n), states.at(slot(f, here, here.y(), n)));
        });
        Var d = skip == null ? null : s.let("d", skip.at(here.c()));
        Var steps = s.let("steps", Expr.min(length.sub(t0), Expr.lit64(k.chunk())).cast(Scalar.INT));
        Var row = s.let("row", here.b().mul(length).add(t0).mul(f.channels()).add(here.c()));
        in.start(s, here.c(), row, t0);
        s.comment("The last chunk may be partial: its loads stay at its last step and its stores stop there.");
        s.loop("tau", lit(0), steps, lit(u), (tau, step) -> {
            Var sv = step.array("sv", Scalar.FLOAT, u);
            Var qv = core ? step.array("qv", Scalar.FLOAT, u) : null;
            step.unrolled("i", lit(0), lit(u), (i, load) -> {
                Var r = load.let("r", row.add(Expr.min(tau.add(i), steps.sub(1)).mul(f.channels())));
                in.read(load, i, r, sv, qv);
            });
            in.form(step, sv, qv);
            step.unrolled("i", lit(0), lit(u), (i, run) -> {
                Var acc = run.var("acc", Scalar.FLOAT, d == null ? lit(0.0f) : d.mul(sv.at(i)));
                run.unrolled("n", lit(0), lit(modes), (n, mode) -> {
                    mode.set(state.at(n), lambda.at(n).mul(state.at(n)).add(sv.at(i)));
                    mode.inc(acc, residue.at(n).mul(state.at(n)));
                });
                run.when(tau.add(i).lt(steps), store -> {
                    Var o = store.let("o", row.add(tau.add(i).mul(f.channels())));
                    if (core) {
                        Var q = store.let("q", qv.at(i));
                        Expr gated = gate == Primitive.IDENTITY ? q : store.let("gq", Activations.apply(gate, q));
                        store.store(y, o, gated.mul(acc));
                    } else {
                        store.store(y, o, acc);
                    }
                });
            });
        });
        List<String> about = new ArrayList<>();
        about.add("Modal scan, 3 of 3: " + (core ? "the Hyena core y = " + (gate == Primitive.IDENTITY ? "q" : gate + "(q)") + " * (h * s"
                + (f.skip() ? " + skip * s" : "") + ")" + (featurizer == null ? ", s = k * v from z," : ",") : "y = h * x" + (f.skip() ? " + skip * x" : "") + ","));
        if (featurizer != null) about.addAll(in.aboutFeaturizer());
        about.add("each chunk of " + k.chunk() + " steps from its incoming states: S = lambda * S + s, h * s = sum(residue * S);");
        about.add(f.describe() + "; one thread per (sequence, channel, chunk), fp32.");
        return sig.build(core ? "scan_core" : "scan_conv", perChunk(f, k), about);
    }
}
