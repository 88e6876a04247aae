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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The two-stage blocked convolution ({@link BlockedConv}) on a GPU, as the fused Hyena core: compiled by NVRTC from the
 * generated source; checked against the CPU backend (the direct convolution in fp32, within the bound of s's rounding
 * to bf16: |err| ≤ 2^-8·|q|·Σ|h||s| + 2^-7·|ref| + 1e-3) and
 * against the same sums with s rounded to bf16 as the tensor cores take it (within one bf16 step of y: 2^-7·|ref| +
 * 1e-3) at shapes that cross every edge (L not a multiple of 16 or of a segment, one step, segments shorter than the
 * halo, idle warps, B = 3, 1 to 128 taps in both orders, every gate) and at Evo 2 7B's Hyena-MR (D = 4096, 256 groups,
 * 128 taps: L = 1024; B = 2, L = 700 in segments of 512; L = 1100 in segments of 144); then timed at B = 1,
 * D = 4096, L = 8192 and 65536, Hyena-MR (128 taps) and Hyena-SE (7 taps), blocked in segments of 512, 1024, 2048
 * and 4096 steps, the direct kernel beside it (5 warm-up launches, 50 timed after an L2 flush each,
 * the median), as effective bandwidth over the minimal 8·D·L bytes (q, k, v read, y written).
 * {@code java --enable-native-access=ALL-UNNAMED -cp app/target/hyenac.jar hyenac.backends.cuda.check.BlockedConvCheck};
 * exits 0 when every check passed (the targets of issue 12, MR ≤ 0.20 ms at 8192 and ≤ 1.3 ms at 65536 on an H100, are
 * reported, not checked).
 */
public final class BlockedConvCheck {
    static final int WARMUP = 5, REPS = 50;
    static final long FLUSH_BYTES = 256L << 20;
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

