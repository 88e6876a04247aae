package hyenac.backends.cuda.check;

import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.cuda.bindings.CublasLt;
import hyenac.backends.cuda.bindings.CublasLt.DataType;
import hyenac.backends.cuda.bindings.CublasLt.Epilogue;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.CudaErrors;
import hyenac.backends.cuda.bindings.CudaException;
import hyenac.backends.cuda.bindings.CudaOutOfMemoryException;
import hyenac.backends.cuda.bindings.Cufft;
import hyenac.backends.cuda.bindings.DeviceInfo;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.backends.cuda.bindings.Driver.Dim3;
import hyenac.backends.cuda.bindings.Driver.Stream;
import hyenac.backends.cuda.bindings.KernelArgs;
import hyenac.backends.cuda.bindings.Nvrtc;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Validates the bindings on a GPU machine in one run, one line per check (PASS, FAIL, INFO or SKIP): driver
 * and device, NVRTC, module load and launch, event timing, graph replay, cuBLASLt in bf16/fp16/fp32 against
 * a CPU reference, a cuFFT round trip, and the three failures that must read clearly (out of memory, a
 * compile error, a kernel not found). Needs only this module's classes:
 * {@code java --enable-native-access=ALL-UNNAMED -cp backends/cuda/target/classes hyenac.backends.cuda.check.DeviceCheck}.
 * Exits 0 when nothing failed.
 */
public final class DeviceCheck {
    static final String SAXPY = """
            extern "C" __global__ void saxpy(int n, float a, const float* x, float* y) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = a * x[i] + y[i];
            }
            """;

