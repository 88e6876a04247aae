package hyenac.backends.cuda.check;

import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.codegen.kernels.Gemv;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Dim3;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.bindings.KernelArgs;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.Primitive;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The decode-step GEMV ({@link Gemv}) on a GPU at Evo 2 7B's projections (bf16): checked against sums in double of the
 * same inputs at 1, 3 and 16 rows (the CUDA-core and the tensor-core loops), then timed at 1, 4 and 16 rows with one,
 * two and four chunks of K in flight per lane (5 warm-up launches, 50 timed after an L2 flush each, the median), as the
 * rate of reading the weights once, beside a device-to-device copy of the same bytes.
 * {@code java --enable-native-access=ALL-UNNAMED -cp app/target/hyenac.jar hyenac.backends.cuda.check.GemvCheck};
 * exits 0 when every check passed.
 */
public final class GemvCheck {
    private final PrintStream out;
    private final Driver d;
    private final CudaContext ctx;
    private final Nvrtc nvrtc;
    private final String arch;
    private final long flush;
    private int failures;

    private GemvCheck(PrintStream out, CudaContext ctx, Nvrtc nvrtc, String arch) {
        this.out = out;
        this.d = ctx.driver();
        this.ctx = ctx;
        this.nvrtc = nvrtc;
        this.arch = arch;
        this.flush = d.memAlloc(FlushedTiming.FLUSH_BYTES, "the L2 flush buffer");
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        int failures;
        try (CudaContext ctx = CudaContext.open(0)) {
            Nvrtc nvrtc = Nvrtc.load();
            String arch = nvrtc.archFor(ctx.device().computeMajor(), ctx.device().computeMinor());
            out.println("INFO device: " + ctx.device() + "; NVRTC " + nvrtc.version()[0] + "." + nvrtc.version()[1] + " for " + arch);
            GemvCheck c = new GemvCheck(out, ctx, nvrtc, arch);
            c.run();
            failures = c.failures;
        } catch (RuntimeException e) {
            out.println("FAIL " + e.getClass().getSimpleName() + ": " + e.getMessage());
            failures = 1;
        }
        out.println(failures == 0 ? "all GEMV checks passed" : failures + " GEMV check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Evo 2 7B's decode projections: the mixer's in and out, the gated MLP's pair and its down projection. */
    static List<Gemv.Spec> evo2() {
        return List.of(Gemv.Spec.linear(12288, 4096, false), Gemv.Spec.linear(4096, 4096, true),
                new Gemv.Spec(11008, 4096, 2, false, Primitive.IDENTITY, false), Gemv.Spec.linear(4096, 11008, false));
    }

    private void run() {
        for (Gemv.Spec s : evo2()) {
            for (int rows : new int[] {1, 3, 16}) check(f("gemv %s, %d rows", s.formula(), rows) + " n=" + s.n() + " k=" + s.k(), () -> compare(s, rows));
        }
        check("copy of 256 MiB", () -> {
            double ms = time(() -> d.memcpyDtoDAsync(flush, flush + (FlushedTiming.FLUSH_BYTES / 2), FlushedTiming.FLUSH_BYTES / 2, Stream.DEFAULT, "the copy"));
            return f("median %.3f ms: %.0f GB/s read + written", ms, FlushedTiming.FLUSH_BYTES / (ms * 1e-3) / 1e9);
        });
        for (Gemv.Spec s : evo2()) {
            for (int rows : new int[] {1, 4, 16}) {
                for (int unroll : rows <= 2 ? new int[] {1, 2, 4} : new int[] {2}) {
                    check(f("time gemv n=%d k=%d x%d, %d rows, %d chunks in flight", s.n(), s.k(), s.matrices(), rows, unroll), () -> timeGemv(s, rows, unroll));
                }
            }
        }
    }

    /** Device buffers of one GEMV (x, weights, biases, residual, y, the split's partial sums), freed on close. */
    private final class Buffers implements AutoCloseable {
        final List<Long> all = new ArrayList<>();
        final long x, y, residual, partials;
        final long[] w = new long[2], bias = new long[2];

        Buffers(Gemv.Spec s, int rows) {
            x = alloc(2L * rows * s.k());
            y = alloc(2L * rows * s.n());
            residual = alloc(2L * rows * s.n());
            for (int m = 0; m < s.matrices(); m++) {
                w[m] = alloc(2L * s.n() * s.k());
                bias[m] = alloc(2L * s.n());
            }
            long p = Gemv.partialsPerRow(s, Precision.BF16) * rows;
            partials = p > 0 ? alloc(4L * p) : 0;
        }

        private long alloc(long bytes) {
            long p = d.memAlloc(bytes, "GEMV buffers");
            all.add(p);
            return p;
        }

        KernelArgs args(GeneratedKernel k, int rows) {
            KernelArgs a = ctx.args(k.params().size());
            for (KernelParam p : k.params()) {
                switch (p.name()) {
                    case "x" -> a.ptr(x);
                    case "w0" -> a.ptr(w[0]);
                    case "w1" -> a.ptr(w[1]);
                    case "bias0" -> a.ptr(bias[0]);
                    case "bias1" -> a.ptr(bias[1]);
                    case "residual" -> a.ptr(residual);
                    case "y" -> a.ptr(y);
                    case "partials" -> a.ptr(partials);
                    case "rows" -> a.i64(rows);
                    default -> throw new IllegalStateException("nothing binds parameter " + p.name() + " of " + k.entry());
                }
            }
            return a;
        }

        @Override public void close() {
            for (long p : all) d.memFree(p, "GEMV buffers");
        }
    }

    private String compare(Gemv.Spec s, int rows) {
        int n = Math.toIntExact(s.n()), k = Math.toIntExact(s.k());
        Random rnd = new Random(n * 31L + k + rows);
        short[] x = randomBf16(rows * k, 1, rnd), residual = randomBf16(rows * n, 1, rnd);
        short[][] w = new short[s.matrices()][], bias = new short[s.matrices()][];
        for (int m = 0; m < s.matrices(); m++) {
            w[m] = randomBf16(n * k, 1 / Math.sqrt(k), rnd);
            bias[m] = randomBf16(n, 0.5, rnd);
        }
        float[] got = new float[rows * n];
        try (Buffers b = new Buffers(s, rows)) {
            d.memcpyHtoD(b.x, x, "x");
            d.memcpyHtoD(b.residual, residual, "residual");
            for (int m = 0; m < s.matrices(); m++) {
                d.memcpyHtoD(b.w[m], w[m], "w");
                d.memcpyHtoD(b.bias[m], bias[m], "bias");
            }
            d.memsetD8(b.y, (byte) 0xff, 2L * rows * n, "y"); // NaNs: an output the kernel misses shows
            for (GeneratedKernel kernel : Gemv.generate(s, Precision.BF16)) launch(kernel, compile(kernel), rows, b.args(kernel, rows));
            d.ctxSynchronize("running the GEMV");
            short[] yb = d.memcpyDtoHShorts(b.y, got.length, "y");
            for (int i = 0; i < got.length; i++) got[i] = DeviceCheck.fromBf16(yb[i]);
        }
        float[] xf = floats(x);
        float[][] wf = new float[s.matrices()][];
        for (int m = 0; m < s.matrices(); m++) wf[m] = floats(w[m]);
        double[] err = new double[rows * n];
        // one output per index, in parallel: the sums in double take a while at 16 rows of 12288 x 4096
        java.util.stream.IntStream.range(0, rows * n).parallel().forEach(i -> {
            int r = i / n, f = i % n;
            double[] p = new double[s.matrices()];
            for (int m = 0; m < s.matrices(); m++) {
                double sum = s.bias() ? DeviceCheck.fromBf16(bias[m][f]) : 0;
                for (int j = 0; j < k; j++) sum += (double) xf[r * k + j] * wf[m][f * k + j];
                p[m] = sum;
            }
            double want = s.matrices() == 2 ? p[0] * p[1] : p[0];
            if (s.residual()) want += DeviceCheck.fromBf16(residual[i]);
            // the result's own bf16 rounding (2^-8 relative) and fp32 sums in another order
            double e = Math.abs(got[i] - want);
            err[i] = e <= Math.abs(want) / 128 + 1e-2 ? e : Double.NaN;
        });
        double worst = 0;
        for (int i = 0; i < err.length; i++) {
            if (Double.isNaN(err[i])) throw new AssertionError(f("row %d feature %d: got %s, more than 2^-7 relative off", i / n, i % n, got[i]));
            worst = Math.max(worst, err[i]);
        }
        return f("matches sums in double (%d outputs, max|err| %.2e)", got.length, worst);
    }

    private String timeGemv(Gemv.Spec s, int rows, int unroll) {
        List<GeneratedKernel> kernels = Gemv.generate(s, Precision.BF16, unroll);
        List<Driver.Function> fns = kernels.stream().map(this::compile).toList();
        try (Buffers b = new Buffers(s, rows)) {
            for (long w : b.w) if (w != 0) d.memsetD8(w, (byte) 0x3c, 2L * s.n() * s.k(), "w");
            d.memsetD8(b.x, (byte) 0x3c, 2L * rows * s.k(), "x");
            List<KernelArgs> args = kernels.stream().map(k -> b.args(k, rows)).toList();
            double ms = time(() -> {
                for (int i = 0; i < kernels.size(); i++) launch(kernels.get(i), fns.get(i), rows, args.get(i));
            });
            double bytes = 2.0 * s.matrices() * s.n() * s.k();
            Launch l = kernels.getFirst().launch();
            return f("median %.4f ms: %.0f GB/s of weights; %s%s", ms, bytes / (ms * 1e-3) / 1e9, kernels.getFirst().entry(),
                    kernels.size() > 1 ? " + reduce" : "") + ", grid " + Arrays.toString(l.grid(Map.of(Extent.B, (long) rows, Extent.L, 1L)));
        }
    }

    /** Median of the timed runs of {@code work} ({@link FlushedTiming}). */
    private double time(Runnable work) {
        float[] ms = FlushedTiming.sorted(d, flush, work);
        return ms[ms.length / 2];
    }

    private Driver.Function compile(GeneratedKernel k) {
        Nvrtc.CompiledKernel compiled = nvrtc.compile(k.entry(), k.kernel().render(CudaDialect.INSTANCE), Nvrtc.defaultOptions(arch));
        Driver.Function f = d.moduleGetFunction(d.moduleLoadData(compiled.image(), k.entry()), k.entry());
        ctx.allowDynamicSharedMemory(f, k.kernel().dynamicSharedBytes(CudaDialect.INSTANCE));
        return f;
    }

    private void launch(GeneratedKernel k, Driver.Function fn, int rows, KernelArgs args) {
        Launch l = k.launch();
        // a decode step's rows are B·L with L = 1
        long[] grid = l.grid(Map.of(Extent.B, (long) rows, Extent.L, 1L));
        d.launchKernel(fn, new Dim3(Math.toIntExact(grid[0]), Math.toIntExact(grid[1]), Math.toIntExact(grid[2])), new Dim3(l.blockX(), l.blockY(), l.blockZ()),
                k.kernel().dynamicSharedBytes(CudaDialect.INSTANCE), Stream.DEFAULT, args);
    }

    private static float[] floats(short[] bf16) {
        float[] out = new float[bf16.length];
        for (int i = 0; i < out.length; i++) out[i] = DeviceCheck.fromBf16(bf16[i]);
        return out;
    }

    private static short[] randomBf16(int n, double scale, Random rnd) {
        short[] out = new short[n];
        for (int i = 0; i < n; i++) out[i] = DeviceCheck.toBf16((float) (rnd.nextGaussian() * scale));
        return out;
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