    /** A core to check: its filter, gate and segment, and a problem size. */
    private record Case(String name, Filter filter, Primitive gate, Walk walk, int batch, int length) {}

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
            check("blocked " + c.name() + " (" + c.filter().describe() + ", " + c.gate() + " gate, " + c.walk().describe() + ", B=" + c.batch() + " L="
                    + c.length() + ")", () -> compare(c));
        }
        Filter mr = new Filter(WIDTH, 128, GROUPS, Taps.FIR, true), se = new Filter(WIDTH, 7, GROUPS, Taps.XCORR, false);
        for (int length : new int[] {8192, 65536}) {
            for (Walk walk : List.of(Walk.segments(512), Walk.segments(1024), Walk.segments(2048), Walk.segments(4096))) {
                time("Hyena-MR blocked, " + walk.describe(), BlockedConv.generate(mr, Precision.BF16, true, Primitive.IDENTITY, walk), length);
            }
            time("Hyena-MR direct", CausalConv.hyenaCore(mr, Primitive.IDENTITY, Precision.BF16), length);
            time("Hyena-SE blocked, " + BlockedConv.WALK.describe(), BlockedConv.core(se, Primitive.IDENTITY, Precision.BF16), length);
            time("Hyena-SE direct", CausalConv.hyenaCore(se, Primitive.IDENTITY, Precision.BF16), length);
        }
    }

    private Driver.Function compile(GeneratedKernel k) {
        Nvrtc.CompiledKernel compiled = nvrtc.compile(k.entry(), k.kernel().render(CudaDialect.INSTANCE), Nvrtc.defaultOptions(arch));
        return d.moduleGetFunction(d.moduleLoadData(compiled.image(), k.entry()), k.entry());
    }

    /** Device buffers of one core: z [B, L, 3C], h, skip and y, freed on close. */
    private final class Buffers implements AutoCloseable {
        final long z, h, skip, y;
        final long zBytes, yBytes;

        Buffers(Filter f, int batch, int length) {
            zBytes = 2L * batch * length * 3 * f.channels();
            yBytes = 2L * batch * length * f.channels();
            z = d.memAlloc(zBytes, "z");
            y = d.memAlloc(yBytes, "y");
            h = d.memAlloc(4L * f.groups() * f.len(), "h");
            skip = d.memAlloc(4L * f.channels(), "skip");
        }

        KernelArgs args(GeneratedKernel k, long length) {
            KernelArgs a = ctx.args(k.params().size());
            for (KernelParam p : k.params()) {
                switch (p.name()) {
                    case "z" -> a.ptr(z);
                    case "h" -> a.ptr(h);
                    case "skip" -> a.ptr(skip);
                    case "y" -> a.ptr(y);
                    case "length" -> a.i64(length);
                    default -> throw new IllegalStateException("nothing binds parameter " + p.name() + " of " + k.entry());
                }
            }
            return a;
        }

        @Override public void close() {
            for (long p : new long[] {z, h, skip, y}) d.memFree(p, "core buffers");
        }
    }

    private void launch(GeneratedKernel k, Driver.Function fn, int batch, int length, KernelArgs args, Stream stream) {
        Launch l = k.launch();
        long[] grid = l.grid(Map.of(Extent.B, (long) batch, Extent.L, (long) length));
        d.launchKernel(fn, new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])), new Dim3(l.blockX(), l.blockY(), l.blockZ()),
                0, stream, args);
    }

    private String compare(Case c) {
        Filter f = c.filter();
        int channels = Math.toIntExact(f.channels()), rows = c.batch() * c.length();
        Random rnd = new Random(1000 + c.length());
        // WeightStore.random's scales: filters N(0, 1/K) (held in bf16, as a bf16 model's are), skips N(0, 1/4)
        float[] taps = new float[f.len() * (int) f.groups()], skip = new float[channels], z = new float[rows * 3 * channels];
        for (int i = 0; i < taps.length; i++) taps[i] = round((float) (rnd.nextGaussian() / Math.sqrt(f.len())));
        for (int i = 0; i < skip.length; i++) skip[i] = (float) (rnd.nextGaussian() * 0.5);
        short[] zb = new short[z.length];
        for (int i = 0; i < z.length; i++) {
            zb[i] = DeviceCheck.toBf16((float) rnd.nextGaussian());
            z[i] = DeviceCheck.fromBf16(zb[i]);
        }
        GeneratedKernel k = BlockedConv.generate(f, Precision.BF16, true, c.gate(), c.walk());
        Driver.Function fn = compile(k);
        float[] got = new float[rows * channels];
        try (Buffers b = new Buffers(f, c.batch(), c.length())) {
            d.memcpyHtoD(b.z, zb, "z");
            d.memcpyHtoD(b.h, taps, "h");
            d.memcpyHtoD(b.skip, skip, "skip");
            d.memsetD8(b.y, (byte) 0xff, b.yBytes, "y"); // NaNs: an output the kernel misses shows
            launch(k, fn, c.batch(), c.length(), b.args(k, c.length()), Stream.DEFAULT);
            d.ctxSynchronize("running " + k.entry());
            short[] yb = d.memcpyDtoHShorts(b.y, got.length, "y");
            for (int i = 0; i < got.length; i++) got[i] = DeviceCheck.fromBf16(yb[i]);
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
        String loose = worst(got, oracle, bound), tight = worst(got, matched, 1.0 / 128, 1e-3);
        if (loose != null) throw new AssertionError("against the CPU backend: " + loose);
        if (tight != null) throw new AssertionError("against the bf16-matched sums: " + tight);
        return f("matches the CPU backend and the bf16-matched sums (%d outputs; max|err| %.2e against the CPU, max|ref| %.2e)", got.length,
                maxError(got, oracle), maxAbs(oracle));
    }

    private void time(String what, GeneratedKernel k, int length) {
        check(f("time %s, B=1 D=%d L=%d", what, WIDTH, length), () -> {
            Driver.Function fn = compile(k);
            Filter real = new Filter(WIDTH, 128, GROUPS, Taps.FIR, true); // buffers for the longer of the two filters
            try (Buffers b = new Buffers(real, 1, length)) {
                // 0x3e3e: every bf16 about 0.19, every fp32 tap and skip about 0.19 too: finite sums, no denormals
                d.memsetD8(b.z, (byte) 0x3e, b.zBytes, "z");
                d.memsetD8(b.h, (byte) 0x3e, 4L * real.groups() * real.len(), "h");
                d.memsetD8(b.skip, (byte) 0x3e, 4L * WIDTH, "skip");
                long flush = d.memAlloc(FLUSH_BYTES, "the L2 flush buffer");
                Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
                try {
                    KernelArgs args = b.args(k, length);
                    for (int i = 0; i < WARMUP; i++) launch(k, fn, 1, length, args, Stream.DEFAULT);
                    float[] ms = new float[REPS];
                    for (int i = 0; i < REPS; i++) {
                        d.memsetD8Async(flush, (byte) i, FLUSH_BYTES, Stream.DEFAULT, "the L2 flush");
                        d.eventRecord(start, Stream.DEFAULT);
                        launch(k, fn, 1, length, args, Stream.DEFAULT);
                        d.eventRecord(end, Stream.DEFAULT);
                        d.eventSynchronize(end);
                        ms[i] = d.eventElapsedTime(start, end);
                    }
                    Arrays.sort(ms);
                    double median = ms[REPS / 2], bytes = 8.0 * WIDTH * length;
                    return f("median %.3f ms (min %.3f, max %.3f): %.0f GB/s over 8*D*L bytes; %s, %d bytes of shared memory", median, ms[0], ms[REPS - 1],
                            bytes / (median * 1e-3) / 1e9, k.launch(), k.kernel().sharedBytes());
                } finally {
                    d.eventDestroy(start);
                    d.eventDestroy(end);
                    d.memFree(flush, "the L2 flush buffer");
                }
            }
        });
    }

    private static float round(float x) { return DeviceCheck.fromBf16(DeviceCheck.toBf16(x)); }

    /** Null when |got − want| ≤ atol + rtol·|want| everywhere, else the worst element. */
    private static String worst(float[] got, float[] want, double rtol, double atol) {
        double[] bound = new double[want.length];
        for (int i = 0; i < want.length; i++) bound[i] = atol + rtol * Math.abs(want[i]);
        return worst(got, want, bound);
    }

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