    private final PrintStream out;
    private int failures;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    DeviceCheck(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        int failures = new DeviceCheck(System.out).run();
        System.out.println(failures == 0 ? "all checks passed" : failures + " check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    private interface Check {
        String run() throws Exception;
    }

    private boolean check(String name, Check c) {
        try {
            out.println("PASS " + name + ": " + c.run());
            return true;
        } catch (Throwable t) {
            failures++;
            out.println("FAIL " + name + ": " + t.getClass().getSimpleName() + ": " + t.getMessage());
            return false;
        }
    }

    private void info(String name, String text) {
        out.println("INFO " + name + ": " + text);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** Runs every check; returns the number that failed. */
    int run() {
        Driver[] driver = new Driver[1];
        CudaContext[] ctx = new CudaContext[1];
        if (!check("driver", () -> {
            driver[0] = Driver.load();
            driver[0].init();
            int v = driver[0].driverVersion();
            return f("%s, CUDA %d.%d driver API, %d GPU(s)", driver[0].loadedAs(), v / 1000, v % 1000 / 10,
                    driver[0].deviceGetCount());
        }) || !check("device", () -> {
            ctx[0] = CudaContext.open(driver[0], 0);
            Driver.MemInfo m = driver[0].memGetInfo();
            return ctx[0].device() + ", " + CudaErrors.bytes(m.free()) + " free";
        })) {
            out.println("SKIP everything else: no usable GPU");
            return failures;
        }
        try {
            runWithGpu(driver[0], ctx[0]);
        } finally {
            for (int i = cleanup.size() - 1; i >= 0; i--) {
                try {
                    cleanup.get(i).close();
                } catch (Exception e) {
                    failures++;
                    out.println("FAIL cleanup: " + e.getMessage());
                }
            }
            ctx[0].close();
        }
        return failures;
    }

    private long alloc(Driver d, long bytes, String what) {
        long p = d.memAlloc(bytes, what);
        cleanup.add(() -> d.memFree(p, what));
        return p;
    }

    private void runWithGpu(Driver d, CudaContext ctx) {
        DeviceInfo dev = ctx.device();
        Nvrtc[] nvrtc = new Nvrtc[1];
        Nvrtc.CompiledKernel[] saxpy = new Nvrtc.CompiledKernel[1];
        String[] arch = new String[1];
        boolean compiled = check("nvrtc", () -> {
            nvrtc[0] = Nvrtc.load();
            int[] v = nvrtc[0].version();
            arch[0] = nvrtc[0].archFor(dev.computeMajor(), dev.computeMinor());
            saxpy[0] = nvrtc[0].compile("saxpy", SAXPY, Nvrtc.defaultOptions(arch[0]));
            return f("NVRTC %d.%d (%s) compiled saxpy for %s in %.1f ms: %s", v[0], v[1], nvrtc[0].loadedAs(), arch[0],
                    saxpy[0].compileMillis(), saxpy[0].cubin() != null
                            ? "CUBIN " + CudaErrors.bytes(saxpy[0].cubin().length)
                            : "PTX " + CudaErrors.bytes(saxpy[0].ptx().length));
        });

        int n = 1 << 24;
        float a = 2.5f;
        float[] x = new float[n], y0 = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 1000) * 1e-3f;
            y0[i] = 1f - (i % 777) * 1e-3f;
        }
        long dx = alloc(d, 4L * n, "saxpy x"), dy = alloc(d, 4L * n, "saxpy y");
        Driver.Function[] fn = new Driver.Function[1];
        if (compiled && check("module", () -> {
            Driver.Module m = d.moduleLoadData(saxpy[0].image(), "saxpy");
            cleanup.add(() -> d.moduleUnload(m));
            fn[0] = d.moduleGetFunction(m, "saxpy");
            return "loaded and found kernel saxpy";
        })) {
            KernelArgs args = ctx.args(4).i32(n).f32(a).ptr(dx).ptr(dy);
            Dim3 grid = Dim3.of((n + 255) / 256), block = Dim3.of(256);
            check("launch", () -> {
                d.memcpyHtoD(dx, x, "saxpy x");
                d.memcpyHtoD(dy, y0, "saxpy y");
                d.launchKernel(fn[0], grid, block, 0, Stream.DEFAULT, args);
                d.ctxSynchronize("running saxpy");
                float[] y = d.memcpyDtoHFloats(dy, n, "saxpy y");
                double err = 0;
                for (int i = 0; i < n; i++) err = Math.max(err, Math.abs(y[i] - Math.fma(a, x[i], y0[i])));
                if (err > 1e-6) throw new AssertionError("saxpy differs from the CPU by up to " + err);
                return f("saxpy over %d floats matches the CPU (max error %.1e)", n, err);
            });
            check("timing", () -> {
                Driver.Event start = d.eventCreate(Driver.EVENT_DEFAULT), end = d.eventCreate(Driver.EVENT_DEFAULT);
                try {
                    d.launchKernel(fn[0], grid, block, 0, Stream.DEFAULT, args);  // warm up
                    d.eventRecord(start, Stream.DEFAULT);
                    for (int i = 0; i < 50; i++) d.launchKernel(fn[0], grid, block, 0, Stream.DEFAULT, args);
                    d.eventRecord(end, Stream.DEFAULT);
                    d.eventSynchronize(end);
                    float ms = d.eventElapsedTime(start, end) / 50;
                    if (!(ms > 0)) throw new AssertionError("events measured " + ms + " ms");
                    return f("50 launches of saxpy: %.3f ms each, %.2f TB/s (3 × %s per launch)", ms,
                            12.0 * n / (ms * 1e-3) / 1e12, CudaErrors.bytes(4L * n));
                } finally {
                    d.eventDestroy(start);
                    d.eventDestroy(end);
                }
            });
            check("graph", () -> {
                Stream s = d.streamCreate(Driver.STREAM_NON_BLOCKING);
                try {
                    d.memsetD8(dy, (byte) 0, 4L * n, "saxpy y");
                    d.ctxSynchronize("clearing saxpy y");  // s does not wait for the legacy stream
                    d.streamBeginCapture(s, Driver.CAPTURE_MODE_THREAD_LOCAL);
                    for (int i = 0; i < 10; i++) d.launchKernel(fn[0], grid, block, 0, s, args);
                    Driver.Graph g = d.streamEndCapture(s);
                    Driver.GraphExec exec = d.graphInstantiate(g, 0);
                    try {
                        d.graphLaunch(exec, s);
                        d.streamSynchronize(s, "replaying the saxpy graph");
                    } finally {
                        d.graphExecDestroy(exec);
                        d.graphDestroy(g);
                    }
                    float[] y = d.memcpyDtoHFloats(dy, n, "saxpy y");
                    double err = 0;
                    for (int i = 0; i < n; i++) {
                        float ref = 0;
                        for (int r = 0; r < 10; r++) ref = Math.fma(a, x[i], ref);
                        err = Math.max(err, Math.abs(y[i] - ref));
                    }
                    if (err > 1e-5) throw new AssertionError("graph result differs from the CPU by up to " + err);
                    return f("captured 10 saxpy launches, replayed once: matches the CPU (max error %.1e)", err);
                } finally {
                    d.streamDestroy(s);
                }
            });
            check("copies", () -> {
                long dz = alloc(d, 4L * n, "copy target");
                d.memsetD8(dz, (byte) 0x3f, 4L * n, "copy target");
                float[] z = d.memcpyDtoHFloats(dz, 4, "copy target");
                if (Float.floatToRawIntBits(z[0]) != 0x3f3f3f3f) throw new AssertionError("memset wrote " + z[0]);
                d.memcpyDtoDAsync(dz, dx, 4L * n, Stream.DEFAULT, "copy target");
                d.ctxSynchronize("copying on the GPU");
                float[] back = d.memcpyDtoHFloats(dz, n, "copy target");
                for (int i = 0; i < n; i += 9973) {
                    if (back[i] != x[i]) throw new AssertionError("device-to-device copy differs at " + i);
                }
                return "memset, device-to-device copy and both host copies agree";
            });
        }

        check("bf16 prelude", () -> bf16Prelude(d, ctx, nvrtc[0], arch[0]));
        for (DataType t : DataType.values()) {
            for (Epilogue e : t == DataType.BF16 ? Epilogue.values() : new Epilogue[] {Epilogue.DEFAULT, Epilogue.GELU_BIAS}) {
                check("cublaslt " + t + " " + e, () -> gemm(d, t, e));
            }
        }
        check("cufft", () -> fft(d));

        check("error: out of memory", () -> {
            try {
                long p = d.memAlloc(dev.totalMemoryBytes() + (1L << 30), "a deliberately impossible test buffer");
                d.memFree(p, "a deliberately impossible test buffer");
                throw new AssertionError("allocating more than the whole GPU succeeded");
            } catch (CudaOutOfMemoryException e) {
                return e.getMessage();
            }
        });
        if (nvrtc[0] != null) {
            check("error: compile", () -> {
                try {
                    nvrtc[0].compile("broken", "extern \"C\" __global__ void broken(float* y) { y[0] = ; }",
                            Nvrtc.defaultOptions(arch[0]));
                    throw new AssertionError("a syntax error compiled");
                } catch (KernelCompileException e) {
                    return e.getMessage().lines().findFirst().orElse("") + " / log: "
                            + e.log().lines().filter(l -> l.contains("error")).findFirst().orElse(e.log());
                }
            });
            check("error: missing kernel", () -> {
                Nvrtc.CompiledKernel k = nvrtc[0].compile("mangled", "__global__ void mangled(float* y) { y[0] = 1; }",
                        Nvrtc.defaultOptions(arch[0]));
                Driver.Module m = d.moduleLoadData(k.image(), "mangled");
                try {
                    d.moduleGetFunction(m, "mangled");
                    throw new AssertionError("found a C++-mangled kernel by its plain name");
                } catch (CudaException e) {
                    return e.getMessage();
                } finally {
                    d.moduleUnload(m);
                }
            });
            try {
                nvrtc[0].compile("bf16_header", "#include <cuda_bf16.h>\nextern \"C\" __global__ void k(__nv_bfloat16* y)"
                        + " { y[0] = __float2bfloat16(1.0f); }", Nvrtc.defaultOptions(arch[0]));
                info("cuda_bf16.h", "NVRTC found cuda_bf16.h with the default options");
            } catch (KernelCompileException e) {
                info("cuda_bf16.h", "not available without -Dhyenac.cuda.include (as expected): "
                        + e.log().lines().filter(l -> l.contains("error")).findFirst().orElse("see log"));
            }
        }
    }

