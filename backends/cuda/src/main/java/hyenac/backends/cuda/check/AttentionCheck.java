package hyenac.backends.cuda.check;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.kernels.FlashAttention;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.codegen.kernels.HopperAttention;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Dim3;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.bindings.KernelArgs;
import hyenac.backends.cuda.bindings.Nvrtc;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The tensor-core attention kernels ({@link FlashAttention}, and {@link HopperAttention} where the device has wgmma)
 * on a GPU: compiled by NVRTC from the source the generator emits (which needs no toolkit header: the GPU machine has none),
 * checked against the CPU reference ({@link hyenac.backends.cpu.Attention}, inputs rounded to bf16, max |err| ≤
 * 1e-2·max |ref|) at B=1, H=32, d=128, L=256 and B=2, H=4, d=64, L=300 (not a multiple of the tile), then timed at
 * L = 8192 and 16384 (B=1, H=32, d=128; 5 warm-up launches, 50 timed, the median) with some rows of each
 * checked against a double-precision reference too. Throughput counts 4·B·H·L²·d/2 FLOPs (causal).
 * {@code java --enable-native-access=ALL-UNNAMED -cp app/target/hyenac.jar hyenac.backends.cuda.check.AttentionCheck
 * [B,H,d,L ...]} (with shapes: only the comparisons at those); exits 0 when every check passed.
 */
public final class AttentionCheck {
    static final double TOLERANCE = 1e-2;
    static final int WARMUP = 5, REPS = 50;
    /** The throughput this kernel is meant to reach on an H100 at H=32, d=128 (informational: not a failure). */
    static final double TARGET_TFLOPS = 250;

    private final PrintStream out;
    private final Driver d;
    private final CudaContext ctx;
    private final Nvrtc nvrtc;
    private final String arch;
    private int failures;

