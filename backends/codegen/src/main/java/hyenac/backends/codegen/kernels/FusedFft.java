package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.exp;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.select;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Dialect;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fused FFT convolution for long filters: y = h ∗ s (+ skip ⊙ s), and for a Hyena core s = k ⊙ v and the gate
 * y = act(q) ⊙ (…), in one kernel that reads its input and writes y, nothing else through global memory.
 *
 * <p>Time is cut into chunks of T steps ({@link Blocking#chunk}, a power of 8). A block owns a few channels of one
 * sequence and walks its chunks in order; each chunk is a real FFT of N = 2T points, computed as a complex FFT of
 * M = T points (the even samples as real parts, the odd as imaginary), in shared memory:
 * <ul>
 *   <li>radix-8 Stockham passes (self-sorting: natural order in and out, so the spectrum's bins k and M − k that the
 *       real transform pairs are where they are expected), two butterflies per thread per pass, each read from shared
 *       memory into registers, a barrier, and written back; the first pass reads its inputs straight from global memory,
 *       the last inverse pass leaves its outputs in registers for the epilogue;</li>
 *   <li>one pass that turns the complex spectrum into the real one (bins k and M − k together), multiplies it by the
 *       filter's spectrum and turns the product back into the input of the inverse complex FFT;</li>
 *   <li>twiddle factors from a table of e^(−2πiq/N) (a plan constant, read through the cache), the powers a butterfly
 *       needs by products of the first.</li>
 * </ul>
 * The filter's spectrum is prepared once ({@link #spectrum}) with the same FFT; it holds the first T taps, scaled by
 * 1/(2N) so the transforms need no normalisation. How the chunks meet:
 * <ul>
 *   <li>explicit filters of K ≤ T taps (Hyena-MR): overlap-save, each chunk's transform reads the T steps before it as
 *       well, and keeps the second half of the circular result, which is the linear convolution;</li>
 *   <li>modal filters (Hyena-LI, h[t] = Σₙ Rₙ·λₙ^t, as long as the sequence): the chunk is convolved with the first T
 *       taps (zero-padded to N), and everything before it enters through the modes' states
 *       Sₙ = Σ_{t < t0} λₙ^(t0−1−t)·s[t]: y[t0 + τ] += Σₙ Rₙ·λₙ^(τ+1)·Sₙ, and after the chunk
 *       Sₙ ← λₙ^T·Sₙ + Σ_τ λₙ^(T−1−τ)·s[t0 + τ] (exact: the modal filter is an IIR; no wrap-around, no length limit).</li>
 * </ul>
 * Everything is fp32; storage is the precision's. Shared memory: the chunk's transform, a real and an imaginary array
 * per channel (a pad after every 8 elements, so the passes' strided writes meet distinct banks), and for modal filters
 * the modes' states and powers.
 */
public final class FusedFft {
    private FusedFft() {}

    /**
     * How the work is cut: time chunks of {@code chunk} steps, {@code channels} channels per block, {@code slots}
     * butterflies per thread in each pass (the block has channels · chunk / 8 / slots threads).
     */
    public record Blocking(int chunk, int channels, int slots) {
        public Blocking {
            if (chunk < 8 || Integer.bitCount(chunk) != 1 || Integer.numberOfTrailingZeros(chunk) % 3 != 0) {
                throw new IllegalArgumentException("the chunk is a power of 8 (radix-8 passes), got " + chunk);
            }
            if (channels < 1 || slots < 1 || chunk / 8 % slots != 0) throw new IllegalArgumentException("bad blocking " + channels + " x " + slots);
            if (channels * (chunk / 8) / slots > Launch.MAX_THREADS) throw new IllegalArgumentException("too many threads for one block");
        }

        /** N, the real FFT's length. */
        public int points() { return 2 * chunk; }

        /** M = T, the complex FFT's length. */
        int complex() { return chunk; }

        /** Radix-8 butterflies per channel and pass. */
        int butterflies() { return chunk / 8; }

        public int threads() { return channels * butterflies() / slots; }

        /** Threads per channel. */
        int perChannel() { return butterflies() / slots; }

        /**
         * A channel's offset in the shared arrays: its M elements with a pad after every 8, and 4 more, so a warp's
         * eight channels (four butterflies each) read and write distinct banks in every pass.
         */
        int stride() { return chunk + chunk / 8 + 4; }

        public String tag() { return "t" + chunk; }

        /** The blocks a multiprocessor is asked to hold ({@code __launch_bounds__}), 64 registers a thread at most. */
        public int blocksPerMultiprocessor() { return Math.max(1, Math.min(8, 1024 / threads())); }
    }

    /**
     * Chunks of 512 (N = 1024) and 8 channels per block: 512 threads (64 butterflies a channel), 36 KiB of transform in
     * shared memory (41 KiB with 16 modes' states), so two blocks share a multiprocessor within 64 registers a thread;
     * eight channels read q, k and v as 48 contiguous bytes per step.
     */
    public static final Blocking DEFAULT = new Blocking(512, 8, 1);

    /** The filter of a fused FFT convolution. */
    public sealed interface Filter permits Modal, Explicit {
        long channels();

        boolean skip();

        /** The rows of the prepared spectrum: one per channel (modal) or per filter group (explicit). */
        long rows();

        String tag();

        String describe();
    }

    /** Hyena-LI: h[c, t] = Σₙ residues[c, n]·exp(log_poles[c, n]·t), one filter per channel, any length. */
    public record Modal(long channels, int modes, boolean skip) implements Filter {
        @Override public long rows() { return channels; }

        @Override public String tag() { return "c" + channels + "_m" + modes + (skip ? "_skip" : ""); }

        @Override public String describe() {
            return "modal filters (" + modes + " modes) over " + channels + " channels" + (skip ? ", with skip" : "");
        }
    }

    /** Explicit taps, at most a chunk long. */
    public record Explicit(CausalConv.Filter taps) implements Filter {
        @Override public long channels() { return taps.channels(); }

        @Override public boolean skip() { return taps.skip(); }

        @Override public long rows() { return taps.groups(); }

        @Override public String tag() { return taps.tag(); }

        @Override public String describe() { return taps.describe(); }
    }

    /** Whether explicit filters of {@code len} taps fit the overlap-save of {@code blocking}'s chunks. */
    public static boolean fits(int len, Blocking blocking) { return len <= blocking.chunk(); }

    /**
     * The shortest explicit filter offered: a chunk's transforms cost about 2·5·log2 T FLOPs per output (some 100 at
     * T = 512), what a direct window of 50 taps costs; below 32 taps the FFT cannot win, and is not offered.
     */
    public static final int MIN_EXPLICIT_TAPS = 32;

    /**
     * Whether the fused FFT convolution takes {@code f} in {@code p} on {@code dialect} with the {@link #DEFAULT} blocking:
     * explicit filters from {@link #MIN_EXPLICIT_TAPS} taps to a chunk, and the kernel's shared memory (its transform;
     * for modal filters the modes' states, powers and their reduction's rows, which outgrow 48 KiB past 20 modes) within
     * what the dialect lets a block declare. Any length L and either precision.
     */
    public static boolean supports(Filter f, Precision p, Dialect dialect) {
        boolean shape = switch (f) {
            case Modal m -> m.modes() >= 1;
            case Explicit e -> e.taps().len() >= MIN_EXPLICIT_TAPS && fits(e.taps().len(), DEFAULT);
        };
        return shape && conv(f, Primitive.IDENTITY, p, DEFAULT).kernel().sharedBytes() <= dialect.maxSharedBytes();
    }

    /** The prepared spectra of convolution node {@code conv}'s filter, by the group's own name. */
    static Binding spectra(Node conv, Filter f, Blocking k) { return new Binding.Prepared("n" + conv.id() + ".chunk_spectra", spectrumFloats(f, k)); }

    /** What {@link #spectrum}'s parameters take at convolution node {@code conv}: its filter's weights, the spectra it writes, the twiddles. */
    static Map<String, Binding> spectrumBindings(Node conv, Filter f, Blocking k) {
        Map<String, Binding> out = new LinkedHashMap<>();
        if (f instanceof Modal) {
            out.put("log_poles", new Binding.Weight(conv.weights().get("log_poles")));
            out.put("residues", new Binding.Weight(conv.weights().get("residues")));
        } else {
            out.put("h", new Binding.Weight(conv.weights().get("weight")));
        }
        out.put("hf", spectra(conv, f, k));
        out.put("twiddles", new Binding.Constant(twiddleName(k), twiddles(k)));
        return out;
    }

    /** What {@link #conv}'s parameters take at convolution node {@code conv}, but its input (x or z) and y. */
    static Map<String, Binding> convBindings(Node conv, Filter f, Blocking k) {
        Map<String, Binding> out = new LinkedHashMap<>();
        out.put("hf", spectra(conv, f, k));
        out.put("twiddles", new Binding.Constant(twiddleName(k), twiddles(k)));
        if (f instanceof Modal) {
            out.put("log_poles", new Binding.Weight(conv.weights().get("log_poles")));
            out.put("residues", new Binding.Weight(conv.weights().get("residues")));
        }
        if (f.skip()) out.put("skip", new Binding.Weight(conv.weights().get("skip")));
        return out;
    }

    /** The twiddle table's plan constant name. */
    public static String twiddleName(Blocking k) { return "fft_twiddles_n" + k.points(); }

    /** e^(−2πiq/N) for q < N as (cos, −sin) pairs, computed in double and rounded once. */
    public static float[] twiddles(Blocking k) {
        int n = k.points();
        float[] w = new float[2 * n];
        for (int q = 0; q < n; q++) {
            w[2 * q] = (float) Math.cos(2 * Math.PI * q / n);
            w[2 * q + 1] = (float) -Math.sin(2 * Math.PI * q / n);
        }
        return w;
    }

    /** Floats of the prepared spectrum: rows × (T + 1) complex bins. */
    public static long spectrumFloats(Filter f, Blocking k) { return f.rows() * (k.complex() + 1) * 2L; }

    // ---- complex values in the kernel ----

    /** A complex value as two float expressions; null stands for a known zero. */
    private record Cx(Expr re, Expr im) {
        Cx conj() { return new Cx(re, im.neg()); }
    }

    private static Cx let(Scope s, String name, Cx v) { return v == null ? null : new Cx(s.let(name + "r", v.re), s.let(name + "i", v.im)); }

    private static Cx add(Cx a, Cx b) { return a == null ? b : b == null ? a : new Cx(a.re.add(b.re), a.im.add(b.im)); }

    private static Cx sub(Cx a, Cx b) {
        if (b == null) return a;
        if (a == null) return new Cx(b.re.neg(), b.im.neg());
        return new Cx(a.re.sub(b.re), a.im.sub(b.im));
    }

    private static Cx mul(Cx a, Cx b) { return new Cx(a.re.mul(b.re).sub(a.im.mul(b.im)), a.re.mul(b.im).add(a.im.mul(b.re))); }

    /** a·(sign·i): sign −1 is the forward transform's −i. */
    private static Cx timesI(Cx a, int sign) { return a == null ? null : sign > 0 ? new Cx(a.im.neg(), a.re) : new Cx(a.im, a.re.neg()); }

    private static final float HALF_SQRT2 = (float) Math.sqrt(0.5);

    /**
     * The 8-point DFT A_k = Σ_r a_r·e^(sign·2πi·rk/8) as two 4-point DFTs after one radix-2 step; null inputs are zeros.
     * Only the outputs in {@code wanted} are computed (the others are null).
     */
    private static Cx[] dft8(Scope s, Cx[] a, int sign, boolean[] wanted) {
        Cx[] b = new Cx[8];
        for (int r = 0; r < 4; r++) {
            b[r] = a[r + 4] == null ? a[r] : let(s, "b" + r, add(a[r], a[r + 4]));
            b[r + 4] = a[r + 4] == null ? a[r] : let(s, "b" + (r + 4), sub(a[r], a[r + 4]));
        }
        // the odd half by e^(sign·2πi·r/8), r = 1, 2, 3
        Expr h = lit(HALF_SQRT2);
        if (b[5] != null) {
            Expr xr = b[5].re, xi = b[5].im;
            b[5] = let(s, "d5", sign < 0 ? new Cx(xr.add(xi).mul(h), xi.sub(xr).mul(h)) : new Cx(xr.sub(xi).mul(h), xi.add(xr).mul(h)));
        }
        b[6] = timesI(b[6], sign);
        if (b[7] != null) {
            Expr xr = b[7].re, xi = b[7].im;
            b[7] = let(s, "d7", sign < 0 ? new Cx(xi.sub(xr).mul(h), xr.add(xi).neg().mul(h)) : new Cx(xr.add(xi).neg().mul(h), xr.sub(xi).mul(h)));
        }
        Cx[] out = new Cx[8];
        for (int half = 0; half < 2; half++) {
            boolean[] want = new boolean[4];
            boolean any = false;
            for (int k = 0; k < 4; k++) any |= want[k] = wanted[2 * k + half];
            if (!any) continue;
            Cx[] x = {b[4 * half], b[4 * half + 1], b[4 * half + 2], b[4 * half + 3]};
            String p = "e" + half;
            boolean even = want[0] || want[2], odd = want[1] || want[3];
            Cx c0 = even ? let(s, p + "c0", add(x[0], x[2])) : null, c2 = even ? let(s, p + "c2", add(x[1], x[3])) : null;
            Cx c1 = odd ? let(s, p + "c1", sub(x[0], x[2])) : null, c3 = odd ? let(s, p + "c3", timesI(sub(x[1], x[3]), sign)) : null;
            if (want[0]) out[half] = add(c0, c2);
            if (want[1]) out[2 + half] = add(c1, c3);
            if (want[2]) out[4 + half] = sub(c0, c2);
            if (want[3]) out[6 + half] = sub(c1, c3);
        }
        return out;
    }

    private static boolean[] all() { return new boolean[] {true, true, true, true, true, true, true, true}; }

    // ---- the transform, shared by both kernels ----

    /** A block's transform: its shared arrays, its thread's channel and butterflies, the twiddle table. */
    private static final class Transform {
        final Blocking k;
        final Var re, im, tw, c, jb, base, ar, ai;

        Transform(Signature sig, Scope s, Blocking k, Var tw, int sharedFloats) {
            this.k = k;
            this.tw = tw;
            this.re = sig.k.shared("fre", Scalar.FLOAT, Math.max(sharedFloats, k.channels() * k.stride()));
            this.im = sig.k.shared("fim", Scalar.FLOAT, Math.max(sharedFloats, k.channels() * k.stride()));
            Var t = s.let("t", threadIdx(Axis.X));
            this.c = s.let("c", t.mod(k.channels()));
            this.jb = s.let("jb", t.div(k.channels()));
            this.base = s.let("base", c.mul(k.stride()));
            this.ar = s.array("ar", Scalar.FLOAT, 8 * k.slots());
            this.ai = s.array("ai", Scalar.FLOAT, 8 * k.slots());
        }

        /** Where element e of this thread's channel lives: one pad after every 8 elements. */
        Expr at(Scope s, String name, Expr e) {
            Var v = s.let(name, e);
            return base.add(v).add(v.div(8));
        }

        /**
         * The elements first + r·step, r < count, through one address and constant offsets where the padding allows:
         * step a multiple of 8, or step 1 from a multiple of 8 ({@code octet}). A pass's addresses are then one register;
         * the compiler would otherwise keep every pass's eight, all chunk-invariant, live across the chunk loop.
         */
        List<Expr> run(Scope s, String name, Expr first, int step, int count, boolean octet) {
            List<Expr> at = new ArrayList<>();
            if (step % 8 == 0) {
                Var v = s.let(name, first);
                Var a = s.let(name + "a", base.add(v).add(v.div(8)));
                for (int r = 0; r < count; r++) at.add(a.add(r * (step + step / 8)));
            } else if (octet && step == 1) {
                // first = 8j: elements 8j + r sit at 9j + r
                Var a = s.let(name + "a", base.add(first.div(8).mul(9)));
                for (int r = 0; r < count; r++) at.add(a.add(r));
            } else {
                for (int r = 0; r < count; r++) at.add(at(s, name + r, first.add(r * step)));
            }
            return at;
        }

        Cx read(Scope s, String name, Expr e) {
            Expr i = at(s, name, e);
            return new Cx(re.at(i), im.at(i));
        }

        void write(Scope s, String name, Expr e, Cx v) {
            Var i = s.let(name, at(s, name + "e", e));
            s.set(re.at(i), v.re);
            s.set(im.at(i), v.im);
        }

        /** Butterfly j of slot i. */
        Var butterfly(Scope s, Var i) { return s.let("j", jb.add(i.mul(k.perChannel()))); }

        /** Register r of slot i. */
        Expr reg(Var arr, Var i, int r) { return arr.at(i.mul(8).add(r)); }

        /**
         * Fills elements [0, count) of this thread's channel from {@code input}, a loop in element order (the block's
         * threads read neighbouring channels and steps together), so that few loads are in flight per thread.
         */
        void stage(Scope s, int count, Input input) {
            s.loop("m", jb, lit(count), lit(k.perChannel()), (m, body) -> write(body, "sm", m, input.at(body, m)));
            s.barrier();
        }

        /**
         * A pass over sub-transforms of {@code ns}, shared memory to shared memory. {@code upperZero}: the elements from
         * M/2 on are zeros (a zero-padded first pass), neither read nor added.
         */
        void pass(Scope s, int ns, int sign, boolean upperZero) {
            s.comment((sign < 0 ? "Forward" : "Inverse") + " pass over sub-transforms of " + ns + ": read, wait, butterfly, write.");
            readAll(s, upperZero ? 4 : 8);
            s.barrier();
            s.unrolled("i", lit(0), lit(k.slots()), (i, sl) -> {
                Var j = butterfly(sl, i);
                Expr kk = ns == 1 ? lit(0) : sl.let("k", j.mod(ns));
                Cx[] a = twiddled(sl, i, kk, ns, sign);
                if (upperZero) for (int r = 4; r < 8; r++) a[r] = null;
                Cx[] out = dft8(sl, a, sign, all());
                Expr first = ns == 1 ? j.mul(8) : j.div(ns).mul(8 * ns).add(kk);
                List<Expr> at = run(sl, "w", first, ns, 8, ns == 1);
                for (int r = 0; r < 8; r++) {
                    sl.set(re.at(at.get(r)), out[r].re);
                    sl.set(im.at(at.get(r)), out[r].im);
                }
            });
            s.barrier();
        }

        /**
         * The last inverse pass (sub-transforms of M/8: butterfly j's outputs are elements j + r·M/8): only the outputs
         * {@code wanted} are computed, left as reals in registers: ar[8i + 2r' + e] is element 2(j + r'·M/8) + e of the
         * real result, r' counting the wanted outputs.
         */
        void lastPass(Scope s, boolean[] wanted) {
            int ns = k.butterflies();
            s.comment("Inverse pass over sub-transforms of " + ns + ": its outputs stay in registers, real results in ar.");
            readAll(s, 8);
            s.unrolled("i", lit(0), lit(k.slots()), (i, sl) -> {
                Var j = butterfly(sl, i);
                Cx[] out = dft8(sl, twiddled(sl, i, j, ns, 1), 1, wanted);
                int slot = 0;
                for (int r = 0; r < 8; r++) {
                    if (!wanted[r]) continue;
                    sl.set(reg(ar, i, 2 * slot), out[r].re);
                    sl.set(reg(ar, i, 2 * slot + 1), out[r].im);
                    slot++;
                }
            });
        }

        private void readAll(Scope s, int count) {
            s.unrolled("i", lit(0), lit(k.slots()), (i, sl) -> {
                Var j = butterfly(sl, i);
                List<Expr> at = run(sl, "r", j, k.butterflies(), count, false);
                for (int r = 0; r < count; r++) {
                    sl.set(reg(ar, i, r), re.at(at.get(r)));
                    sl.set(reg(ai, i, r), im.at(at.get(r)));
                }
            });
        }

        /** Slot i's registers times w^(r·kk), w = e^(sign·2πi/(8·ns)): the table's entry kk·N/(8·ns), then its powers. */
        private Cx[] twiddled(Scope s, Var i, Expr kk, int ns, int sign) {
            Cx[] a = new Cx[8];
            for (int r = 0; r < 8; r++) a[r] = new Cx(reg(ar, i, r), reg(ai, i, r));
            if (ns == 1) return a;
            Var q = s.let("q", kk.mul(k.points() / (8 * ns)).mul(2));
            Cx w1 = new Cx(s.let("w1r", load(tw, q)), s.let("w1i", sign < 0 ? load(tw, q.add(1)) : load(tw, q.add(1)).neg()));
            Cx w2 = let(s, "w2", mul(w1, w1)), w3 = let(s, "w3", mul(w2, w1)), w4 = let(s, "w4", mul(w2, w2));
            Cx[] w = {null, w1, w2, w3, w4, let(s, "w5", mul(w4, w1)), let(s, "w6", mul(w3, w3)), let(s, "w7", mul(w4, w3))};
            for (int r = 1; r < 8; r++) a[r] = let(s, "t" + r, mul(a[r], w[r]));
            return a;
        }

        /** The forward passes over the staged input; {@code upperZero}: only its first half was staged, the rest is zero. */
        void forward(Scope s, boolean upperZero) {
            for (int ns = 1; ns < k.complex(); ns *= 8) pass(s, ns, -1, ns == 1 && upperZero);
        }

        /** The inverse passes before the last. */
        void inverse(Scope s) {
            for (int ns = 1; ns < k.butterflies(); ns *= 8) pass(s, ns, 1, false);
        }
    }

    /** Element m of the complex sequence a transform starts from. */
    @FunctionalInterface
    private interface Input {
        Cx at(Scope s, Var m);
    }

    /** s at a step, through a named index. */
    @FunctionalInterface
    private interface Signal {
        Expr at(Scope s, String name, Expr pos);
    }

    /** Bin pairs (k, M − k) for k ≤ M/2, each thread its channel's k = jb, jb + perChannel, …. */
    private static void binPairs(Scope s, Transform x, java.util.function.BiConsumer<Var, Scope> body) {
        s.loop("k", x.jb, lit(x.k.complex() / 2 + 1), lit(x.k.perChannel()), body);
    }

    /**
     * The real spectrum's bins k and M − k from the complex spectrum Z of the even/odd packing, times 2:
     * X[k] = F + W^k·G and X[M−k] = conj(F − W^k·G) with F = Z[k] + conj(Z[M−k]), G = −i·(Z[k] − conj(Z[M−k])).
     */
    private static Cx[] realBins(Scope s, Transform x, Var kk) {
        Cx a = let(s, "za", x.read(s, "ka", kk));
        Cx b = let(s, "zb", x.read(s, "kb", select(kk.eq(lit(0)), lit(0), lit(x.k.complex()).sub(kk))));
        Cx w = new Cx(s.let("wkr", load(x.tw, kk.mul(2))), s.let("wki", load(x.tw, kk.mul(2).add(1))));
        Cx f = let(s, "f", add(a, b.conj()));
        Cx g = let(s, "g", timesI(sub(a, b.conj()), -1));
        Cx wg = let(s, "wg", mul(w, g));
        return new Cx[] {add(f, wg), sub(f, wg).conj(), w};
    }

    // ---- the spectrum, once ----

    /**
     * The filters' spectra as the convolution kernel reads them: rows [F, T + 1] of complex bins (re, im), the real
     * FFT of the first T taps zero-padded to N, times 1/(2N). Modal taps are summed over the modes in fp64.
     */
    public static GeneratedKernel spectrum(Filter f, Blocking k) {
        Signature sig = new Signature("fused_fft_spectrum_" + f.tag() + "_" + k.tag(), k.threads());
        Var logPoles = null, residues = null, taps = null;
        int modes = 0;
        CausalConv.Filter ex = null;
        if (f instanceof Modal m) {
            modes = m.modes();
            logPoles = sig.input("log_poles", Scalar.FLOAT, "weight log_poles [" + f.channels() + ", " + modes + "]");
            residues = sig.input("residues", Scalar.FLOAT, "weight residues [" + f.channels() + ", " + modes + "]");
        } else {
            ex = ((Explicit) f).taps();
            taps = ex.tapsParam(sig, Precision.FP32);
        }
        Var hf = sig.output("hf", Scalar.FLOAT, "filter spectra [" + f.rows() + ", " + (k.complex() + 1) + "] complex, over 2N");
        Var tw = sig.input("twiddles", Scalar.FLOAT, "e^(-2 pi i q / " + k.points() + ") for q < " + k.points() + ", (re, im)");

        Scope s = sig.k.body();
        Transform x = new Transform(sig, s, k, tw, 0);
        Var row = s.let("row", blockIdx(Axis.X).mul(k.channels()).add(x.c));
        Var active = s.let("active", row.lt(lit(f.rows())));
        final Var lp = logPoles, rs = residues, h = taps;
        final int nModes = modes;
        final CausalConv.Filter explicit = ex;
        s.comment("h[tau] for tau < T: the taps at the even (real) and odd (imaginary) steps; past T zeros.");
        x.stage(s, k.complex() / 2, (sl, m) -> {
            Expr[] parts = new Expr[2];
            for (int e = 0; e < 2; e++) {
                Var tau = sl.let("tau" + e, m.mul(2).add(e));
                Expr value;
                if (explicit != null) {
                    Expr inside = active.and(tau.lt(lit(explicit.len())));
                    value = select(inside, CausalConv.tap(h, row, tau, explicit), lit(0.0f));
                } else {
                    Var acc = sl.var("h" + e, Scalar.DOUBLE, lit(0.0));
                    sl.when(active, on -> on.unrolled("n", lit(0), lit(nModes), (n, body) -> {
                        Var at = body.let("at", row.mul(nModes).add(n));
                        body.inc(acc, rs.at(at).cast(Scalar.DOUBLE).mul(exp(lp.at(at).cast(Scalar.DOUBLE).mul(tau.cast(Scalar.DOUBLE)))));
                    }));
                    value = acc.cast(Scalar.FLOAT);
                }
                parts[e] = sl.let("x" + e, value);
            }
            return new Cx(parts[0], parts[1]);
        });
        float scale = 1.0f / (4 * k.points());
        x.forward(s, true);
        s.comment("The real spectrum's bins k and M - k, over 2N (the factor 2 of realBins included).");
        binPairs(s, x, (kk, body) -> {
            Cx[] bins = realBins(body, x, kk);
            body.when(active, w -> {
                Var at = w.let("at", row.cast(Scalar.INT64).mul(k.complex() + 1).add(kk).mul(2));
                w.set(hf.at(at), bins[0].re.mul(lit(scale)));
                w.set(hf.at(at.add(1)), bins[0].im.mul(lit(scale)));
                w.when(kk.lt(lit(k.complex() / 2)), partner -> {
                    Var pa = partner.let("pa", row.cast(Scalar.INT64).mul(k.complex() + 1).add(lit(k.complex()).sub(kk)).mul(2));
                    partner.set(hf.at(pa), bins[1].re.mul(lit(scale)));
                    partner.set(hf.at(pa.add(1)), bins[1].im.mul(lit(scale)));
                });
            });
        });
        return sig.build("fused_fft_spectrum", new Launch(Extent.of(Math.ceilDiv(f.rows(), k.channels())), Extent.of(1), Extent.of(1), k.threads(), 1, 1),
                List.of("The spectra of " + f.describe() + " for the fused FFT convolution in chunks of " + k.chunk() + ":",
                        "the real FFT (N = " + k.points() + ") of the first " + k.chunk() + " taps, over 2N; " + k.channels() + " rows a block."));
    }

    // ---- the convolution ----

    /** Runs a channel's and mode's parts are summed in: as many as keep every thread busy, dividing the parts evenly. */
    private static int runs(Blocking k, int statesPerBlock) {
        int runs = Math.max(1, Math.min(k.perChannel(), k.threads() / statesPerBlock));
        while (k.perChannel() % runs != 0) runs--;
        return runs;
    }

    /**
     * The convolution: with {@code gate} null, y = h ∗ x (+ skip ⊙ x) over x [B, L, C]; otherwise the Hyena core
     * y = gate(q) ⊙ (h ∗ s (+ skip ⊙ s)), s = k ⊙ v, from z [B, L, 3C] with q, k, v interleaved.
     */
    public static GeneratedKernel conv(Filter f, Primitive gate, Precision p, Blocking k) {
        if (gate != null && !gate.activation()) throw new IllegalArgumentException("unknown gate activation " + gate);
        if (f instanceof Explicit e && !fits(e.taps().len(), k)) {
            throw new IllegalArgumentException(e.taps().len() + " taps do not fit chunks of " + k.chunk());
        }
        boolean core = gate != null, modal = f instanceof Modal;
        long C = f.channels();
        int M = k.complex(), J = k.butterflies();
        Scalar st = p.storage();
        String io = Signature.shape("B", "L", C);
        String entry = (core ? "fused_fft_core_" : "fused_fft_conv_") + f.tag() + "_" + k.tag() + (core && gate != Primitive.IDENTITY ? "_" + gate : "")
                + "_" + p.suffix();
        Signature sig = new Signature(entry, k.threads());
        // 64 registers a thread: one butterfly's 8 complex values and its temporaries fit without spilling
        sig.k.minBlocksPerMultiprocessor(k.blocksPerMultiprocessor());
        Var in = core ? sig.input("z", st, "featurizer output " + Signature.shape("B", "L", 3 * C) + ", q, k, v interleaved")
                : sig.input("x", st, "input " + io);
        Var hf = sig.input("hf", Scalar.FLOAT, "filter spectra [" + f.rows() + ", " + (M + 1) + "] complex, over 2N (prepared once)");
        Var tw = sig.input("twiddles", Scalar.FLOAT, "e^(-2 pi i q / " + k.points() + ") for q < " + k.points() + ", (re, im)");
        int modes = modal ? ((Modal) f).modes() : 0;
        Var logPoles = modal ? sig.input("log_poles", Scalar.FLOAT, "weight log_poles [" + C + ", " + modes + "]") : null;
        Var residues = modal ? sig.input("residues", Scalar.FLOAT, "weight residues [" + C + ", " + modes + "]") : null;
        Var skip = f.skip() ? sig.input("skip", p.filter(), "weight skip [" + C + "]") : null;
        Var y = sig.output("y", st, "result " + io);
        Var length = sig.scalar("length", Scalar.INT64, "L");

        // the modes' reduction reuses the transform's arrays: half the modes in each, a row of (threads + 8) floats per mode,
        // so the threads summing one channel's modes meet distinct banks
        int reduceStride = k.threads() + 8, rowsPerArray = (modes + 1) / 2;
        Scope s = sig.k.body();
        Transform x = new Transform(sig, s, k, tw, rowsPerArray * reduceStride);
        int cm = k.channels() * Math.max(1, modes);
        Var state = modal ? sig.k.shared("state", Scalar.FLOAT, cm) : null;
        Var logs = modal ? sig.k.shared("logs", Scalar.FLOAT, cm) : null;
        Var quarter = modal ? sig.k.shared("quarter", Scalar.FLOAT, cm) : null;
        Var lambda = modal ? sig.k.shared("lambda", Scalar.FLOAT, cm) : null;
        Var whole = modal ? sig.k.shared("whole", Scalar.FLOAT, cm) : null;
        Var res = modal ? sig.k.shared("res", Scalar.FLOAT, cm) : null;
        // the states' update: every thread sums a run of one channel's and mode's parts, then one thread the runs
        int parts = runs(k, cm), perRun = k.perChannel() / parts;
        Var partial = modal ? sig.k.shared("partial", Scalar.FLOAT, cm * parts) : null;

        Var channel = s.let("cc", blockIdx(Axis.X).mul(k.channels()).add(x.c));
        Var active = s.let("active", channel.lt(lit(C)));
        Var row0 = s.let("row0", blockIdx(Axis.Y).cast(Scalar.INT64).mul(length));
        Expr filterRow = modal || ((Explicit) f).taps().groupSize() == 1 ? channel : s.let("g", channel.div(((Explicit) f).taps().groupSize()));
        Var spectrumRow = s.let("hrow", select(active, filterRow, lit(0)).cast(Scalar.INT64).mul(M + 1));

        if (modal) {
            s.comment("Per channel and mode: log(lambda), lambda^(T/4), lambda, lambda^T, the residue; the state starts at zero.");
            s.loop("u", threadIdx(Axis.X), lit(cm), lit(k.threads()), (u, body) -> {
                Var uc = body.let("uc", blockIdx(Axis.X).mul(k.channels()).add(u.div(modes)));
                Var at = body.let("at", uc.mul(modes).add(u.mod(modes)));
                Var lp = body.let("lp", select(uc.lt(lit(C)), load(logPoles, at), lit(0.0f)));
                body.set(logs.at(u), lp);
                body.set(quarter.at(u), exp(lp.mul(lit((float) (2 * J)))));
                body.set(lambda.at(u), exp(lp));
                body.set(whole.at(u), exp(lp.mul(lit((float) k.chunk()))));
                body.set(res.at(u), select(uc.lt(lit(C)), load(residues, at), lit(0.0f)));
                body.set(state.at(u), lit(0.0f));
            });
            s.barrier();
        }

        // s at step `pos` of this sequence and channel; zero outside [0, L) and past the last channel
        Signal signal = (sc, name, pos) -> {
            Var at = sc.let(name, row0.add(pos).mul(C).add(channel));
            Expr value = core ? load(in, at.mul(3).add(1)).mul(load(in, at.mul(3).add(2))) : load(in, at);
            return select(active.and(pos.ge(lit(0L))).and(pos.lt(length)), value, lit(0.0f));
        };

        s.loop("t0", Scalar.INT64, lit(0L), t0 -> t0.lt(length), hyenac.backends.codegen.Stmt.AssignOp.ADD, lit(k.chunk()), (t0, chunk) -> {
            if (modal) {
                chunk.comment("This chunk's s at the even (real) and odd (imaginary) steps, zero-padded to N.");
            } else {
                chunk.comment("Overlap-save: the transform reads the T steps before the chunk (history, zeros before 0) and the chunk.");
            }
            x.stage(chunk, modal ? M / 2 : M, (sl, m) -> {
                Expr first = modal ? t0 : t0.sub(k.chunk());
                Var pos = sl.let("p", first.add(m.mul(2)));
                return new Cx(sl.let("se", signal.at(sl, "ae", pos)), sl.let("so", signal.at(sl, "ao", pos.add(1))));
            });
            x.forward(chunk, modal);
            {
                Scope sc = chunk;
                sc.comment("Bins k and M - k of the real spectrum, times the filter's (over 2N), back to the packing the inverse reads:");
                sc.comment("with P = Y[k] + conj(Y[M-k]), V = W^-k (Y[k] - conj(Y[M-k])): Z'[k] = P + iV, Z'[M-k] = conj(P - iV).");
                binPairs(sc, x, (kk, body) -> {
                    Cx[] bins = realBins(body, x, kk);
                    Var hk = body.let("hk", spectrumRow.add(kk).mul(2));
                    Var hm = body.let("hm", spectrumRow.add(lit(M).sub(kk)).mul(2));
                    Cx yk = let(body, "yk", mul(bins[0], new Cx(load(hf, hk), load(hf, hk.add(1)))));
                    Cx ym = let(body, "ym", mul(bins[1], new Cx(load(hf, hm), load(hf, hm.add(1)))));
                    Cx pp = let(body, "pp", add(yk, ym.conj()));
                    Cx v = let(body, "v", mul(bins[2].conj(), sub(yk, ym.conj())));
                    Cx iv = timesI(v, 1);
                    x.write(body, "zk", kk, add(pp, iv));
                    body.when(kk.gt(lit(0)).and(kk.lt(lit(M / 2))), partner -> x.write(partner, "zm", lit(M).sub(kk), sub(pp, iv).conj()));
                });
                sc.barrier();
            }
            x.inverse(chunk);
            boolean[] wanted = new boolean[8];
            for (int r = 0; r < 8; r++) wanted[r] = modal ? r < 4 : r >= 4;
            x.lastPass(chunk, wanted);

            Var more = modal ? chunk.let("more", t0.add(k.chunk()).lt(length)) : null;
            Var ep = modal ? chunk.array("ep", Scalar.FLOAT, modes) : null;
            if (modal) chunk.unrolled("n", lit(0), lit(modes), (n, body) -> body.set(ep.at(n), lit(0.0f)));
            chunk.comment("Epilogue: ar[8i + 2r + e] is the convolution at step t0 + 2(j + r*M/8) + e of this chunk.");
            chunk.unrolled("i", lit(0), lit(k.slots()), (i, sl) -> {
                Var j = x.butterfly(sl, i);
                boolean needS = skip != null || modal;
                Var sv = needS ? sl.array("sv", Scalar.FLOAT, 8) : null;
                if (needS) {
                    for (int r = 0; r < 4; r++) {
                        for (int e = 0; e < 2; e++) {
                            Var pos = sl.let("p" + r + e, t0.add(j.add(r * J).mul(2)).add(e));
                            sl.set(sv.at(2 * r + e), signal.at(sl, "a" + r + e, pos));
                        }
                    }
                }
                if (modal) {
                    sl.comment("The modes' states carry everything before the chunk: + R * lambda^(tau + 1) * S, tau = 2(j + r*M/8) + e.");
                    sl.when(t0.gt(lit(0L)), carry -> carry.unrolled("n", lit(0), lit(modes), (n, body) -> {
                        Var at = body.let("at", x.c.mul(modes).add(n));
                        Var w = body.var("w", Scalar.FLOAT, res.at(at).mul(state.at(at)).mul(exp(logs.at(at).mul(j.mul(2).add(1).cast(Scalar.FLOAT)))));
                        Var l1 = body.let("l1", lambda.at(at));
                        Var step = body.let("qs", quarter.at(at));
                        for (int r = 0; r < 4; r++) {
                            body.inc(x.reg(x.ar, i, 2 * r), w);
                            body.inc(x.reg(x.ar, i, 2 * r + 1), w.mul(l1));
                            if (r < 3) body.set(w, w.mul(step));
                        }
                    }));
                    sl.comment("This slot's part of the chunk's own contribution to the states: sum_tau lambda^(T - 1 - tau) * s.");
                    sl.when(more, contrib -> contrib.unrolled("n", lit(0), lit(modes), (n, body) -> {
                        Var at = body.let("at", x.c.mul(modes).add(n));
                        Var l1 = body.let("l1", lambda.at(at));
                        Var step = body.let("qs", quarter.at(at));
                        Var acc = body.var("acc", Scalar.FLOAT, l1.mul(sv.at(0)).add(sv.at(1)));
                        for (int r = 1; r < 4; r++) body.set(acc, acc.mul(step).add(l1.mul(sv.at(2 * r)).add(sv.at(2 * r + 1))));
                        Expr top = lit(2 * J - 2).sub(j.mul(2)).cast(Scalar.FLOAT);
                        body.inc(ep.at(n), acc.mul(exp(logs.at(at).mul(top))));
                    }));
                }
                for (int r = 0; r < 4; r++) {
                    for (int e = 0; e < 2; e++) {
                        int reg = 2 * r + e;
                        Var pos = sl.let("o" + r + e, t0.add(j.add(r * J).mul(2)).add(e));
                        sl.when(active.and(pos.lt(length)), out -> {
                            Expr v = x.reg(x.ar, i, reg);
                            if (skip != null) v = v.add(load(skip, channel).mul(sv.at(reg)));
                            Var at = out.let("at", row0.add(pos).mul(C).add(channel));
                            if (core) {
                                Var value = out.let("v", v);
                                Var q = out.let("q", load(in, at.mul(3)));
                                Expr gated = gate == Primitive.IDENTITY ? q : out.let("gq", Activations.apply(gate, q));
                                out.store(y, at, gated.mul(value));
                            } else {
                                out.store(y, at, v);
                            }
                        });
                    }
                }
            });
            if (modal) {
                chunk.comment("The states after the chunk: S = lambda^T * S + the block's sum of the threads' parts (in the real array).");
                chunk.when(more, upd -> {
                    upd.barrier();
                    for (int n = 0; n < modes; n++) {
                        Var half = n < rowsPerArray ? x.re : x.im;
                        upd.set(half.at(lit(n % rowsPerArray * reduceStride).add(threadIdx(Axis.X))), ep.at(n));
                    }
                    upd.barrier();
                    upd.comment("Each channel's and mode's " + k.perChannel() + " parts summed in " + parts + " runs by as many threads, then the runs.");
                    upd.loop("u", threadIdx(Axis.X), lit(cm * parts), lit(k.threads()), (u, body) -> {
                        Var uc = body.let("uc", u.mod(k.channels()));
                        Var un = body.let("un", u.div(k.channels()).mod(modes));
                        Var first = body.let("first", u.div(cm).mul(perRun));
                        Var sum = body.var("sum", Scalar.FLOAT, lit(0.0f));
                        Var from = body.let("from", un.mod(rowsPerArray).mul(reduceStride).add(uc));
                        java.util.function.Function<Var, java.util.function.Consumer<Scope>> add = arr -> sc -> sc.loop("m", first, first.add(perRun),
                                lit(1), (m, acc) -> acc.inc(sum, arr.at(from.add(m.mul(k.channels())))));
                        body.when(un.lt(lit(rowsPerArray)), add.apply(x.re), add.apply(x.im));
                        body.set(partial.at(u), sum);
                    });
                    upd.barrier();
                    upd.loop("u", threadIdx(Axis.X), lit(cm), lit(k.threads()), (u, body) -> {
                        Var at = body.let("at", u.mod(k.channels()).mul(modes).add(u.div(k.channels())));
                        Var sum = body.var("sum", Scalar.FLOAT, partial.at(u));
                        for (int r = 1; r < parts; r++) body.inc(sum, partial.at(u.add(r * cm)));
                        body.set(state.at(at), whole.at(at).mul(state.at(at)).add(sum));
                    });
                    upd.barrier();
                });
            } else {
                chunk.comment("Every thread has read the transform before the next chunk writes it.");
                chunk.barrier();
            }
        });

        List<String> about = new ArrayList<>();
        about.add(core ? "Fused Hyena core by FFT: y = " + (gate == Primitive.IDENTITY ? "q" : gate + "(q)") + " * (h * s" + (f.skip() ? " + skip * s" : "")
                + "), s = k * v, reading q, k, v interleaved;" : "Causal convolution by FFT: y = h * x" + (f.skip() ? " + skip * x" : "") + ";");
        about.add("h: " + f.describe() + ". Chunks of " + k.chunk() + " steps, each a real FFT of " + k.points() + " points in shared memory (radix-8 Stockham),");
        about.add((modal ? "earlier chunks through the modes' states" : "overlap-save with the chunk before") + "; " + k.channels()
                + " channels of one sequence a block, fp32.");
        return sig.build(core ? "fused_fft_core" : "fused_fft_conv",
                new Launch(Extent.of(Math.ceilDiv(C, k.channels())), Extent.batch(), Extent.of(1), k.threads(), 1, 1), about);
    }
}
