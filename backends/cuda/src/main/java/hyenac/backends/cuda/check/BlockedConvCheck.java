package hyenac.backends.cuda.check;

import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.kernels.BlockedConv;
import hyenac.backends.codegen.kernels.BlockedConv.Walk;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.CausalConv.Filter;
import hyenac.backends.codegen.kernels.CausalConv.Taps;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.cpu.Conv;
import hyenac.backends.cpu.Elementwise;
import hyenac.backends.cpu.Fir;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Dim3;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.bindings.KernelArgs;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.Primitive;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The two-stage blocked convolution ({@link BlockedConv}) on a GPU, as the fused Hyena core: compiled by NVRTC from the
 * generated source; checked against the CPU backend (the direct convolution in fp32, within the bound of s's rounding
 * to bf16: |err| ≤ 2^-8·|q|·Σ|h||s| + 2^-7·|ref| + 1e-3) and
 * against the same sums with s rounded to bf16 as the tensor cores take it (within one bf16 step of y: 2^-7·|ref| +
 * 1e-3; with the featurizer inside, plus a z rounded the other way: 2^-8·|q|·Σ|h||s|) at shapes that cross every edge (L not a multiple of 16 or of a segment, one step, segments shorter than the
 * halo, idle warps, B = 3, 1 to 128 taps in both orders, every gate) and at Evo 2 7B's Hyena-MR (D = 4096, 256 groups,
 * 128 taps: L = 1024; B = 2, L = 700 in segments of 512; L = 1100 in segments of 144). The core that computes the
 * featurizer itself from the input projection's output u (Evo 2's featurizer: 3 taps per channel, cross-correlation
 * order) likewise, against the CPU (z rounded to bf16 as the unfused plan stores it) and bit for bit against the unfused
 * kernels (the featurizer's direct kernel writing z, then the core), for SE and MR at small shapes and Evo 2 7B's.
 * Then timed at B = 1, D = 4096, L = 8192 and 65536, Hyena-MR (128 taps) and Hyena-SE (7 taps): the core from z,
 * blocked in segments of 512, 1024, 2048 and 4096 steps, the direct kernel beside it; and the fused variant that starts
 * from u beside the plain core and beside the featurizer's kernel followed by the core, which it replaces (5 warm-up
 * launches, 50 timed after an L2 flush each, the median), as effective bandwidth over the minimal 8·D·L bytes (q, k, v
 * or u read, y written).
 * {@code java --enable-native-access=ALL-UNNAMED -cp app/target/hyenac.jar hyenac.backends.cuda.check.BlockedConvCheck};
 * exits 0 when every check passed (the targets of issue 12, MR ≤ 0.20 ms at 8192 and ≤ 1.3 ms at 65536 on an H100, are
 * reported, not checked).
 */
public final class BlockedConvCheck {
    static final int WIDTH = 4096, GROUPS = 256;

    private final PrintStream out;
    private final Driver d;
    private final CudaContext ctx;
    private final Nvrtc nvrtc;
    private final String arch;
    private int failures;