    private AttentionCheck(PrintStream out, Driver d, CudaContext ctx, Nvrtc nvrtc, String arch) {
        this.out = out;
        this.d = d;
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
            AttentionCheck c = new AttentionCheck(out, ctx.driver(), ctx, nvrtc, arch);
            if (args.length == 0) c.run();
            else c.compareOnly(args);
            failures = c.failures;
        } catch (RuntimeException e) {
            out.println("FAIL " + e.getClass().getSimpleName() + ": " + e.getMessage());
            failures = 1;
        }
        out.println(failures == 0 ? "all attention checks passed" : failures + " attention check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** A kernel to check: the mma.sync one (warpgroups 0), or the wgmma one with that many warpgroups per block and keys per tile. */
    private record Variant(int warpgroups, int keys) {}

    /**
     * The kernels to check: the mma.sync kernel (always), and where the device has them the wgmma ones with 1 and 2
     * warpgroups, by key tiles of 64 and of 128.
     */
    private List<Variant> kernels() {
        if (CudaDialect.warpgroupMma(arch)) {
            return List.of(new Variant(0, 64), new Variant(1, 64), new Variant(2, 64), new Variant(1, 128), new Variant(2, 128));
        }
        out.println("INFO " + arch + " has no warpgroup tensor cores: the wgmma kernels are not checked");
        return List.of(new Variant(0, 64));
    }

    private void run() {
        for (Variant hopper : kernels()) {
            Compiled d128 = compile(32, 128, hopper), d64 = compile(4, 64, hopper);
            compare(d128, 1, 256);
            compare(d64, 2, 300);
            compare(d64, 1, 1);  // one query
            for (int length : new int[] {8192, 16384}) time(d128, 1, length);
        }
    }

    /** Only the whole-output comparisons, at shapes given as B,H,d,L (e.g. 2,4,64,300), by each kernel the device has. */
    private void compareOnly(String[] shapes) {
        for (Variant hopper : kernels()) {
            for (String shape : shapes) {
                if (!shape.matches("[1-9][0-9]*(,[1-9][0-9]*){3}")) {
                    throw new IllegalArgumentException("a shape is B,H,d,L in positive whole numbers, e.g. 2,4,64,300; got `" + shape + "`");
                }
                int[] v = Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
                compare(compile(v[1], v[2], hopper), v[0], v[3]);
            }
        }
    }

    /** {@code sharedBytes}: the dynamic shared memory each launch gives. */
    private record Compiled(GeneratedKernel kernel, int heads, int headDim, Driver.Function function, int sharedBytes, double compileMillis, String label) {}

    private Compiled compile(int heads, int headDim, Variant variant) {
        int warpgroups = variant.warpgroups();
        GeneratedKernel k = warpgroups > 0 ? HopperAttention.generate(heads, headDim, Precision.BF16, warpgroups, variant.keys())
                : FlashAttention.generate(heads, headDim, Precision.BF16);
        String source = k.kernel().render(CudaDialect.INSTANCE);
        Nvrtc.CompiledKernel compiled = nvrtc.compile(k.entry(), source, Nvrtc.defaultOptions(arch));
        Driver.Module m = d.moduleLoadData(compiled.image(), k.entry());
        int dynamic = k.kernel().dynamicSharedBytes(CudaDialect.INSTANCE);
        out.println(f("INFO compiled %s with NVRTC in %.0f ms: %s, %d bytes of %s shared memory", k.entry(), compiled.compileMillis(),
                k.launch(), dynamic > 0 ? dynamic : k.kernel().sharedBytes(), dynamic > 0 ? "dynamic" : "static"));
        Driver.Function function = d.moduleGetFunction(m, k.entry());
        ctx.allowDynamicSharedMemory(function, dynamic);
        String label = warpgroups == 0 ? "flash attention"
                : "wgmma attention (" + warpgroups + " warpgroup" + (warpgroups > 1 ? "s" : "") + (variant.keys() == 64 ? "" : ", " + variant.keys() + "-key tiles") + ")";
        return new Compiled(k, heads, headDim, function, dynamic, compiled.compileMillis(), label);
    }

    /** Device buffers of one problem, as bf16, with the host copies (already rounded) of the inputs. */
    private final class Problem implements AutoCloseable {
        final int batch, heads, headDim, length;
        final float[] q, k, v;
        final long dq, dk, dv, dout;

        Problem(int batch, int heads, int headDim, int length, long seed) {
            this.batch = batch;
            this.heads = heads;
            this.headDim = headDim;
            this.length = length;
            int n = Math.toIntExact((long) batch * length * heads * headDim);
            Random rnd = new Random(seed);
            q = new float[n];
            k = new float[n];
            v = new float[n];
            short[] qb = new short[n], kb = new short[n], vb = new short[n];
            for (int i = 0; i < n; i++) {
                // uniform with unit variance: as spread as unit normals, and quick to draw for 10^8 elements
                qb[i] = DeviceCheck.toBf16((float) ((rnd.nextFloat() * 2 - 1) * Math.sqrt(3)));
                kb[i] = DeviceCheck.toBf16((float) ((rnd.nextFloat() * 2 - 1) * Math.sqrt(3)));
                vb[i] = DeviceCheck.toBf16((float) ((rnd.nextFloat() * 2 - 1) * Math.sqrt(3)));
                q[i] = DeviceCheck.fromBf16(qb[i]);
                k[i] = DeviceCheck.fromBf16(kb[i]);
                v[i] = DeviceCheck.fromBf16(vb[i]);
            }
            long bytes = 2L * n;
            dq = d.memAlloc(bytes, "attention q");
            dk = d.memAlloc(bytes, "attention k");
            dv = d.memAlloc(bytes, "attention v");
            dout = d.memAlloc(bytes, "attention out");
            d.memcpyHtoD(dq, qb, "attention q");
            d.memcpyHtoD(dk, kb, "attention k");
            d.memcpyHtoD(dv, vb, "attention v");
            d.memsetD8(dout, (byte) 0xff, bytes, "attention out"); // NaNs: a row the kernel misses shows
        }

        int elements() { return q.length; }

        float[] result() {
            short[] s = d.memcpyDtoHShorts(dout, elements(), "attention out");
            float[] r = new float[s.length];
            for (int i = 0; i < s.length; i++) r[i] = DeviceCheck.fromBf16(s[i]);
            return r;
        }

        @Override public void close() {
            for (long p : new long[] {dq, dk, dv, dout}) d.memFree(p, "attention buffers");
        }
    }

    /** Binds the kernel's parameters by name and launches it once on the default stream. */
    private void launch(Compiled c, Problem p, KernelArgs args) {
        Launch l = c.kernel().launch();
        long[] grid = l.grid(Map.of(Extent.B, (long) p.batch, Extent.L, (long) p.length));
        d.launchKernel(c.function(), new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])),
                new Dim3(l.blockX(), l.blockY(), l.blockZ()), c.sharedBytes(), Stream.DEFAULT, args);
    }

    private KernelArgs args(Compiled c, Problem p) {
        KernelArgs a = ctx.args(c.kernel().params().size());
        for (KernelParam param : c.kernel().params()) {
            switch (param.name()) {
                case "q" -> a.ptr(p.dq);
                case "k" -> a.ptr(p.dk);
                case "v" -> a.ptr(p.dv);
                case "out" -> a.ptr(p.dout);
                case "length" -> {
                    if (param.type() != CType.Scalar.INT64) throw new IllegalStateException("length is a " + param.type());
                    a.i64(p.length);
                }
                default -> throw new IllegalStateException("nothing binds parameter " + param.name() + " of " + c.kernel().entry());
            }
        }
        return a;
    }

    private String describe(Problem p) {
        return f("B=%d H=%d d=%d L=%d", p.batch, p.heads, p.headDim, p.length);
    }

    /** The whole output against the CPU backend's reference. */
    private void compare(Compiled c, int batch, int length) {
        try (Problem p = new Problem(batch, c.heads(), c.headDim(), length, 1000 + length)) {
            String what = c.label() + " " + describe(p);
            check(what, () -> {
                launch(c, p, args(c, p));
                d.ctxSynchronize("running " + c.kernel().entry());
                float[] got = p.result();
                float[] ref = hyenac.backends.cpu.Attention.causal(p.q, p.k, p.v, batch, length, p.heads, p.headDim);
                double[] e = errors(got, ref);
                if (!(e[0] <= TOLERANCE * e[1])) {
                    throw new AssertionError(f("max|err| %.3e exceeds %.0e of max|ref| %.3e; ", e[0], TOLERANCE, e[1]) + whereWrong(p, got, ref, TOLERANCE * e[1]));
                }
                return f("matches the CPU reference: max|err| %.3e, max|ref| %.3e", e[0], e[1]);
            });
        }
    }

    /**
     * Which outputs are wrong, to tell a layout or indexing fault from a numerical one: how many, the worst one's
     * position, and the (sequence, head, 64-query tile) blocks and head dims they fall in.
     */
    private static String whereWrong(Problem p, float[] got, float[] ref, double tolerance) {
        int width = p.heads * p.headDim, tiles = (p.length + FlashAttention.QUERIES - 1) / FlashAttention.QUERIES;
        TreeSet<String> blocks = new TreeSet<>();
        BitSet dims = new BitSet(), rowsInTile = new BitSet();
        long wrong = 0;
        int worst = 0;
        double worstErr = -1;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) got[i] - ref[i]);
            if (Double.isNaN(e)) e = Double.POSITIVE_INFINITY;
            if (e <= tolerance) continue;
            wrong++;
            if (e > worstErr) { worstErr = e; worst = i; }
            int b = i / (p.length * width), t = i / width % p.length, h = i % width / p.headDim;
            blocks.add(f("(%d,%d,%d)", b, h, t / FlashAttention.QUERIES));
            dims.set(i % p.headDim);
            rowsInTile.set(t % FlashAttention.QUERIES);
        }
        int b = worst / (p.length * width), t = worst / width % p.length, h = worst % width / p.headDim, e = worst % p.headDim;
        List<String> shown = blocks.stream().limit(24).toList();
        return f("%d of %d outputs wrong, the worst (%.3e: %s against %s) at sequence %d, query %d, head %d, dim %d; wrong in %d of %d "
                        + "(sequence, head, query tile) blocks %s%s, at dims %s, at rows %s of their tiles",
                wrong, ref.length, worstErr, got[worst], ref[worst], b, t, h, e, blocks.size(), p.batch * p.heads * tiles,
                String.join(" ", shown), blocks.size() > shown.size() ? " ..." : "", dims, rowsInTile);
    }

    /** {max |got − ref|, max |ref|}; a NaN counts as an infinite error. */
    private static double[] errors(float[] got, float[] ref) {
        double err = 0, scale = 0;
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs((double) got[i] - ref[i]);
            err = Math.max(err, Double.isNaN(e) ? Double.POSITIVE_INFINITY : e);
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return new double[] {err, scale};
    }

    private void time(Compiled c, int batch, int length) {
        try (Problem p = new Problem(batch, c.heads(), c.headDim(), length, 2000 + length)) {
            KernelArgs args = args(c, p);
            check(c.label() + " " + describe(p) + " (sampled rows)", () -> {
                launch(c, p, args);
                d.ctxSynchronize("running " + c.kernel().entry());
                return sampledRows(p, p.result());
            });
            check("time " + c.label() + " " + describe(p), () -> {
                Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
                try {
                    for (int i = 0; i < WARMUP; i++) launch(c, p, args);
                    float[] ms = new float[REPS];
                    for (int i = 0; i < REPS; i++) {
                        d.eventRecord(start, Stream.DEFAULT);
                        launch(c, p, args);
                        d.eventRecord(end, Stream.DEFAULT);
                        d.eventSynchronize(end);
                        ms[i] = d.eventElapsedTime(start, end);
                    }
                    Arrays.sort(ms);
                    double median = ms[REPS / 2];
                    double flops = 4.0 * batch * p.heads * (double) length * length * p.headDim / 2;
                    double tflops = flops / (median * 1e-3) / 1e12;
                    return f("median %.3f ms (min %.3f, max %.3f over %d launches after %d warm-up): %.1f TFLOP/s (4*B*H*L^2*d/2 FLOPs);"
                            + " target %.0f: %s", median, ms[0], ms[REPS - 1], REPS, WARMUP, tflops, TARGET_TFLOPS,
                            tflops >= TARGET_TFLOPS ? "met" : "NOT met");
                } finally {
                    d.eventDestroy(start);
                    d.eventDestroy(end);
                }
            });
        }
    }

    /** The last rows of the sequence (the longest), the first, and a few in between, per head, in double precision. */
    private String sampledRows(Problem p, float[] got) {
        List<Integer> rows = new ArrayList<>();
        for (int t = p.length - 8; t < p.length; t++) rows.add(t);
        Random rnd = new Random(3);
        rows.add(0);
        for (int i = 0; i < 7; i++) rows.add(rnd.nextInt(p.length));
        int width = p.heads * p.headDim;
        double err = 0, scale = 0;
        double[] w = new double[p.length];
        for (int b = 0; b < p.batch; b++) {
            for (int h = 0; h < p.heads; h++) {
                for (int t : rows) {
                    int qAt = (b * p.length + t) * width + h * p.headDim;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) {
                        int kAt = (b * p.length + j) * width + h * p.headDim;
                        double dot = 0;
                        for (int e = 0; e < p.headDim; e++) dot += (double) p.q[qAt + e] * p.k[kAt + e];
                        w[j] = dot / Math.sqrt(p.headDim);
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= t; j++) sum += w[j] = Math.exp(w[j] - max);
                    for (int e = 0; e < p.headDim; e++) {
                        double acc = 0;
                        for (int j = 0; j <= t; j++) acc += w[j] * p.v[(b * p.length + j) * width + h * p.headDim + e];
                        double ref = acc / sum, g = got[qAt + e];
                        double diff = Math.abs(g - ref);
                        err = Math.max(err, Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff);
                        scale = Math.max(scale, Math.abs(ref));
                    }
                }
            }
        }
        if (!(err <= TOLERANCE * scale)) throw new AssertionError(f("max|err| %.3e exceeds %.0e of max|ref| %.3e", err, TOLERANCE, scale));
        return f("%d rows of each head match a double-precision reference: max|err| %.3e, max|ref| %.3e", rows.size(), err, scale);
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
