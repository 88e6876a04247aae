package hyenac.backends.cuda.bindings;

import static hyenac.backends.cuda.bindings.NativeLibrary.cString;
import static hyenac.backends.cuda.bindings.NativeLibrary.pointer;
import static hyenac.backends.cuda.bindings.NativeLibrary.rethrow;
import static hyenac.backends.cuda.bindings.NativeLibrary.status;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * cuBLASLt ({@code libcublasLt.so.13}): matrix products with fp32 accumulation and fused epilogues. A
 * {@link Matmul} is planned once (descriptors, layouts, the heuristic's choice of algorithm) and run many
 * times, also inside graph capture.
 *
 * <p>Everything is fp32 compute ({@code CUBLAS_COMPUTE_32F}, no TF32 shortcut) with fp32 alpha/beta, whatever
 * the input type. The handle needs a current context (the device's primary context, see {@link CudaContext}).
 */
public final class CublasLt implements AutoCloseable {
    static final int CUBLAS_STATUS_SUCCESS = 0;

    // cublasComputeType_t and cudaDataType_t (cublas_api.h, library_types.h).
    static final int CUBLAS_COMPUTE_32F = 68;
    static final int CUDA_R_32F = 0;

    // cublasOperation_t.
    static final int CUBLAS_OP_N = 0;
    static final int CUBLAS_OP_T = 1;

    // cublasLtMatmulDescAttributes_t.
    static final int DESC_TRANSA = 3;
    static final int DESC_TRANSB = 4;
    static final int DESC_EPILOGUE = 7;
    static final int DESC_BIAS_POINTER = 8;

    // cublasLtMatmulPreferenceAttributes_t.
    static final int PREF_MAX_WORKSPACE_BYTES = 1;
    static final int PREF_MIN_ALIGNMENT_A_BYTES = 5;
    static final int PREF_MIN_ALIGNMENT_B_BYTES = 6;
    static final int PREF_MIN_ALIGNMENT_C_BYTES = 7;
    static final int PREF_MIN_ALIGNMENT_D_BYTES = 8;

    /** cublasLtMatmulAlgo_t is 8 uint64s; a heuristic result adds workspaceSize, state, wavesCount, reserved[4]. */
    static final long ALGO_BYTES = 64;
    static final long HEURISTIC_RESULT_BYTES = 96;
    static final long HEURISTIC_WORKSPACE_OFFSET = 64;
    static final long HEURISTIC_STATE_OFFSET = 72;

    /** Element types of A, B, C/D (cudaDataType_t values). */
    public enum DataType {
        F32(0, 4), F16(2, 2), BF16(14, 2);

        final int cuda;
        final int bytes;

        DataType(int cuda, int bytes) {
            this.cuda = cuda;
            this.bytes = bytes;
        }

        public int bytes() { return bytes; }
    }

    /** The fused epilogues hyenac uses (cublasLtEpilogue_t values); the bias is added before the activation. */
    public enum Epilogue {
        DEFAULT(1, false), RELU(2, false), BIAS(4, true), RELU_BIAS(6, true), GELU(32, false), GELU_BIAS(36, true);

        final int value;
        final boolean hasBias;

        Epilogue(int value, boolean hasBias) {
            this.value = value;
            this.hasBias = hasBias;
        }

        public boolean hasBias() { return hasBias; }
    }

    private final NativeLibrary lib;
    private final MethodHandle cublasLtCreate, cublasLtDestroy, cublasLtGetVersion, getStatusName, getStatusString;
    private final MethodHandle descCreate, descDestroy, descSetAttribute;
    private final MethodHandle layoutCreate, layoutDestroy;
    private final MethodHandle prefCreate, prefDestroy, prefSetAttribute;
    private final MethodHandle getHeuristic, cublasLtMatmul;
    private MemorySegment handle = MemorySegment.NULL;

    private static FunctionDescriptor fd(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    CublasLt(NativeLibrary lib) {
        this.lib = lib;
        cublasLtCreate = lib.downcall("cublasLtCreate", fd(ADDRESS));
        cublasLtDestroy = lib.downcall("cublasLtDestroy", fd(ADDRESS));
        cublasLtGetVersion = lib.downcall("cublasLtGetVersion", FunctionDescriptor.of(JAVA_LONG));
        getStatusName = lib.downcall("cublasLtGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        getStatusString = lib.downcall("cublasLtGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        descCreate = lib.downcall("cublasLtMatmulDescCreate", fd(ADDRESS, JAVA_INT, JAVA_INT));
        descDestroy = lib.downcall("cublasLtMatmulDescDestroy", fd(ADDRESS));
        descSetAttribute = lib.downcall("cublasLtMatmulDescSetAttribute", fd(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        layoutCreate = lib.downcall("cublasLtMatrixLayoutCreate", fd(ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        layoutDestroy = lib.downcall("cublasLtMatrixLayoutDestroy", fd(ADDRESS));
        prefCreate = lib.downcall("cublasLtMatmulPreferenceCreate", fd(ADDRESS));
        prefDestroy = lib.downcall("cublasLtMatmulPreferenceDestroy", fd(ADDRESS));
        prefSetAttribute = lib.downcall("cublasLtMatmulPreferenceSetAttribute",
                fd(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        getHeuristic = lib.downcall("cublasLtMatmulAlgoGetHeuristic",
                fd(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        cublasLtMatmul = lib.downcall("cublasLtMatmul", fd(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    }

    /** Loads the library (no handle yet: {@link #createHandle()} needs a current context). */
    public static CublasLt load() {
        return new CublasLt(NativeLibrary.load(CudaLibrary.CUBLASLT));
    }

    static CublasLt load(String library) {
        return new CublasLt(NativeLibrary.load(CudaLibrary.CUBLASLT, library));
    }

    /** Loads the library and creates its handle in the current context. */
    public static CublasLt open() {
        CublasLt lt = load();
        lt.createHandle();
        return lt;
    }

    public String loadedAs() { return lib.loadedAs(); }

    /** cuBLASLt's version number, e.g. 130000-something for 13.0. */
    public long version() {
        try {
            return (long) cublasLtGetVersion.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Status name from the library, e.g. CUBLAS_STATUS_NOT_SUPPORTED; null if it does not know the code. */
    public String statusName(int code) {
        String s = cString(pointer(getStatusName, code));
        return s == null || s.startsWith("unrecognized") ? null : s;
    }

    public String statusString(int code) {
        String s = cString(pointer(getStatusString, code));
        return s == null || s.startsWith("unrecognized") ? null : s;
    }

    void check(int result, String call, String doing) {
        if (result != CUBLAS_STATUS_SUCCESS) {
            String name = statusName(result);
            throw new CudaException(CudaErrors.failure("cuBLAS", call, result, name, statusString(result), doing),
                    call, result, name);
        }
    }

    public void createHandle() {
        if (!handle.equals(MemorySegment.NULL)) return;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check(status(cublasLtCreate, h), "cublasLtCreate", "creating the cuBLASLt handle");
            handle = h.get(ADDRESS, 0);
        }
    }

    @Override public void close() {
        if (handle.equals(MemorySegment.NULL)) return;
        MemorySegment h = handle;
        handle = MemorySegment.NULL;
        check(status(cublasLtDestroy, h), "cublasLtDestroy", "destroying the cuBLASLt handle");
    }

    /**
     * Plans {@code Y[m×n] = act(X[m×k] · W[n×k]ᵀ + b[n])} on row-major tensors: a linear layer with weights
     * stored [out, in] as checkpoints store them. {@code in} is the type of X and W, {@code out} of Y and the
     * bias. Pointers (buffers from cuMemAlloc) must be aligned to {@code alignment} bytes (256 when they are
     * allocation starts; smaller values let more pointers through at some speed cost).
     */
    public Matmul linear(int m, int n, int k, DataType in, DataType out, Epilogue epilogue, long workspaceBytes,
                         int alignment) {
        if (handle.equals(MemorySegment.NULL)) throw new IllegalStateException("cuBLASLt handle not created");
        if (m <= 0 || n <= 0 || k <= 0) throw new IllegalArgumentException("empty matmul " + m + "×" + n + "×" + k);
        String what = "the " + in + "→" + out + " matmul [" + m + "×" + k + "]·[" + n + "×" + k + "]ᵀ with epilogue "
                + epilogue;
        return new Matmul(m, n, k, in, out, epilogue, workspaceBytes, alignment, what, true);
    }

    /**
     * Builds the descriptors, layouts and preferences of {@link #linear} without choosing an algorithm: works
     * without a handle (so without a GPU) and checks every attribute's value size against the library.
     */
    Matmul describe(int m, int n, int k, DataType in, DataType out, Epilogue epilogue, long workspaceBytes,
                    int alignment) {
        return new Matmul(m, n, k, in, out, epilogue, workspaceBytes, alignment, "a described matmul", false);
    }

    /**
     * One planned product. Column-major view of the row-major problem: Yᵀ[n×m] = W[n×k]·Xᵀ[k×m], so A = W read
     * transposed from its k×n column-major storage, B = Xᵀ as stored (k×m, ld k), D = Yᵀ (n×m, ld n) and the
     * bias runs along D's rows, i.e. Y's columns, as a linear layer needs. A plan is used by one thread at a
     * time (each run sets the bias pointer on its descriptor).
     */
    public final class Matmul implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final String what;
        private final long workspaceBytes;
        private final boolean hasBias;
        private MemorySegment desc = MemorySegment.NULL, layoutA = MemorySegment.NULL,
                layoutB = MemorySegment.NULL, layoutD = MemorySegment.NULL;
        private MemorySegment algo, alpha, beta, biasSlot;
        private long workspaceNeeded;
        private boolean closed;

        /** Describes the product and, when {@code choose}, asks the heuristic for an algorithm (needs the handle). */
        private Matmul(int m, int n, int k, DataType in, DataType out, Epilogue epilogue, long workspaceBytes,
                       int alignment, String what, boolean choose) {
            this.what = what;
            this.workspaceBytes = workspaceBytes;
            this.hasBias = epilogue.hasBias;
            try {
                MemorySegment descOut = arena.allocate(ADDRESS);
                check(status(descCreate, descOut, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate",
                        "describing " + what);
                desc = descOut.get(ADDRESS, 0);
                setDesc(DESC_TRANSA, arena.allocateFrom(JAVA_INT, CUBLAS_OP_T));
                setDesc(DESC_TRANSB, arena.allocateFrom(JAVA_INT, CUBLAS_OP_N));
                setDesc(DESC_EPILOGUE, arena.allocateFrom(JAVA_INT, epilogue.value));
                biasSlot = arena.allocate(ADDRESS);
                if (hasBias) setDesc(DESC_BIAS_POINTER, biasSlot);  // size checked now, the pointer set per run
                layoutA = layout(in, k, n, k);
                layoutB = layout(in, k, m, k);
                layoutD = layout(out, n, m, n);
                alpha = arena.allocateFrom(JAVA_FLOAT, 1f);
                beta = arena.allocateFrom(JAVA_FLOAT, 0f);
                choose(workspaceBytes, alignment, choose);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private void choose(long workspaceBytes, int alignment, boolean choose) {
            MemorySegment prefOut = arena.allocate(ADDRESS);
            check(status(prefCreate, prefOut), "cublasLtMatmulPreferenceCreate", "planning " + what);
            MemorySegment pref = prefOut.get(ADDRESS, 0);
            try {
                setPref(pref, PREF_MAX_WORKSPACE_BYTES, arena.allocateFrom(JAVA_LONG, workspaceBytes));
                for (int attr : new int[] {PREF_MIN_ALIGNMENT_A_BYTES, PREF_MIN_ALIGNMENT_B_BYTES,
                        PREF_MIN_ALIGNMENT_C_BYTES, PREF_MIN_ALIGNMENT_D_BYTES}) {
                    setPref(pref, attr, arena.allocateFrom(JAVA_INT, alignment));
                }
                if (!choose) return;
                MemorySegment results = arena.allocate(HEURISTIC_RESULT_BYTES, 8);
                MemorySegment count = arena.allocate(JAVA_INT);
                check(status(getHeuristic, handle, desc, layoutA, layoutB, layoutD, layoutD, pref, 1, results, count),
                        "cublasLtMatmulAlgoGetHeuristic", "choosing an algorithm for " + what);
                int state = results.get(JAVA_INT, HEURISTIC_STATE_OFFSET);
                if (count.get(JAVA_INT, 0) < 1 || state != CUBLAS_STATUS_SUCCESS) {
                    throw new CudaException("cuBLASLt has no algorithm for " + what + " within "
                            + CudaErrors.bytes(workspaceBytes) + " of workspace and " + alignment
                            + "-byte alignment", "cublasLtMatmulAlgoGetHeuristic", state, statusName(state));
                }
                algo = results.asSlice(0, ALGO_BYTES);
                workspaceNeeded = results.get(JAVA_LONG, HEURISTIC_WORKSPACE_OFFSET);
            } finally {
                status(prefDestroy, pref);
            }
        }

        private void setDesc(int attribute, MemorySegment value) {
            check(status(descSetAttribute, desc, attribute, value, value.byteSize()), "cublasLtMatmulDescSetAttribute",
                    "setting attribute " + attribute + " of " + what);
        }

        private void setPref(MemorySegment pref, int attribute, MemorySegment value) {
            check(status(prefSetAttribute, pref, attribute, value, value.byteSize()),
                    "cublasLtMatmulPreferenceSetAttribute", "setting preference " + attribute + " for " + what);
        }

        private MemorySegment layout(DataType type, long rows, long cols, long ld) {
            MemorySegment out = arena.allocate(ADDRESS);
            check(status(layoutCreate, out, type.cuda, rows, cols, ld), "cublasLtMatrixLayoutCreate",
                    "describing a " + rows + "×" + cols + " " + type + " matrix of " + what);
            return out.get(ADDRESS, 0);
        }

        /** Bytes of workspace the chosen algorithm needs (at most what was offered). */
        public long workspaceNeeded() { return workspaceNeeded; }

        /**
         * Enqueues Y = act(X·Wᵀ + b) on {@code stream}. {@code bias} is ignored (pass 0) without a bias
         * epilogue; {@code workspace} must hold the workspace offered at planning (or 0 if none was offered).
         */
        public void run(long x, long w, long bias, long y, long workspace, Driver.Stream stream) {
            if (closed) throw new IllegalStateException("matmul plan closed: " + what);
            if (algo == null) throw new IllegalStateException("no algorithm chosen for " + what);
            if (hasBias) {
                if (bias == 0) throw new IllegalArgumentException(what + " needs a bias pointer");
                biasSlot.set(JAVA_LONG, 0, bias);
                setDesc(DESC_BIAS_POINTER, biasSlot);
            }
            int r;
            try {
                r = (int) cublasLtMatmul.invokeExact(handle, desc, alpha,
                        MemorySegment.ofAddress(w), layoutA, MemorySegment.ofAddress(x), layoutB, beta,
                        MemorySegment.ofAddress(y), layoutD, MemorySegment.ofAddress(y), layoutD,
                        algo, MemorySegment.ofAddress(workspace), workspace == 0 ? 0L : workspaceBytes, stream.handle());
            } catch (Throwable t) {
                throw rethrow(t);
            }
            check(r, "cublasLtMatmul", "running " + what);
        }

        @Override public void close() {
            if (closed) return;
            closed = true;
            for (MemorySegment l : new MemorySegment[] {layoutA, layoutB, layoutD}) {
                if (!l.equals(MemorySegment.NULL)) status(layoutDestroy, l);
            }
            if (!desc.equals(MemorySegment.NULL)) status(descDestroy, desc);
            arena.close();
        }
    }
}