    private BlockedConvCheck(PrintStream out, CudaContext ctx, Nvrtc nvrtc, String arch) {
        this.out = out;
        this.d = ctx.driver();
        this.ctx = ctx;
        this.nvrtc = nvrtc;
        this.arch = arch;
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        int failures;
        try (CudaContext ctx = CudaContext.open(0)) {
            Nvrtc nvrtc = Nvrtc.load();
            String arch = nvrtc.archFor(ctx.device().computeMajor(), ctx.device().computeMinor());
            out.println("INFO device: " + ctx.device() + "; NVRTC " + nvrtc.version()[0] + "." + nvrtc.version()[1] + " for " + arch);
            BlockedConvCheck c = new BlockedConvCheck(out, ctx, nvrtc, arch);
            c.run();
            failures = c.failures;
        } catch (RuntimeException e) {
            out.println("FAIL " + e.getClass().getSimpleName() + ": " + e.getMessage());
            failures = 1;
        }
        out.println(failures == 0 ? "all blocked convolution checks passed" : failures + " blocked convolution check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** A core to check: its filter, gate and segment, and a problem size; with a featurizer, the core computing it from u. */
    private record Case(String name, Filter filter, Filter featurizer, Primitive gate, Walk walk, int batch, int length) {
        Case(String name, Filter filter, Primitive gate, Walk walk, int batch, int length) { this(name, filter, null, gate, walk, batch, length); }

        String describe() {
            return filter.describe() + (featurizer != null ? ", featurizer " + featurizer.describe() : "") + ", " + gate + " gate, " + walk.describe()
                    + ", B=" + batch + " L=" + length;
        }
    }

    /** Evo 2's featurizer of a core's 3C channels: 3 taps per channel, cross-correlation order, no skip. */
    static Filter featurizer(Filter core) { return new Filter(3 * core.channels(), 3, 3 * core.channels(), Taps.XCORR, false); }

    private void run() {
        for (Case c : List.of(
                new Case("mr", new Filter(48, 128, 3, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(64), 2, 150),
                new Case("se", new Filter(64, 7, 4, Taps.XCORR, false), Primitive.GELU, Walk.segments(BlockedConv.SEGMENT), 2, 70),
                new Case("k127", new Filter(64, 127, 2, Taps.FIR, true), Primitive.SILU, Walk.segments(48), 1, 200),
                new Case("k128", new Filter(128, 128, 8, Taps.FIR, true), Primitive.RELU, Walk.segments(16), 3, 33),
                new Case("k1", new Filter(32, 1, 2, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(32), 2, 37),
                new Case("k2", new Filter(96, 2, 3, Taps.XCORR, false), Primitive.IDENTITY, Walk.segments(32), 1, 100),
                new Case("one_step", new Filter(48, 128, 3, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(64), 2, 1),
                new Case("evo2_7b_mr", new Filter(WIDTH, 128, GROUPS, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(BlockedConv.SEGMENT), 1, 1024),
                new Case("evo2_7b_mr_b2", new Filter(WIDTH, 128, GROUPS, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(512), 2, 700),
                new Case("evo2_7b_mr_seg144", new Filter(WIDTH, 128, GROUPS, Taps.FIR, true), Primitive.IDENTITY, Walk.segments(144), 1, 1100))) {
            check("blocked " + c.name() + " (" + c.describe() + ")", () -> compare(c));
        }
        Filter mr = new Filter(WIDTH, 128, GROUPS, Taps.FIR, true), se = new Filter(WIDTH, 7, GROUPS, Taps.XCORR, false);
        Filter smallMr = new Filter(48, 128, 3, Taps.FIR, true), smallSe = new Filter(64, 7, 4, Taps.XCORR, false);
        // the core computing its featurizer: strips whose first rows read the strip before's tail, segments whose halo (and the
        // strip before it) come from the blocks before, every gate, one step; Evo 2 7B's SE and MR
        for (Case c : List.of(
                new Case("featurized_mr", smallMr, featurizer(smallMr), Primitive.IDENTITY, Walk.segments(64), 2, 150),
                new Case("featurized_mr_seg16", smallMr, featurizer(smallMr), Primitive.SILU, Walk.segments(16), 2, 17),
                new Case("featurized_se", smallSe, featurizer(smallSe), Primitive.GELU, Walk.segments(32), 2, 70),
                new Case("featurized_se_skip", smallSe, new Filter(192, 5, 3, Taps.FIR, true), Primitive.RELU, Walk.segments(48), 2, 100),
                new Case("featurized_one_step", smallMr, featurizer(smallMr), Primitive.IDENTITY, Walk.segments(64), 2, 1),
                new Case("evo2_7b_featurized_mr", mr, featurizer(mr), Primitive.IDENTITY, BlockedConv.WALK, 1, 1024),
                new Case("evo2_7b_featurized_mr_seg144", mr, featurizer(mr), Primitive.IDENTITY, Walk.segments(144), 2, 1100),
                new Case("evo2_7b_featurized_se", se, featurizer(se), Primitive.IDENTITY, Walk.segments(512), 2, 700))) {
            check("blocked " + c.name() + " (" + c.describe() + ")", () -> compare(c));
        }
        for (int length : new int[] {8192, 65536}) {
            for (Walk walk : List.of(Walk.segments(512), Walk.segments(1024), Walk.segments(2048), Walk.segments(4096))) {
                time("Hyena-MR blocked, " + walk.describe(), List.of(BlockedConv.generate(mr, Precision.BF16, true, Primitive.IDENTITY, walk)), length);
            }
            time("Hyena-MR direct", List.of(CausalConv.hyenaCore(mr, Primitive.IDENTITY, Precision.BF16)), length);
            time("Hyena-SE blocked, " + BlockedConv.WALK.describe(), List.of(BlockedConv.core(se, Primitive.IDENTITY, Precision.BF16)), length);
            time("Hyena-SE direct", List.of(CausalConv.hyenaCore(se, Primitive.IDENTITY, Precision.BF16)), length);
            // from the input projection's output u: the fused core, beside the featurizer's kernel and then the core it replaces
            for (Filter f : List.of(mr, se)) {
                String name = f.len() == 128 ? "Hyena-MR" : "Hyena-SE";
                GeneratedKernel plainFeaturizer = CausalConv.direct(featurizer(f), Precision.BF16);
                time(name + " blocked with its featurizer, from u, " + BlockedConv.WALK.describe(),
                        List.of(BlockedConv.core(f, featurizer(f), Primitive.IDENTITY, Precision.BF16)), length);
                time(name + " featurizer, then blocked from z (unfused)", List.of(plainFeaturizer, BlockedConv.core(f, Primitive.IDENTITY, Precision.BF16)), length);
                time(name + " featurizer alone", List.of(plainFeaturizer), length);
            }
            time("Hyena-SE direct with its featurizer, from u", List.of(CausalConv.hyenaCore(se, featurizer(se), Primitive.IDENTITY, Precision.BF16)), length);
        }
    }

    private Driver.Function compile(GeneratedKernel k) {
        Nvrtc.CompiledKernel compiled = nvrtc.compile(k.entry(), k.kernel().render(CudaDialect.INSTANCE), Nvrtc.defaultOptions(arch));
        Driver.Function f = d.moduleGetFunction(d.moduleLoadData(compiled.image(), k.entry()), k.entry());
        ctx.allowDynamicSharedMemory(f, k.kernel().dynamicSharedBytes(CudaDialect.INSTANCE));
        return f;
    }

    /**
     * Device buffers of one core: u and z [B, L, 3C], the featurizer's taps (3 per channel, the longest a case has) and
     * skip, h, skip and y, freed on close.
     */
    private final class Buffers implements AutoCloseable {
        static final int FEATURE_TAPS = 5;
        final long u, z, featureH, featureSkip, h, skip, y;
        final long zBytes, yBytes;

        Buffers(Filter f, int batch, int length) {
            zBytes = 2L * batch * length * 3 * f.channels();
            yBytes = 2L * batch * length * f.channels();
            u = d.memAlloc(zBytes, "u");
            z = d.memAlloc(zBytes, "z");
            y = d.memAlloc(yBytes, "y");
            featureH = d.memAlloc(4L * 3 * f.channels() * FEATURE_TAPS, "feature_h");
            featureSkip = d.memAlloc(4L * 3 * f.channels(), "feature_skip");
            h = d.memAlloc(4L * f.groups() * f.len(), "h");
            skip = d.memAlloc(4L * f.channels(), "skip");
        }

        /** A core's arguments (from z, or from u computing the featurizer), or the featurizer's own kernel's (u into z). */
        KernelArgs args(GeneratedKernel k, long length) {
            boolean featurizer = k.name().equals("causal_conv");
            KernelArgs a = ctx.args(k.params().size());
            for (KernelParam p : k.params()) {
                switch (p.name()) {
                    case "u", "x" -> a.ptr(u);
                    case "z" -> a.ptr(z);
                    case "feature_h" -> a.ptr(featureH);
                    case "feature_skip" -> a.ptr(featureSkip);
                    case "h" -> a.ptr(featurizer ? featureH : h);
                    case "skip" -> a.ptr(featurizer ? featureSkip : skip);
                    case "y" -> a.ptr(featurizer ? z : y);
                    case "length" -> a.i64(length);
                    default -> throw new IllegalStateException("nothing binds parameter " + p.name() + " of " + k.entry());
                }
            }
            return a;
        }

        @Override public void close() {
            for (long p : new long[] {u, z, featureH, featureSkip, h, skip, y}) d.memFree(p, "core buffers");
        }
    }

    private void launch(GeneratedKernel k, Driver.Function fn, int batch, int length, KernelArgs args, Stream stream) {
        Launch l = k.launch();
        long[] grid = l.grid(Map.of(Extent.B, (long) batch, Extent.L, (long) length));
        d.launchKernel(fn, new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])), new Dim3(l.blockX(), l.blockY(), l.blockZ()),
                k.kernel().dynamicSharedBytes(CudaDialect.INSTANCE), stream, args);
    }

    private String compare(Case c) {
        Filter f = c.filter(), fz = c.featurizer();
        int channels = Math.toIntExact(f.channels()), rows = c.batch() * c.length();
        Random rnd = new Random(1000 + c.length());
        // WeightStore.random's scales: filters N(0, 1/K) (held in bf16, as a bf16 model's are), skips N(0, 1/4)
        float[] taps = new float[f.len() * (int) f.groups()], skip = new float[channels];
        for (int i = 0; i < taps.length; i++) taps[i] = round((float) (rnd.nextGaussian() / Math.sqrt(f.len())));
        for (int i = 0; i < skip.length; i++) skip[i] = (float) (rnd.nextGaussian() * 0.5);
        // the core's input: z, or u and the featurizer's taps and skip (bf16 values)
        float[] in = new float[rows * 3 * channels];
        short[] inBf16 = new short[in.length];
        for (int i = 0; i < in.length; i++) {
            inBf16[i] = DeviceCheck.toBf16((float) rnd.nextGaussian());
            in[i] = DeviceCheck.fromBf16(inBf16[i]);
        }
        float[] featureTaps = fz == null ? null : new float[fz.len() * (int) fz.groups()], featureSkip = new float[3 * channels];
        if (fz != null) {
            for (int i = 0; i < featureTaps.length; i++) featureTaps[i] = round((float) (rnd.nextGaussian() / Math.sqrt(fz.len())));
            for (int i = 0; i < featureSkip.length; i++) featureSkip[i] = round((float) (rnd.nextGaussian() * 0.5));
        }
        GeneratedKernel k = fz == null ? BlockedConv.generate(f, Precision.BF16, true, c.gate(), c.walk())
                : BlockedConv.generate(f, fz, Precision.BF16, c.gate(), c.walk());
        float[] got, unfused = null;
        try (Buffers b = new Buffers(f, c.batch(), c.length())) {
            d.memcpyHtoD(fz == null ? b.z : b.u, inBf16, fz == null ? "z" : "u");
            d.memcpyHtoD(b.h, taps, "h");
            d.memcpyHtoD(b.skip, skip, "skip");
            if (fz != null) {
                d.memcpyHtoD(b.featureH, featureTaps, "feature_h");
                d.memcpyHtoD(b.featureSkip, featureSkip, "feature_skip");
            }
            got = run(List.of(k), b, c);
            // the unfused plan's kernels: the featurizer's own (direct) into z, then the core reading z
            if (fz != null) unfused = run(List.of(CausalConv.direct(fz, Precision.BF16), BlockedConv.generate(f, Precision.BF16, true, c.gate(), c.walk())), b, c);
        }
        // z as the plan stores it: in bf16
        float[] z = in;
        if (fz != null) {
            Fir featureFir = Fir.of(featureTaps, Math.toIntExact(fz.groups()), fz.len(), fz.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
            z = Conv.direct(in, c.batch(), c.length(), 3 * channels, featureFir, fz.skip() ? featureSkip : null);
            for (int i = 0; i < z.length; i++) z[i] = round(z[i]);
        }
        float[][] qkv = hyenac.backends.cpu.Channels.deinterleave(z, rows, 3 * channels, 3);
        float[] q = hyenac.backends.cpu.Activation.of(c.gate()).apply(qkv[0]), s = Elementwise.mul(qkv[1], qkv[2]);
        Fir fir = Fir.of(taps, Math.toIntExact(f.groups()), f.len(), f.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
        float[] oracle = Elementwise.mul(q, Conv.direct(s, c.batch(), c.length(), channels, fir, f.skip() ? skip : null));
        // the tensor cores' products take s in bf16; the skip term takes it unrounded
        float[] sRounded = new float[s.length];
        for (int i = 0; i < s.length; i++) sRounded[i] = round(s[i]);
        float[] matched = Conv.direct(sRounded, c.batch(), c.length(), channels, fir, null);
        if (f.skip()) for (int i = 0; i < matched.length; i++) matched[i] += skip[i % channels] * s[i];
        matched = Elementwise.mul(q, matched);
        // against the unrounded oracle, the bound of s's rounding to bf16 (2^-9 relative, with a factor 2 to spare) over the
        // sum's terms |q|·Σ|h||s|, and one bf16 step of y: a fixed tolerance fails a rare element whose terms cancel
        float[] absTaps = taps.clone(), absS = s.clone(), absQ = q.clone();
        for (int i = 0; i < absTaps.length; i++) absTaps[i] = Math.abs(absTaps[i]);
        for (int i = 0; i < absS.length; i++) absS[i] = Math.abs(absS[i]);
        for (int i = 0; i < absQ.length; i++) absQ[i] = Math.abs(absQ[i]);
        Fir absFir = Fir.of(absTaps, Math.toIntExact(f.groups()), f.len(), f.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
        float[] terms = Elementwise.mul(absQ, Conv.direct(absS, c.batch(), c.length(), channels, absFir, null));
        double[] bound = new double[oracle.length];
        for (int i = 0; i < bound.length; i++) bound[i] = 1e-3 + Math.abs(oracle[i]) / 128 + terms[i] / 256;
        // with the featurizer inside, the GPU sums z in fp32 as nvcc contracts it and the CPU without FMAs: a z on a bf16
        // rounding boundary may round the other way, moving s by one bf16 step (2^-8) in the sum's terms
        double[] tightBound = new double[matched.length];
        for (int i = 0; i < tightBound.length; i++) tightBound[i] = 1e-3 + Math.abs(matched[i]) / 128 + (fz == null ? 0 : terms[i] / 256);
        String loose = worst(got, oracle, bound), tight = worst(got, matched, tightBound);
        if (loose != null) throw new AssertionError("against the CPU backend: " + loose);
        if (tight != null) throw new AssertionError("against the bf16-matched sums: " + tight);
        if (unfused != null) {
            for (int i = 0; i < got.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(unfused[i])) {
                    throw new AssertionError(f("against the featurizer's kernel and then the core: at %d got %s, unfused %s", i, got[i], unfused[i]));
                }
            }
        }
        return f("matches the CPU backend and the bf16-matched sums%s (%d outputs; max|err| %.2e against the CPU, max|ref| %.2e)",
                unfused != null ? ", and the unfused kernels bit for bit" : "", got.length, maxError(got, oracle), maxAbs(oracle));
    }

    /** y after {@code kernels} run in order on {@code b} (y set to NaNs first: an output the kernels miss shows). */
    private float[] run(List<GeneratedKernel> kernels, Buffers b, Case c) {
        d.memsetD8(b.y, (byte) 0xff, b.yBytes, "y");
        for (GeneratedKernel k : kernels) {
            launch(k, compile(k), c.batch(), c.length(), b.args(k, c.length()), Stream.DEFAULT);
            d.ctxSynchronize("running " + k.entry());
        }
        short[] yb = d.memcpyDtoHShorts(b.y, (int) (b.yBytes / 2), "y");
        float[] y = new float[yb.length];
        for (int i = 0; i < y.length; i++) y[i] = DeviceCheck.fromBf16(yb[i]);
        return y;
    }

    /** {@code kernels} launched in order, timed together. */
    private void time(String what, List<GeneratedKernel> kernels, int length) {
        check(f("time %s, B=1 D=%d L=%d", what, WIDTH, length), () -> {
            List<Driver.Function> fns = kernels.stream().map(this::compile).toList();
            Filter real = new Filter(WIDTH, 128, GROUPS, Taps.FIR, true); // buffers for the longer of the two filters
            try (Buffers b = new Buffers(real, 1, length)) {
                // 0x3e3e: every bf16 about 0.19, every fp32 tap and skip about 0.19 too: finite sums, no denormals
                d.memsetD8(b.u, (byte) 0x3e, b.zBytes, "u");
                d.memsetD8(b.z, (byte) 0x3e, b.zBytes, "z");
                d.memsetD8(b.featureH, (byte) 0x3e, 4L * 3 * WIDTH * Buffers.FEATURE_TAPS, "feature_h");
                d.memsetD8(b.featureSkip, (byte) 0x3e, 4L * 3 * WIDTH, "feature_skip");
                d.memsetD8(b.h, (byte) 0x3e, 4L * real.groups() * real.len(), "h");
                d.memsetD8(b.skip, (byte) 0x3e, 4L * WIDTH, "skip");
                long flush = d.memAlloc(FlushedTiming.FLUSH_BYTES, "the L2 flush buffer");
                try {
                    List<KernelArgs> args = kernels.stream().map(k -> b.args(k, length)).toList();
                    float[] ms = FlushedTiming.sorted(d, flush, () -> {
                        for (int j = 0; j < kernels.size(); j++) launch(kernels.get(j), fns.get(j), 1, length, args.get(j), Stream.DEFAULT);
                    });
                    double median = ms[ms.length / 2], bytes = 8.0 * WIDTH * length;
                    String described = kernels.stream().map(k -> k.entry() + " " + k.launch() + ", " + k.kernel().sharedBytes() + " bytes of shared memory")
                            .collect(java.util.stream.Collectors.joining("; then "));
                    return f("median %.3f ms (min %.3f, max %.3f): %.0f GB/s over 8*D*L bytes; %s", median, ms[0], ms[ms.length - 1],
                            bytes / (median * 1e-3) / 1e9, described);
                } finally {
                    d.memFree(flush, "the L2 flush buffer");
                }
            }
        });
    }

    private static float round(float x) { return DeviceCheck.fromBf16(DeviceCheck.toBf16(x)); }

    /** Null when |got − want| ≤ bound everywhere, else the worst element (by how far it is over) and how many are over. */
    private static String worst(float[] got, float[] want, double[] bound) {
        int worst = -1, over = 0;
        double excess = 0;
        for (int i = 0; i < want.length; i++) {
            double e = Math.abs((double) got[i] - want[i]), past = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e - bound[i];
            if (past > 0) over++;
            if (past > excess) {
                excess = past;
                worst = i;
            }
        }
        return worst < 0 ? null : f("at %d got %s, expected %s (bound %.3e; %d of %d over)", worst, got[worst], want[worst], bound[worst], over, want.length);
    }

    private static double maxError(float[] got, float[] want) {
        double m = 0;
        for (int i = 0; i < want.length; i++) m = Math.max(m, Math.abs((double) got[i] - want[i]));
        return m;
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float v : x) m = Math.max(m, Math.abs(v));
        return m;
    }

    private interface Check {
        String run() throws Exception;
    }

    private void check(String name, Check c) {
        try {
            out.println("PASS " + name + ": " + c.run());
        } catch (Throwable t) {
            failures++;
            out.println("FAIL " + name + ": " + t.getClass().getSimpleName() + ": " + t.getMessage());
        }
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
