package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.cos;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.fmax;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.lit64;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.min;
import static hyenac.backends.codegen.Expr.negInfinity;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.shuffleXor;
import static hyenac.backends.codegen.Expr.sin;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.backends.codegen.MathFn;
import hyenac.backends.codegen.kernels.CausalConv.Filter;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BinaryOperator;
import java.util.function.Consumer;

/**
 * The recurrent (decode) forms of the stateful primitives, one token per sequence per step:
 * <ul>
 *   <li>FIR ring step: y = Σⱼ h[j]·x_(t−j) (+ skip·x_t) from a ring of the last K−1 inputs, then x_t joins the ring;
 *   <li>FIR ring prefill: the ring after a prompt (its last K−1 inputs, oldest in slot 0);
 *   <li>modal scan: the diagonal IIR of Hyena-LI, state ← λ·state + s, y = Σₙ R·state + D·s, over any number of
 *       tokens (1 to decode; the prompt to build the state after it);
 *   <li>KV append + attend: rotate q and k at the token's position, append k and v to the cache, attend over it;
 *   <li>a Hyena mixer's whole step between its projections: featurizer, gate products and inner filter in one kernel.
 * </ul>
 */
public final class Decode {
    private Decode() {}

    public static final int THREADS = 256, SCAN_THREADS = 64, ATTEND_THREADS = 256;
    /** kv_attend: warps, keys each warp has in flight, and keys per chunk of the online softmax (one score per thread). */
    static final int ATTEND_WARPS = ATTEND_THREADS / 32, ATTEND_KEYS = 16, ATTEND_CHUNK = ATTEND_WARPS * ATTEND_KEYS;
    /** Rings up to this many taps (Hyena-MR's 128) are read in an unrolled loop by a fused step. */
    static final int UNROLL_RING = 128;

    /** The state a FIR node keeps while decoding: its ring of the last len − 1 inputs. */
    public static String ringState(Node n) { return "n" + n.id() + ".ring"; }

    /** The state a modal node keeps while decoding: its modes' recurrence. */
    public static String modalState(Node n) { return "n" + n.id() + ".modal"; }

