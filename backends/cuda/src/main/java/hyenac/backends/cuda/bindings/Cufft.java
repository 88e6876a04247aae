package hyenac.backends.cuda.bindings;

import static hyenac.backends.cuda.bindings.NativeLibrary.rethrow;
import static hyenac.backends.cuda.bindings.NativeLibrary.status;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * cuFFT ({@code libcufft.so.12}): batched single-precision real-to-complex and complex-to-real transforms of
 * contiguous rows, the shape of an FFT convolution. cuFFT's inverse is unnormalised: C2R(R2C(x)) = n·x.
 * Plans are made in the current context.
 */
public final class Cufft {
    static final int CUFFT_SUCCESS = 0;
    static final int CUFFT_R2C = 0x2a;
    static final int CUFFT_C2R = 0x2c;

    /**
     * cufftResult names (cufft.h). cuFFT has no function that names its statuses. 10, 12 and 15 were retired
     * in cuFFT 12 (CUDA 13), which added 17 to 20.
     */
    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "CUFFT_SUCCESS"), Map.entry(1, "CUFFT_INVALID_PLAN"), Map.entry(2, "CUFFT_ALLOC_FAILED"),
            Map.entry(3, "CUFFT_INVALID_TYPE"), Map.entry(4, "CUFFT_INVALID_VALUE"),
            Map.entry(5, "CUFFT_INTERNAL_ERROR"), Map.entry(6, "CUFFT_EXEC_FAILED"),
            Map.entry(7, "CUFFT_SETUP_FAILED"), Map.entry(8, "CUFFT_INVALID_SIZE"),
            Map.entry(9, "CUFFT_UNALIGNED_DATA"), Map.entry(10, "CUFFT_INCOMPLETE_PARAMETER_LIST"),
            Map.entry(11, "CUFFT_INVALID_DEVICE"), Map.entry(12, "CUFFT_PARSE_ERROR"),
            Map.entry(13, "CUFFT_NO_WORKSPACE"), Map.entry(14, "CUFFT_NOT_IMPLEMENTED"),
            Map.entry(15, "CUFFT_LICENSE_ERROR"), Map.entry(16, "CUFFT_NOT_SUPPORTED"),
            Map.entry(17, "CUFFT_MISSING_DEPENDENCY"), Map.entry(18, "CUFFT_NVRTC_FAILURE"),
            Map.entry(19, "CUFFT_NVJITLINK_FAILURE"), Map.entry(20, "CUFFT_NVSHMEM_FAILURE"));

    /** Our one-line descriptions of the statuses seen in practice. */
    private static final Map<Integer, String> DESCRIPTIONS = Map.of(
            1, "invalid plan handle",
            2, "cuFFT could not allocate GPU or host memory",
            4, "invalid pointer or parameter",
            5, "driver or internal cuFFT error",
            6, "the transform failed to run on the GPU",
            7, "cuFFT could not initialise",
            8, "invalid transform size",
            11, "no usable GPU, or no current context");

    /** The status's name, or null for a code cuFFT does not define. */
    public static String statusName(int code) {
        return NAMES.get(code);
    }

    private final NativeLibrary lib;
    private final MethodHandle cufftPlanMany, cufftPlan1d, cufftSetStream, cufftExecR2C, cufftExecC2R,
            cufftDestroy, cufftGetVersion, cufftGetSize;

    private static FunctionDescriptor fd(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    Cufft(NativeLibrary lib) {
        this.lib = lib;
        cufftPlanMany = lib.downcall("cufftPlanMany", fd(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        cufftPlan1d = lib.downcall("cufftPlan1d", fd(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        cufftSetStream = lib.downcall("cufftSetStream", fd(JAVA_INT, ADDRESS));
        cufftExecR2C = lib.downcall("cufftExecR2C", fd(JAVA_INT, ADDRESS, ADDRESS));
        cufftExecC2R = lib.downcall("cufftExecC2R", fd(JAVA_INT, ADDRESS, ADDRESS));
        cufftDestroy = lib.downcall("cufftDestroy", fd(JAVA_INT));
        cufftGetVersion = lib.downcall("cufftGetVersion", fd(ADDRESS));
        cufftGetSize = lib.downcall("cufftGetSize", fd(JAVA_INT, ADDRESS));
    }

    /** Loads cuFFT from {@code -Dhyenac.cuda.libcufft} or its usual sonames; missing → CudaUnavailableException. */
    public static Cufft load() {
        return new Cufft(NativeLibrary.load(CudaLibrary.CUFFT));
    }

    static Cufft load(String library) {
        return new Cufft(NativeLibrary.load(CudaLibrary.CUFFT, library));
    }

    public String loadedAs() { return lib.loadedAs(); }

    static void check(int result, String call, String doing) {
        if (result != CUFFT_SUCCESS) {
            throw new CudaException(CudaErrors.failure("cuFFT", call, result, statusName(result),
                    DESCRIPTIONS.get(result), doing), call, result, statusName(result));
        }
    }

    /** cuFFT's version number, e.g. 12000 for 12.0. */
    public int version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(status(cufftGetVersion, v), "cufftGetVersion", "asking cuFFT's version");
            return v.get(JAVA_INT, 0);
        }
    }

    /**
     * {@code batch} forward transforms of {@code n} reals each (rows {@code n} floats apart) into
     * {@code n/2+1} complex bins each (rows {@code n/2+1} complex floats apart).
     */
    public Plan planR2C(int n, int batch) {
        return planMany(n, batch, CUFFT_R2C);
    }

    /** The inverse of {@link #planR2C}: {@code n/2+1} complex bins per row back to {@code n} reals (times n). */
    public Plan planC2R(int n, int batch) {
        return planMany(n, batch, CUFFT_C2R);
    }

    private Plan planMany(int n, int batch, int type) {
        String kind = type == CUFFT_R2C ? "R2C" : "C2R";
        String doing = "planning " + batch + " " + kind + " FFTs of length " + n;
        if (n < 1 || batch < 1) throw new IllegalArgumentException("cannot plan " + batch + " FFTs of length " + n);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment plan = a.allocate(JAVA_INT);
            MemorySegment dims = a.allocateFrom(JAVA_INT, n);
            int bins = n / 2 + 1;
            // Explicit embeds spell out the packed layout: real rows n apart, complex rows n/2+1 apart.
            MemorySegment realEmbed = a.allocateFrom(JAVA_INT, n), complexEmbed = a.allocateFrom(JAVA_INT, bins);
            int r = type == CUFFT_R2C
                    ? status(cufftPlanMany, plan, 1, dims, realEmbed, 1, n, complexEmbed, 1, bins, type, batch)
                    : status(cufftPlanMany, plan, 1, dims, complexEmbed, 1, bins, realEmbed, 1, n, type, batch);
            check(r, "cufftPlanMany", doing);
            return new Plan(plan.get(JAVA_INT, 0), n, batch, kind);
        }
    }

    /** A plan of one direction. Not thread-safe; bound to a stream with {@link #setStream}. */
    public final class Plan implements AutoCloseable {
        private final int handle;
        private final int n;
        private final int batch;
        private final String kind;
        private boolean closed;

        private Plan(int handle, int n, int batch, String kind) {
            this.handle = handle;
            this.n = n;
            this.batch = batch;
            this.kind = kind;
        }

        public int length() { return n; }

        public int batch() { return batch; }

        private String what() {
            return batch + " " + kind + " FFTs of length " + n;
        }

        public void setStream(Driver.Stream stream) {
            check(status(cufftSetStream, handle, stream.handle()), "cufftSetStream", "binding " + what() + " to a stream");
        }

        /** Bytes of GPU work area the plan holds. */
        public long workSize() {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(JAVA_LONG);
                check(status(cufftGetSize, handle, s), "cufftGetSize", "asking the work area of " + what());
                return s.get(JAVA_LONG, 0);
            }
        }

        /** Forward: {@code batch·n} floats at {@code in} → {@code batch·(n/2+1)} complex floats at {@code out}. */
        public void execR2C(long in, long out) {
            if (!kind.equals("R2C")) throw new IllegalStateException("this plan is " + kind + ", not R2C");
            int r;
            try {
                r = (int) cufftExecR2C.invokeExact(handle, MemorySegment.ofAddress(in), MemorySegment.ofAddress(out));
            } catch (Throwable t) {
                throw rethrow(t);
            }
            check(r, "cufftExecR2C", "running " + what());
        }

        /** Inverse: {@code batch·(n/2+1)} complex floats at {@code in} → {@code batch·n} floats at {@code out}, unscaled. */
        public void execC2R(long in, long out) {
            if (!kind.equals("C2R")) throw new IllegalStateException("this plan is " + kind + ", not C2R");
            int r;
            try {
                r = (int) cufftExecC2R.invokeExact(handle, MemorySegment.ofAddress(in), MemorySegment.ofAddress(out));
            } catch (Throwable t) {
                throw rethrow(t);
            }
            check(r, "cufftExecC2R", "running " + what());
        }

        @Override public void close() {
            if (closed) return;
            closed = true;
            check(status(cufftDestroy, handle), "cufftDestroy", "destroying the plan of " + what());
        }
    }

    /**
     * The same transforms through cuFFT's simple interface (cufftPlan1d), which assumes the packed layout that
     * {@link #planR2C}/{@link #planC2R} spell out.
     */
    public Plan plan1d(int n, int batch, boolean realToComplex) {
        int type = realToComplex ? CUFFT_R2C : CUFFT_C2R;
        String kind = realToComplex ? "R2C" : "C2R";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment plan = a.allocate(JAVA_INT);
            check(status(cufftPlan1d, plan, n, type, batch), "cufftPlan1d",
                    "planning " + batch + " " + kind + " FFTs of length " + n);
            return new Plan(plan.get(JAVA_INT, 0), n, batch, kind);
        }
    }
}