    // ---- bf16 without toolkit headers ------------------------------------------------------------------

    /** Round to nearest even, NaN kept: the host twin of {@link Nvrtc#BF16_PRELUDE}. */
    static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 0x40);
        u += 0x7fff + ((u >>> 16) & 1);
        return (short) (u >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    private String bf16Prelude(Driver d, CudaContext ctx, Nvrtc nvrtc, String arch) {
        if (nvrtc == null) throw new IllegalStateException("NVRTC did not load");
        String src = Nvrtc.BF16_PRELUDE + """
                extern "C" __global__ void round_trip(int n, const float* x, hy_bf16* h, float* y) {
                    int i = blockIdx.x * blockDim.x + threadIdx.x;
                    if (i < n) { h[i] = hy_float_to_bf16(x[i]); y[i] = hy_bf16_to_float(h[i]); }
                }
                """;
        Nvrtc.CompiledKernel k = nvrtc.compile("round_trip", src, Nvrtc.defaultOptions(arch));
        Driver.Module m = d.moduleLoadData(k.image(), "round_trip");
        try {
            int n = 1 << 16;
            float[] x = new float[n];
            Random rnd = new Random(7);
            for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            x[0] = Float.NaN;
            x[1] = Float.POSITIVE_INFINITY;
            x[2] = -0f;
            x[3] = Float.MAX_VALUE;
            long dx = alloc(d, 4L * n, "bf16 input"), dh = alloc(d, 2L * n, "bf16 values"), dy = alloc(d, 4L * n, "bf16 output");
            d.memcpyHtoD(dx, x, "bf16 input");
            Driver.Function f = d.moduleGetFunction(m, "round_trip");
            d.launchKernel(f, Dim3.of((n + 255) / 256), Dim3.of(256), 0, Stream.DEFAULT,
                    ctx.args(4).i32(n).ptr(dx).ptr(dh).ptr(dy));
            d.ctxSynchronize("running the bf16 round trip");
            short[] h = d.memcpyDtoHShorts(dh, n, "bf16 values");
            for (int i = 0; i < n; i++) {
                if (h[i] != toBf16(x[i])) {
                    throw new AssertionError(f("bf16 of %s is 0x%04x on the GPU, 0x%04x on the CPU", x[i], h[i], toBf16(x[i])));
                }
            }
            return f("%d floats (NaN, ±inf, -0 and overflow included) narrow to the same bf16 bits as on the CPU", n);
        } finally {
            d.moduleUnload(m);
        }
    }

    // ---- cuBLASLt --------------------------------------------------------------------------------------

    private static float round(DataType t, float v) {
        return switch (t) {
            case F32 -> v;
            case BF16 -> fromBf16(toBf16(v));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
        };
    }

    private static short[] encode16(DataType t, float[] v) {
        short[] s = new short[v.length];
        for (int i = 0; i < v.length; i++) s[i] = t == DataType.BF16 ? toBf16(v[i]) : Float.floatToFloat16(v[i]);
        return s;
    }

    private static double gelu(double v) {  // the tanh form, as cuBLASLt's epilogue computes it
        return 0.5 * v * (1 + Math.tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
    }

    private String gemm(Driver d, DataType t, Epilogue e) {
        int m = 200, n = 384, k = 512;  // m not a multiple of 8 on purpose
        Random rnd = new Random(11);
        float[] x = new float[m * k], w = new float[n * k], b = new float[n];
        for (int i = 0; i < x.length; i++) x[i] = round(t, (float) rnd.nextGaussian());
        for (int i = 0; i < w.length; i++) w[i] = round(t, (float) (rnd.nextGaussian() / Math.sqrt(k)));
        for (int i = 0; i < n; i++) b[i] = round(t, (float) rnd.nextGaussian());
        double[] ref = new double[m * n];
        double scale = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) x[i * k + p] * w[j * k + p];
                if (e.hasBias()) s += b[j];
                if (e == Epilogue.GELU || e == Epilogue.GELU_BIAS) s = gelu(s);
                if (e == Epilogue.RELU || e == Epilogue.RELU_BIAS) s = Math.max(0, s);
                ref[i * n + j] = s;
                scale = Math.max(scale, Math.abs(s));
            }
        }
        long dx = alloc(d, (long) t.bytes() * x.length, "gemm X"), dw = alloc(d, (long) t.bytes() * w.length, "gemm W");
        long db = alloc(d, (long) t.bytes() * n, "gemm bias"), dy = alloc(d, (long) t.bytes() * m * n, "gemm Y");
        long wsBytes = 32L << 20;
        long ws = alloc(d, wsBytes, "cuBLASLt workspace");
        if (t == DataType.F32) {
            d.memcpyHtoD(dx, x, "gemm X");
            d.memcpyHtoD(dw, w, "gemm W");
            d.memcpyHtoD(db, b, "gemm bias");
        } else {
            d.memcpyHtoD(dx, encode16(t, x), "gemm X");
            d.memcpyHtoD(dw, encode16(t, w), "gemm W");
            d.memcpyHtoD(db, encode16(t, b), "gemm bias");
        }
        try (CublasLt lt = CublasLt.open(); CublasLt.Matmul mm = lt.linear(m, n, k, t, t, e, wsBytes, 256)) {
            mm.run(dx, dw, e.hasBias() ? db : 0, dy, ws, Stream.DEFAULT);
            d.ctxSynchronize("running a cuBLASLt matmul");
            float[] y;
            if (t == DataType.F32) {
                y = d.memcpyDtoHFloats(dy, m * n, "gemm Y");
            } else {
                short[] s = d.memcpyDtoHShorts(dy, m * n, "gemm Y");
                y = new float[s.length];
                for (int i = 0; i < s.length; i++) y[i] = t == DataType.BF16 ? fromBf16(s[i]) : Float.float16ToFloat(s[i]);
            }
            double err = 0;
            for (int i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
            double rel = err / scale;
            // fp32 without TF32 is good to ~1e-6 where TF32 would show ~1e-4, so the plain fp32 product is held
            // tight; the GELU epilogue may use a fast tanh (~5e-4). 16-bit outputs round at ~4e-3 (bf16).
            double tol = t == DataType.F32 ? (e == Epilogue.DEFAULT ? 2e-5 : 2e-3) : t == DataType.F16 ? 2e-3 : 1e-2;
            if (!(rel <= tol)) throw new AssertionError(f("error %.2e of the largest output exceeds %.0e", rel, tol));
            return f("[%d×%d]·[%d×%d]ᵀ matches the CPU: max error %.2e of the largest output (tolerance %.0e),"
                    + " workspace %s", m, k, n, k, rel, tol, CudaErrors.bytes(mm.workspaceNeeded()));
        }
    }

    // ---- cuFFT -----------------------------------------------------------------------------------------

    private String fft(Driver d) {
        int n = 4096, batch = 8, bins = n / 2 + 1;
        float[] x = new float[n * batch];
        Random rnd = new Random(3);
        for (int r = 0; r < batch; r++) {
            for (int j = 0; j < n; j++) {
                x[r * n + j] = (float) (Math.cos(2 * Math.PI * (5 + r) * j / n) + 0.1 * rnd.nextGaussian());
            }
        }
        long dx = alloc(d, 4L * x.length, "fft input"), dc = alloc(d, 8L * bins * batch, "fft spectrum");
        long dy = alloc(d, 4L * x.length, "fft output");
        d.memcpyHtoD(dx, x, "fft input");
        Cufft fft = Cufft.load();
        try (Cufft.Plan fwd = fft.planR2C(n, batch); Cufft.Plan inv = fft.planC2R(n, batch)) {
            fwd.execR2C(dx, dc);
            inv.execC2R(dc, dy);
            d.ctxSynchronize("running cuFFT");
            float[] spec = d.memcpyDtoHFloats(dc, 2 * bins * batch, "fft spectrum");
            double specErr = 0, specScale = 0;
            for (int r = 0; r < batch; r += batch - 1) {  // the first and last rows, bins 0..15 by the definition
                for (int kk = 0; kk < 16; kk++) {
                    double re = 0, im = 0;
                    for (int j = 0; j < n; j++) {
                        double ang = -2 * Math.PI * ((long) j * kk % n) / n;
                        re += x[r * n + j] * Math.cos(ang);
                        im += x[r * n + j] * Math.sin(ang);
                    }
                    int at = 2 * (r * bins + kk);
                    specErr = Math.max(specErr, Math.hypot(spec[at] - re, spec[at + 1] - im));
                    specScale = Math.max(specScale, Math.hypot(re, im));
                }
            }
            float[] y = d.memcpyDtoHFloats(dy, x.length, "fft output");
            double err = 0;
            for (int i = 0; i < x.length; i++) err = Math.max(err, Math.abs(y[i] / n - x[i]));
            if (specErr > 1e-4 * specScale) throw new AssertionError(f("R2C bins differ from the DFT by %.2e", specErr));
            if (err > 1e-5) throw new AssertionError(f("C2R(R2C(x))/n differs from x by %.2e", err));
            return f("cuFFT %d: %d R2C+C2R of length %d; bins match the DFT (%.1e relative), round trip error %.1e",
                    fft.version(), batch, n, specErr / specScale, err);
        }
    }
}