    /**
     * One step of a causal FIR. The ring holds per (sequence, channel) the last K−1 inputs; slot next = (steps
     * since the prompt) mod (K−1) receives this step's input, so the input j steps back sits in slot
     * (next − j) mod (K−1). The step count comes from the decode clock in device memory, so a captured step
     * replays unchanged.
     */
    public static GeneratedKernel firStep(Filter f, Precision p) {
        long C = f.channels();
        int k = f.len() - 1;
        Scalar st = p.storage();
        Signature sig = new Signature("fir_step_" + f.tag() + "_" + p.suffix(), THREADS);
        Var x = sig.input("x", st, "this step's input " + Signature.shape("B", C));
        Var ring = k > 0 ? sig.output("ring", st, "state: last " + k + " inputs " + Signature.shape("B", C, k)) : null;
        Var h = f.tapsParam(sig, p);
        Var skip = f.skipParam(sig, p);
        Var y = sig.output("y", st, "result " + Signature.shape("B", C));
        Var batch = sig.scalar("batch", Scalar.INT64, "B");
        Var clock = k > 0 ? sig.input("clock", Scalar.INT64, "decode clock [position, steps since the prompt]") : null;

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(batch.mul(C)), Scope::exit);
        Var c = s.let("c", i.mod(C).cast(Scalar.INT));
        Expr g = f.groupSize() == 1 ? c : s.let("g", c.div(f.groupSize()));
        Var xt = s.let("xt", load(x, i));
        Var acc = s.var("acc", Scalar.FLOAT, CausalConv.tap(h, g, lit(0), f).mul(xt));
        if (skip != null) s.inc(acc, load(skip, c).mul(xt));
        if (k > 0) {
            Var next = s.let("next", clock.at(1).mod(k).cast(Scalar.INT));
            Var base = s.let("base", i.mul(k));
            s.loop("j", lit(1), lit(f.len()), lit(1), (j, body) ->
                    body.inc(acc, CausalConv.tap(h, g, j, f).mul(load(ring, base.add(next.sub(j).add(k).mod(k))))));
            s.comment("The oldest input (j = " + k + ") was in slot `next`: this step's input takes its place.");
            s.set(ring.at(base.add(next)), x.at(i));
        }
        s.store(y, i, acc);
        return sig.build("fir_step", Launch.linear(Extent.batch().times(C).ceilDiv(THREADS), THREADS),
                List.of("One decode step of a causal FIR: " + f.describe() + ";",
                        k > 0 ? "the last " + k + " inputs per channel in a ring; one thread per (sequence, channel)."
                              : "a single tap needs no history; one thread per (sequence, channel)."));
    }

    /** The ring after a prompt x [B, L, C]: slot i holds x[L − (K−1) + i] (zero before the start); decoding continues at next = 0. */
    public static GeneratedKernel firPrefill(Filter f, Precision p) {
        long C = f.channels();
        int k = f.len() - 1;
        if (k == 0) throw new IllegalArgumentException("a one-tap filter keeps no history");
        Scalar st = p.storage();
        Signature sig = new Signature("fir_prefill_c" + C + "_k" + f.len() + "_" + p.suffix(), THREADS);
        Var x = sig.input("x", st, "the prompt's input " + Signature.shape("B", "L", C));
        Var ring = sig.output("ring", st, "state " + Signature.shape("B", C, k));
        Var batch = sig.scalar("batch", Scalar.INT64, "B");
        Var length = sig.scalar("length", Scalar.INT64, "L");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(batch.mul(C * k)), Scope::exit);
        Var slot = s.let("slot", i.mod(k).cast(Scalar.INT));
        Var bc = s.let("bc", i.div(k));
        Var c = s.let("c", bc.mod(C));
        Var t = s.let("t", length.sub(k).add(slot));
        s.set(ring.at(i), select(t.ge(0), x.at(bc.div(C).mul(length).add(t).mul(C).add(c)), Expr.toStorage(st, lit(0.0f))));
        return sig.build("fir_prefill", Launch.linear(Extent.batch().times(C * k).ceilDiv(THREADS), THREADS),
                List.of("FIR ring after a prompt: the last " + k + " inputs of each of " + C + " channels, oldest in slot 0."));
    }

    /**
     * The Hyena-LI recurrence over {@code steps} tokens of s [B, steps, C]: per channel c and mode n,
     * state ← λ·state + s_t, then y_t = Σₙ R·state + skip·s_t, λ = exp(log_pole). One thread per
     * (sequence, channel) holds its modes in registers and runs the recurrence in fp64, as the reference does;
     * the state is stored as fp32 between calls.
     */
    public static GeneratedKernel modalScan(long channels, int modes, boolean skip, Precision p) {
        if (modes <= 0 || modes > 64) throw new IllegalArgumentException("modes must be in [1, 64], got " + modes);
        Scalar st = p.storage();
        Signature sig = new Signature("modal_scan_c" + channels + "_m" + modes + (skip ? "_skip" : "") + "_" + p.suffix(), SCAN_THREADS);
        Var sIn = sig.input("s", st, "pre-gate input " + Signature.shape("B", "steps", channels));
        Var y = sig.output("y", st, "result " + Signature.shape("B", "steps", channels));
        Var state = sig.output("state", p.filter(), "state " + Signature.shape("B", channels, modes));
        Var logPoles = sig.input("log_poles", p.filter(), "weight log_poles [" + channels + ", " + modes + "]");
        Var residues = sig.input("residues", p.filter(), "weight residues [" + channels + ", " + modes + "]");
        Var skipW = skip ? sig.input("skip", p.filter(), "weight skip [" + channels + "]") : null;
        Var batch = sig.scalar("batch", Scalar.INT64, "B");
        Var steps = sig.scalar("steps", Scalar.INT64, "tokens to run (1 to decode, L to prefill)");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, SCAN_THREADS);
        s.when(i.ge(batch.mul(channels)), Scope::exit);
        Var c = s.let("c", i.mod(channels).cast(Scalar.INT));
        Var b = s.let("b", i.div(channels));
        s.comment("The recurrence runs in fp64 (as the reference's); the state is stored back as fp32.");
        Var lambda = s.array("lambda", Scalar.DOUBLE, modes);
        Var residue = s.array("residue", Scalar.DOUBLE, modes);
        Var x = s.array("x", Scalar.DOUBLE, modes);
        s.unrolled("n", lit(0), lit(modes), (n, body) -> {
            body.set(lambda.at(n), exp(logPoles.at(c.mul(modes).add(n)).cast(Scalar.DOUBLE)));
            body.set(residue.at(n), residues.at(c.mul(modes).add(n)).cast(Scalar.DOUBLE));
            body.set(x.at(n), state.at(i.mul(modes).add(n)).cast(Scalar.DOUBLE));
        });
        Expr d = skipW == null ? null : s.let("d", skipW.at(c).cast(Scalar.DOUBLE));
        s.loop("t", lit64(0), steps, lit(1), (t, body) -> {
            Var at = body.let("at", b.mul(steps).add(t).mul(channels).add(c));
            Var st0 = body.let("st", load(sIn, at).cast(Scalar.DOUBLE));
            Var acc = body.var("acc", Scalar.DOUBLE, d == null ? lit(0.0) : d.mul(st0));
            body.unrolled("n", lit(0), lit(modes), (n, inner) -> {
                inner.set(x.at(n), lambda.at(n).mul(x.at(n)).add(st0));
                inner.inc(acc, residue.at(n).mul(x.at(n)));
            });
            body.store(y, at, acc);
        });
        s.unrolled("n", lit(0), lit(modes), (n, body) -> body.store(state, i.mul(modes).add(n), x.at(n)));
        return sig.build("modal_scan", Launch.linear(Extent.batch().times(channels).ceilDiv(SCAN_THREADS), SCAN_THREADS),
                List.of("Hyena-LI as a diagonal IIR over " + channels + " channels x " + modes + " modes" + (skip ? " with skip" : "") + ":",
                        "state = lambda * state + s; y = sum(residue * state) + skip * s, in fp64; one thread per (sequence, channel)."));
    }

    private static Expr lit64(long v) { return Expr.lit64(v); }

    /** The inner filter of a Hyena step: a bank of FIR filters through its ring, or the modal recurrence through its state. */
    public sealed interface Inner {
        long channels();

        record Fir(Filter filter) implements Inner {
            @Override public long channels() { return filter.channels(); }
        }

        record Modal(long channels, int modes, boolean skip) implements Inner {
            public Modal {
                if (modes <= 0 || modes > 64) throw new IllegalArgumentException("modes must be in [1, 64], got " + modes);
            }
        }
    }

    /**
     * One decode step of a Hyena mixer between its projections ({@link hyenac.ir.fusion.FuseHyenaStep}), from the input
     * projection z [B, 3C] to y [B, C]: the featurizer's FIR step on channels 3c, 3c + 1, 3c + 2 of z (where there is
     * a featurizer; each channel with its ring), q, k, v deinterleaved, s = k·v, the inner filter's step on s (its ring,
     * or its modes in fp64), y = act(q)·filter(s). One thread per (sequence, channel): each reads only its own three
     * channels and states, so the step is one launch where the unfused step took four and three round trips through
     * memory. Products are rounded on their own, as the elementwise kernels round them; rings hold the storage type,
     * the modal state fp32, as the unfused step kernels keep them, so a prefill fills them as before.
     */
    public static GeneratedKernel hyenaStep(Filter featurizer, Inner inner, Primitive gate, Precision p) {
        long C = inner.channels();
        if (featurizer != null && featurizer.channels() != 3 * C) {
            throw new IllegalArgumentException("the featurizer's " + featurizer.channels() + " channels are not 3 x " + C);
        }
        if (!gate.activation()) throw new IllegalArgumentException(gate + " is not an activation");
        Scalar st = p.storage();
        int k0 = featurizer == null ? 0 : featurizer.len() - 1;
        Filter fir = inner instanceof Inner.Fir f ? f.filter() : null;
        Inner.Modal modal = inner instanceof Inner.Modal m ? m : null;
        int k1 = fir == null ? 0 : fir.len() - 1;
        String innerTag = fir != null ? fir.tag().substring(fir.tag().indexOf('_') + 1) : "m" + modal.modes() + (modal.skip() ? "_skip" : "");
        String featureTag = featurizer == null ? "" : "_feat_" + featurizer.tag().substring(featurizer.tag().indexOf('_') + 1);
        Signature sig = new Signature("hyena_step_c" + C + featureTag + "_" + innerTag + (gate != Primitive.IDENTITY ? "_" + gate : "") + "_" + p.suffix(),
                SCAN_THREADS);
        Var z = sig.input("z", st, "the input projection " + Signature.shape("B", 3 * C) + ", q, k, v interleaved" + (featurizer == null ? "" : " before the featurizer"));
        Var featureRing = k0 > 0 ? sig.output("feature_ring", st, "state: the featurizer's last " + k0 + " inputs " + Signature.shape("B", 3 * C, k0)) : null;
        Var featureH = null, featureSkip = null;
        if (featurizer != null) {
            featureH = sig.input("feature_h", p.filter(), "weight featurizer taps [" + featurizer.groups() + ", " + featurizer.len() + "], "
                    + featurizer.taps().name().toLowerCase(java.util.Locale.ROOT) + " order");
            if (featurizer.skip()) featureSkip = sig.input("feature_skip", p.filter(), "weight featurizer skip [" + 3 * C + "]");
        }
        Var ring = k1 > 0 ? sig.output("ring", st, "state: the filter's last " + k1 + " inputs " + Signature.shape("B", C, k1)) : null;
        Var h = fir != null ? fir.tapsParam(sig, p) : null;
        Var state = null, logPoles = null, residues = null;
        if (modal != null) {
            state = sig.output("state", p.filter(), "state " + Signature.shape("B", C, modal.modes()));
            logPoles = sig.input("log_poles", p.filter(), "weight log_poles [" + C + ", " + modal.modes() + "]");
            residues = sig.input("residues", p.filter(), "weight residues [" + C + ", " + modal.modes() + "]");
        }
        boolean innerSkip = fir != null ? fir.skip() : modal.skip();
        Var skip = innerSkip ? sig.input("skip", p.filter(), "weight skip [" + C + "]") : null;
        Var y = sig.output("y", st, "result " + Signature.shape("B", C));
        Var batch = sig.scalar("batch", Scalar.INT64, "B");
        Var clock = k0 > 0 || k1 > 0 ? sig.input("clock", Scalar.INT64, "decode clock [position, steps since the prompt]") : null;

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, SCAN_THREADS);
        s.when(i.ge(batch.mul(C)), Scope::exit);
        Var c = s.let("c", i.mod(C).cast(Scalar.INT));
        // a ring of one slot is always at slot 0: only longer ones need the step count
        Var steps = k0 > 1 || k1 > 1 ? s.let("steps", clock.at(1)) : null;
        List<Var> parts = new ArrayList<>();
        String[] names = {"q", "k", "v"};
        for (int part = 0; part < 3; part++) {
            // channel 3c + part of z: element 3i + part of [B, 3C], i = b·C + c
            Var at = s.let("at_" + names[part], i.mul(3).add(part));
            if (featurizer == null) {
                parts.add(s.let(names[part], load(z, at)));
                continue;
            }
            Var channel = s.let("channel_" + names[part], c.mul(3).add(part));
            Expr g = featurizer.groupSize() == 1 ? channel : s.let("group_" + names[part], channel.div(featurizer.groupSize()));
            parts.add(firStepOf(s, names[part], featurizer, featureH, featureSkip, featureRing, g, channel, at, load(z, at), z.at(at), steps, k0));
        }
        s.comment("s = k * v, rounded on its own as the elementwise kernel's product.");
        Var product = s.let("s", Expr.call(MathFn.MUL_RN, parts.get(1), parts.get(2)));
        Var filtered;
        if (fir != null) {
            Expr g = fir.groupSize() == 1 ? c : s.let("g", c.div(fir.groupSize()));
            filtered = firStepOf(s, "filtered", fir, h, skip, ring, g, c, i, product, Expr.toStorage(st, product), steps, k1);
        } else {
            filtered = modalStepOf(s, modal, state, logPoles, residues, skip, c, i, product);
        }
        Var q = parts.getFirst();
        Expr gated = gate == Primitive.IDENTITY ? q : s.let("gate", Activations.apply(gate, q));
        s.store(y, i, Expr.call(MathFn.MUL_RN, gated, filtered));

        List<String> about = new ArrayList<>();
        about.add("One decode step of a Hyena mixer over " + C + " channels: y = " + (gate == Primitive.IDENTITY ? "q" : gate.op() + "(q)") + " * filter(k * v),");
        about.add("q, k, v = channels 3c, 3c+1, 3c+2 of " + (featurizer == null ? "z" : "featurizer(z), the featurizer " + featurizer.describe() + " through its ring") + ";");
        about.add("filter: " + (fir != null ? fir.describe() + " through its ring" : "Hyena-LI's " + modal.modes() + " modes" + (modal.skip() ? " with skip" : "")
                + ", recurrence in fp64") + "; one thread per (sequence, channel).");
        return sig.build("hyena_step", Launch.linear(Extent.batch().times(C).ceilDiv(SCAN_THREADS), SCAN_THREADS), about);
    }

    /**
     * A FIR step inside a fused kernel, as {@link #firStep} computes it: the current input {@code x} (and its raw
     * storage value {@code raw} that joins the ring), the last K−1 inputs from the ring at row {@code row}.
     */
    private static Var firStepOf(Scope s, String name, Filter f, Var h, Var skip, Var ring, Expr g, Expr channel, Expr row, Expr x, Expr raw,
                                 Var steps, int k) {
        Var xt = s.let(name + "_in", x);
        Var acc = s.var(name, Scalar.FLOAT, CausalConv.tap(h, g, lit(0), f).mul(xt));
        if (skip != null) s.inc(acc, load(skip, channel).mul(xt));
        if (k > 0) {
            Var next = s.let(name + "_next", k == 1 ? lit(0) : steps.mod(k).cast(Scalar.INT));
            Var base = s.let(name + "_base", row.mul(k));
            BiConsumer<Var, Scope> tap = (j, body) ->
                    body.inc(acc, CausalConv.tap(h, g, j, f).mul(load(ring, base.add(next.sub(j).add(k).mod(k)))));
            // unrolled, a thread has all its ring's loads in flight at once rather than a few per trip to memory
            if (f.len() <= UNROLL_RING) s.unrolled("j", lit(1), lit(f.len()), tap);
            else s.loop("j", lit(1), lit(f.len()), lit(1), tap);
            s.set(ring.at(base.add(next)), raw);
        }
        return acc;
    }

    /** The modal recurrence's step inside a fused kernel, as {@link #modalScan} runs it for one token, in fp64. */
    private static Var modalStepOf(Scope s, Inner.Modal m, Var state, Var logPoles, Var residues, Var skip, Var c, Var row, Var input) {
        int modes = m.modes();
        Var st0 = s.let("s_wide", input.cast(Scalar.DOUBLE));
        Var acc = s.var("acc", Scalar.DOUBLE, skip == null ? lit(0.0) : skip.at(c).cast(Scalar.DOUBLE).mul(st0));
        s.unrolled("n", lit(0), lit(modes), (n, body) -> {
            Var lambda = body.let("lambda", exp(logPoles.at(c.mul(modes).add(n)).cast(Scalar.DOUBLE)));
            Var x = body.let("x", lambda.mul(state.at(row.mul(modes).add(n)).cast(Scalar.DOUBLE)).add(st0));
            body.inc(acc, residues.at(c.mul(modes).add(n)).cast(Scalar.DOUBLE).mul(x));
            body.store(state, row.mul(modes).add(n), x);
        });
        return s.let("filtered", acc.cast(Scalar.FLOAT));
    }

    /**
     * How kv_attend splits the keys of one (head, sequence) across blocks (flash-decoding). Unsplit, a step has one block
     * per (head, sequence), Evo 2 7B's 32 at B = 1 on 132 multiprocessors, each reading its keys one chunk after
     * another: the cache streams at a fraction of the memory's speed. So the keys are cut into up to
     * {@link #attendSplits} ranges, each a block writing its partial softmax (max, sum, unnormalised output) to scratch,
     * and {@link #kvCombine} merges them. The split count is fixed when the kernels are made (a captured step replays the
     * same grid at every cache length); the range a split covers follows the live key count, read from the clock:
     * ceil(count / splits) rounded up to whole chunks, at least {@link #MIN_SPLIT_KEYS}, so a short cache takes one
     * split and the blocks past the last live one leave at once.
     */
    public static int attendSplits(int heads) {
        if (heads <= 0) throw new IllegalArgumentException("heads must be positive, got " + heads);
        // enough (head, split) blocks at B = 1 to keep the GPU's memory busy, as a split-K GEMV takes
        return Math.clamp(Math.ceilDiv(Gemv.FILL_BLOCKS, heads), 1, MAX_ATTEND_SPLITS);
    }

    /**
     * The most splits per (head, sequence), for models of few heads (their partials stay a few KB), and the fewest keys a
     * split takes: one chunk, since a block's cost past its reads is per chunk (its reductions and barriers), and at
     * d = 128 in bf16 a chunk is 64 KB of keys and values against a 520-byte partial. Evo 2 7B at 1024 keys: 8 live
     * splits of 128, 256 blocks.
     */
    static final int MAX_ATTEND_SPLITS = 32, MIN_SPLIT_KEYS = ATTEND_CHUNK;

    /** The floats one split's partial holds: its running max, its sum of weights, its unnormalised output. */
    static int partialFloats(int headDim) { return headDim + 2; }

    /** Elements of kv_attend's fp32 scratch of partials per sequence (0 when the keys are not split). */
    public static long attendPartialsPerSequence(int heads, int headDim) {
        int splits = attendSplits(heads);
        return splits == 1 ? 0 : (long) heads * splits * partialFloats(headDim);
    }

    /**
     * A decode step's attention kernels in launch order at {@link #attendSplits}: {@link #kvAttend}, then
     * {@link #kvCombine} where the keys are split.
     */
    public static List<GeneratedKernel> kvAttendStep(int heads, int headDim, boolean rope, double scale, Precision p) {
        int splits = attendSplits(heads);
        GeneratedKernel attend = kvAttend(heads, headDim, rope, scale, splits, p);
        return splits == 1 ? List.of(attend) : List.of(attend, kvCombine(heads, headDim, splits, p));
    }

    /**
     * One token of causal attention against a KV cache [B, capacity, H·d] holding rotated keys: rotates q and k
     * at {@code position} (as {@link Rope}), appends k and v at row {@code held}, then attends over the
     * held + 1 rows. One block per (head, sequence, split): with one split it attends over every key and writes the
     * result; with more each block takes its range of keys ({@link #attendSplits}) and writes its partial to scratch
     * for {@link #kvCombine}; the block whose range ends at the new row appends it. Keys go by in chunks with an online
     * softmax (block-wide max and sum through shared memory). In a chunk each warp takes {@link #ATTEND_KEYS} keys, all
     * their rows in flight at once, each row read by the whole warp (a lane's dimensions in one load) for the scores
     * (dot products summed by shuffles) and again for p·v, which each lane sums for its dimensions; the warps' sums meet
     * at the end. A row read by one thread, as a thread per key would, takes a sector per element: this reads each
     * sector once.
     */
    public static GeneratedKernel kvAttend(int heads, int headDim, boolean rope, double scale, int splits, Precision p) {
        if (splits < 1 || splits > Launch.MAX_GRID_YZ) throw new IllegalArgumentException("splits must be in [1, 65535], got " + splits);
        boolean split = splits > 1;
        int half = rope ? Rope.half(headDim) : headDim / 2;
        long width = (long) heads * headDim;
        Scalar st = p.storage();
        String token = Signature.shape("B", width);
        String cache = Signature.shape("B", "capacity", width);
        Signature sig = new Signature("kv_attend_h" + heads + "_d" + headDim + (rope ? "_rope" + Rope.scaleTag(scale) : "") + (split ? "_s" + splits : "")
                + "_" + p.suffix(), ATTEND_THREADS);
        Var q = sig.input("q", st, "this token's query " + token);
        Var k = sig.input("k", st, "this token's key " + token);
        Var v = sig.input("v", st, "this token's value " + token);
        Var keys = sig.output("keys", st, "state: rotated keys " + cache);
        Var values = sig.output("values", st, "state: values " + cache);
        Var out = split ? null : sig.output("out", st, "result " + token);
        Var partials = split ? sig.output("partials", Scalar.FLOAT, "scratch: " + partialsShape(heads, headDim, splits)) : null;
        Var invFreq = rope ? sig.input("inv_freq", p.filter(), "inverse frequencies [" + half + "]") : null;
        Var clock = sig.input("clock", Scalar.INT64, "decode clock [position, steps since the prompt]");
        Var capacity = sig.scalar("capacity", Scalar.INT64, "rows per sequence in the cache (> held)");
        Var qs = sig.k.shared("qs", Scalar.FLOAT, headDim);
        Var pr = sig.k.shared("p", Scalar.FLOAT, ATTEND_CHUNK);
        Var sums = sig.k.shared("sums", Scalar.FLOAT, ATTEND_WARPS * headDim);
        int dims = Math.ceilDiv(headDim, 32);
        Var red = sig.k.shared("red", Scalar.FLOAT, ATTEND_THREADS);
        float qkScale = (float) (1 / Math.sqrt(headDim));

        Scope s = sig.k.body();
        s.comment("This token's position, which is also how many tokens the cache holds before it.");
        Var position = s.let("position", clock.at(0));
        Var held = position;
        Var count = s.let("count", held.add(1));
        Expr begin = lit64(0), end = count, appends = null;
        if (split) {
            Var keysPerSplit = splitKeys(s, count, splits);
            Var first = s.let("split_first", blockIdx(Axis.Z).cast(Scalar.INT64).mul(keysPerSplit));
            s.comment("Splits past the live keys have nothing to read (the combine reads only the live ones).");
            s.when(first.ge(count), Scope::exit);
            begin = first;
            end = s.let("split_end", min(first.add(keysPerSplit), count));
            appends = s.let("appends", end.eq(count));
        }
        Var tid = s.let("tid", threadIdx(Axis.X));
        Var c0 = s.let("c0", blockIdx(Axis.X).mul(headDim)); // first channel of this head
        Var b = s.let("b", blockIdx(Axis.Y).cast(Scalar.INT64));
        Var src = s.let("src", b.mul(width).add(c0));
        Var cacheRow = s.let("cache_row", b.mul(capacity));
        Var dst = s.let("dst", cacheRow.add(held).mul(width).add(c0));
        // where the keys are split, only the block whose range holds the new row appends it (and reads it back below)
        Expr appending = appends;
        BiConsumer<Scope, Consumer<Scope>> appender = (body, write) -> {
            if (appending == null) write.accept(body);
            else body.when(appending, write);
        };
        if (rope) {
            s.comment("Rotate q (into shared memory) and k (into the cache) at this token's position, in fp64.");
            s.loop("i", tid, lit(half), lit(ATTEND_THREADS), (i, body) -> {
                Expr pos = position.cast(Scalar.DOUBLE);
                if (scale != 1) pos = pos.div(lit(scale));
                Var theta = body.let("theta", pos.mul(invFreq.at(i).cast(Scalar.DOUBLE)));
                Var cs = body.let("cs", cos(theta));
                Var sn = body.let("sn", sin(theta));
                Var q0v = body.let("q0", load(q, src.add(i)).cast(Scalar.DOUBLE));
                Var q1v = body.let("q1", load(q, src.add(i).add(half)).cast(Scalar.DOUBLE));
                body.set(qs.at(i), q0v.mul(cs).sub(q1v.mul(sn)).cast(Scalar.FLOAT));
                body.set(qs.at(i.add(half)), q0v.mul(sn).add(q1v.mul(cs)).cast(Scalar.FLOAT));
                appender.accept(body, write -> {
                    Var k0v = write.let("k0", load(k, src.add(i)).cast(Scalar.DOUBLE));
                    Var k1v = write.let("k1", load(k, src.add(i).add(half)).cast(Scalar.DOUBLE));
                    write.store(keys, dst.add(i), k0v.mul(cs).sub(k1v.mul(sn)));
                    write.store(keys, dst.add(i).add(half), k0v.mul(sn).add(k1v.mul(cs)));
                });
            });
        } else {
            s.loop("d", tid, lit(headDim), lit(ATTEND_THREADS), (d, body) -> {
                body.set(qs.at(d), load(q, src.add(d)));
                appender.accept(body, write -> write.set(keys.at(dst.add(d)), k.at(src.add(d))));
            });
        }
        appender.accept(s, write ->
                write.loop("d", tid, lit(headDim), lit(ATTEND_THREADS), (d, body) -> body.set(values.at(dst.add(d)), v.at(src.add(d)))));
        s.comment("The appended row and qs are read by other threads of this block below.");
        s.barrier();
        s.blank();
        Var lane = s.let("lane", tid.mod(32));
        Var warp = s.let("warp", tid.div(32));
        s.comment("Lane l holds dimensions l*" + dims + " ... of q, and sums the same dimensions of p*v over its warp's keys.");
        Var qv = s.array("qv", Scalar.FLOAT, dims);
        s.unrolled("i", lit(0), lit(dims), (i, body) -> {
            Var d = body.let("d", lane.mul(dims).add(i));
            body.set(qv.at(i), select(d.lt(headDim), qs.at(select(d.lt(headDim), d, lit(0))), lit(0.0f)));
        });
        Var m = s.var("m", Scalar.FLOAT, negInfinity());
        Var l = s.var("l", Scalar.FLOAT, lit(0.0f));
        Var acc = s.array("acc", Scalar.FLOAT, dims);
        s.unrolled("i", lit(0), lit(dims), (i, body) -> body.set(acc.at(i), lit(0.0f)));
        Var kv = s.array("kv", Scalar.FLOAT, ATTEND_KEYS * dims);
        Expr last = end;
        s.loop("j0", begin, end, lit(ATTEND_CHUNK), (j0, chunk) -> {
            chunk.comment("Scores: warp w takes keys j0 + " + ATTEND_KEYS + "w ..., each row read by the whole warp at once, all " + ATTEND_KEYS
                    + " rows in flight before the sums.");
            Var first = chunk.let("first", j0.add(warp.mul(ATTEND_KEYS)));
            rows(chunk, keys, first, last, cacheRow, width, c0, lane, dims, headDim, kv, st);
            chunk.unrolled("u", lit(0), lit(ATTEND_KEYS), (u, each) -> {
                Var dot = each.var("dot", Scalar.FLOAT, lit(0.0f));
                each.unrolled("i", lit(0), lit(dims), (i, sum) -> sum.inc(dot, qv.at(i).mul(kv.at(u.mul(dims).add(i)))));
                for (int mask = 16; mask >= 1; mask /= 2) each.inc(dot, shuffleXor(dot, mask));
                each.when(lane.eq(lit(0)), write -> write.set(pr.at(warp.mul(ATTEND_KEYS).add(u)),
                        select(first.add(u).lt(last), dot.mul(lit(qkScale)), negInfinity())));
            });
            chunk.comment("The chunk's scores are all in p.");
            chunk.barrier();
            Var inChunk = chunk.let("in_chunk", tid.lt(ATTEND_CHUNK));
            Var score = chunk.let("score", select(inChunk, pr.at(select(inChunk, tid, lit(0))), negInfinity()));
            Var mChunk = blockReduce(chunk, "m_chunk", red, tid, score, (a, c) -> fmax(a, c), "the chunk's largest score");
            Var mNew = chunk.let("m_new", fmax(m, mChunk));
            Var alpha = chunk.let("alpha", select(mNew.eq(negInfinity()), lit(1.0f), exp(m.sub(mNew))));
            Var w = chunk.let("w", select(score.eq(negInfinity()), lit(0.0f), exp(score.sub(mNew))));
            chunk.when(inChunk, keep -> keep.set(pr.at(tid), w));
            Var wSum = blockReduce(chunk, "w_sum", red, tid, w, Expr::add, "the sum of the chunk's weights");
            chunk.set(l, l.mul(alpha).add(wSum));
            chunk.set(m, mNew);
            chunk.comment("p * v over the warp's keys, the value rows in flight together; every warp's sums scale by the same alpha.");
            rows(chunk, values, first, last, cacheRow, width, c0, lane, dims, headDim, kv, st);
            chunk.unrolled("i", lit(0), lit(dims), (i, each) -> each.set(acc.at(i), acc.at(i).mul(alpha)));
            chunk.unrolled("u", lit(0), lit(ATTEND_KEYS), (u, each) -> {
                Var weight = each.let("weight", pr.at(warp.mul(ATTEND_KEYS).add(u)));
                each.unrolled("i", lit(0), lit(dims), (i, sum) -> sum.inc(acc.at(i), weight.mul(kv.at(u.mul(dims).add(i)))));
            });
            chunk.comment("p is rewritten by the next chunk.");
            chunk.barrier();
        });
        s.comment("The warps' sums, added in warp order.");
        s.unrolled("i", lit(0), lit(dims), (i, body) -> {
            Var d = body.let("d", lane.mul(dims).add(i));
            body.when(d.lt(headDim), in -> in.set(sums.at(warp.mul(headDim).add(d)), acc.at(i)));
        });
        s.barrier();
        Var record = null;
        if (split) {
            s.comment("This split's partial: its max and sum of weights, then its output before dividing by the sum.");
            record = s.let("record", b.mul(heads).add(blockIdx(Axis.X)).mul(splits).add(blockIdx(Axis.Z)).mul(partialFloats(headDim)));
            Var at = record;
            s.when(tid.eq(lit(0)), write -> {
                write.set(partials.at(at), m);
                write.set(partials.at(at.add(1)), l);
            });
        }
        Var partial = record;
        s.loop("d", tid, lit(headDim), lit(ATTEND_THREADS), (d, body) -> {
            Var total = body.var("total", Scalar.FLOAT, lit(0.0f));
            body.unrolled("from", lit(0), lit(ATTEND_WARPS), (from, add) -> add.inc(total, sums.at(from.mul(headDim).add(d))));
            if (split) body.set(partials.at(partial.add(2).add(d)), total);
            else body.store(out, src.add(d), total.div(l));
        });
        List<String> about = new ArrayList<>();
        about.add("One decode step of causal attention, " + heads + " heads x " + headDim
                + (rope ? ", RoPE at the token's position" + (scale != 1 ? " / " + scale : "") : ", no position encoding") + ":");
        about.add("append k, v to the cache, then attend over it in chunks of " + ATTEND_CHUNK + " keys (" + ATTEND_KEYS
                + " per warp, rows read by whole warps) with an online softmax; " + (split
                ? "one block per (head, sequence, split), the keys cut into up to " + splits + " ranges of whole chunks (at least " + MIN_SPLIT_KEYS
                  + " keys),"
                : "one block per (head, sequence)."));
        if (split) about.add("each writing its partial (max, sum, unnormalised output) to scratch for kv_combine.");
        return sig.build("kv_attend", new Launch(Extent.of(heads), Extent.batch(), Extent.of(splits), ATTEND_THREADS, 1, 1), about);
    }

    /**
     * The partials of a split kv_attend merged as the online softmax merges chunks: with M the largest of the live
     * splits' maxima, out = Σ exp(mᵢ − M)·oᵢ / Σ exp(mᵢ − M)·lᵢ, the splits taken in order (the same bits on every
     * run). A second kernel rather than the last block of each (head, sequence) finishing the work behind an atomic
     * counter: no counter to keep zeroed between replays, no fences, and a step already launches a few dozen kernels
     * in one graph. One thread per output element.
     */
    public static GeneratedKernel kvCombine(int heads, int headDim, int splits, Precision p) {
        if (splits < 2) throw new IllegalArgumentException("only split keys have partials to combine, got " + splits + " split");
        long width = (long) heads * headDim;
        int floats = partialFloats(headDim);
        Signature sig = new Signature("kv_combine_h" + heads + "_d" + headDim + "_s" + splits + "_" + p.suffix(), THREADS);
        Var partials = sig.input("partials", Scalar.FLOAT, "scratch: " + partialsShape(heads, headDim, splits));
        Var out = sig.output("out", p.storage(), "result " + Signature.shape("B", width));
        Var clock = sig.input("clock", Scalar.INT64, "decode clock [position, steps since the prompt]");
        Var batch = sig.scalar("batch", Scalar.INT64, "B");

        Scope s = sig.k.body();
        Var i = Pointwise.globalIndex(s, THREADS);
        s.when(i.ge(batch.mul(width)), Scope::exit);
        Var d = s.let("d", i.mod(headDim));
        Var first = s.let("first", i.div(headDim).mul(splits).mul(floats)); // this (sequence, head)'s first partial
        s.comment("The splits kv_attend wrote: as many as cover the keys the cache holds after this token.");
        Var count = s.let("count", clock.at(0).add(1));
        Var keysPerSplit = splitKeys(s, count, splits);
        Var live = s.let("live", count.add(keysPerSplit.sub(1)).div(keysPerSplit));
        Var mAll = s.var("m_all", Scalar.FLOAT, negInfinity());
        s.loop("split", lit64(0), live, lit(1), (split, body) -> body.set(mAll, fmax(mAll, partials.at(first.add(split.mul(floats))))));
        Var sum = s.var("sum", Scalar.FLOAT, lit(0.0f));
        Var total = s.var("total", Scalar.FLOAT, lit(0.0f));
        s.loop("split", lit64(0), live, lit(1), (split, body) -> {
            Var at = body.let("at", first.add(split.mul(floats)));
            Var mSplit = body.let("m_split", partials.at(at));
            Var rescale = body.let("rescale", select(mSplit.eq(negInfinity()), lit(0.0f), exp(mSplit.sub(mAll))));
            body.inc(sum, partials.at(at.add(1)).mul(rescale));
            body.inc(total, partials.at(at.add(2).add(d)).mul(rescale));
        });
        s.store(out, i, total.div(sum));
        return sig.build("kv_combine", Launch.linear(Extent.batch().times(width).ceilDiv(THREADS), THREADS),
                List.of("The partials of kv_attend split " + splits + " ways over the keys, " + heads + " heads x " + headDim + ", merged as an online softmax:",
                        "rescaled to the largest max of the live splits, summed in split order; one thread per output."));
    }

    private static String partialsShape(int heads, int headDim, int splits) {
        return "each split's max, sum of weights and unnormalised output " + Signature.shape("B", heads, splits, partialFloats(headDim)) + ", fp32";
    }

    /**
     * The keys one split of kv_attend takes when the cache holds {@code count}: ceil(count / splits) rounded up to whole
     * chunks, at least {@link #MIN_SPLIT_KEYS}; kv_attend and kv_combine compute it alike.
     */
    private static Var splitKeys(Scope s, Expr count, int splits) {
        Var chunks = s.let("split_chunks", count.add(lit64((long) splits * ATTEND_CHUNK - 1)).div(lit64((long) splits * ATTEND_CHUNK)));
        Var keysPerSplit = s.let("split_keys", chunks.mul(lit64(ATTEND_CHUNK)));
        return s.let("keys_per_split", select(keysPerSplit.lt(lit64(MIN_SPLIT_KEYS)), lit64(MIN_SPLIT_KEYS), keysPerSplit));
    }

    /**
     * {@link BlockReduce#tree} through {@code red} (a slot per thread), the result as {@code name} in every thread;
     * ends with a barrier, so {@code red} may be reused at once.
     */
    /**
     * Rows {@code first} … {@code first + ATTEND_KEYS − 1} of a cache, this lane's {@code dims} dimensions of each, into
     * {@code into} (zeros from row {@code end} on or past the head): one 4-, 8- or 16-byte load per row where the slice is that.
     */
    private static void rows(Scope s, Var cache, Var first, Expr end, Var cacheRow, long width, Var c0, Var lane, int dims, int headDim, Var into,
                             Scalar st) {
        boolean vector = dims * 32 == headDim && List.of(4, 8, 16).contains(dims * st.bytes());
        s.unrolled("u", lit(0), lit(ATTEND_KEYS), (u, each) -> {
            Var j = each.let("j", first.add(u));
            Var at = each.let("at", cacheRow.add(j).mul(width).add(c0).add(lane.mul(dims)));
            if (vector) {
                List<Expr> targets = new ArrayList<>();
                for (int i = 0; i < dims; i++) targets.add(into.at(u.mul(dims).add(i)));
                each.when(j.lt(end), row -> row.loadVector(cache, at, targets, false),
                        past -> { for (Expr t : targets) past.set(t, lit(0.0f)); });
            } else {
                each.unrolled("i", lit(0), lit(dims), (i, one) -> one.set(into.at(u.mul(dims).add(i)),
                        select(j.lt(end).and(lane.mul(dims).add(i).lt(headDim)), load(cache, select(j.lt(end).and(lane.mul(dims).add(i).lt(headDim)),
                                at.add(i), lit64(0))), lit(0.0f))));
            }
        });
    }

    private static Var blockReduce(Scope s, String name, Var red, Var tid, Expr value, BinaryOperator<Expr> op, String holds) {
        Var result = s.let(name, BlockReduce.tree(s, red, tid, ATTEND_THREADS, value, op, holds));
        s.barrier();
        return result;
    }
}
