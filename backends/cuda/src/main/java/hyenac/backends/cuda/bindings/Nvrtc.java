package hyenac.backends.cuda.bindings;

import static hyenac.backends.cuda.bindings.NativeLibrary.cString;
import static hyenac.backends.cuda.bindings.NativeLibrary.pointer;
import static hyenac.backends.cuda.bindings.NativeLibrary.status;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.codegen.cuda.CudaDialect;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * NVRTC ({@code libnvrtc.so}): compiles CUDA C++ to CUBIN (for a real architecture, {@code sm_XY}) or PTX
 * (for a virtual one, {@code compute_XY}) at run time. A compile error throws {@link KernelCompileException}
 * with the log, after saving the source under {@code -Dhyenac.cuda.kernelDir} (default
 * {@code <tmp>/hyenac-kernels}).
 *
 * <p>Headers: NVRTC resolves {@code #include} only against {@code -I} directories. The GPU machine has the
 * driver and the libraries but not necessarily the toolkit's headers, and {@code cuda_bf16.h} from CUDA 13
 * further needs the toolkit's {@code cccl} directory. So kernels should not include toolkit headers: bf16
 * travels as raw 16-bit storage converted with integer operations ({@link #BF16_PRELUDE}). Where the headers
 * are wanted, {@code -Dhyenac.cuda.include=DIR[:DIR...]} adds each directory as {@code -I} to
 * {@link #defaultOptions}. Kernels are looked up by name, so declare them {@code extern "C"}.
 */
public final class Nvrtc {
    static final int NVRTC_SUCCESS = 0;

    /** bf16 ⇄ float without {@code cuda_bf16.h}: the generated kernels' own definitions. */
    public static final String BF16_PRELUDE = hyenac.backends.codegen.cuda.CudaDialect.BF16_PRELUDE + "\n";

    private final NativeLibrary lib;
    private final MethodHandle nvrtcVersion, nvrtcGetNumSupportedArchs, nvrtcGetSupportedArchs, nvrtcGetErrorString;
    private final MethodHandle nvrtcCreateProgram, nvrtcCompileProgram, nvrtcDestroyProgram;
    private final MethodHandle nvrtcGetProgramLogSize, nvrtcGetProgramLog;
    private final MethodHandle nvrtcGetPTXSize, nvrtcGetPTX, nvrtcGetCUBINSize, nvrtcGetCUBIN;

    /** A compiled kernel: CUBIN and/or PTX (whichever the architecture option produced) and NVRTC's log. */
    public record CompiledKernel(String name, List<String> options, byte[] cubin, byte[] ptx, String log,
                                 double compileMillis) {
        /** What to hand cuModuleLoadData: the CUBIN if there is one (no JIT at load), else the PTX. */
        public byte[] image() {
            return cubin != null ? cubin : ptx;
        }
    }

    Nvrtc(NativeLibrary lib) {
        this.lib = lib;
        nvrtcVersion = lib.downcall("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetNumSupportedArchs = lib.downcall("nvrtcGetNumSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nvrtcGetSupportedArchs = lib.downcall("nvrtcGetSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nvrtcGetErrorString = lib.downcall("nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        nvrtcCreateProgram = lib.downcall("nvrtcCreateProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        nvrtcCompileProgram = lib.downcall("nvrtcCompileProgram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        nvrtcDestroyProgram = lib.downcall("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        nvrtcGetProgramLogSize = lib.downcall("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetProgramLog = lib.downcall("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetPTXSize = lib.downcall("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetPTX = lib.downcall("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetCUBINSize = lib.downcall("nvrtcGetCUBINSize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        nvrtcGetCUBIN = lib.downcall("nvrtcGetCUBIN", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** Loads NVRTC from {@code -Dhyenac.cuda.libnvrtc} or its usual sonames; missing → CudaUnavailableException. */
    public static Nvrtc load() {
        return new Nvrtc(NativeLibrary.load(CudaLibrary.NVRTC));
    }

    static Nvrtc load(String library) {
        return new Nvrtc(NativeLibrary.load(CudaLibrary.NVRTC, library));
    }

    public String loadedAs() { return lib.loadedAs(); }

    /** NVRTC's status name, e.g. NVRTC_ERROR_COMPILATION; null for a status it does not know. */
    public String errorName(int code) {
        String s = cString(pointer(nvrtcGetErrorString, code));
        return s == null || s.contains("unknown") ? null : s;
    }

    private void check(int result, String call, String doing) {
        if (result != NVRTC_SUCCESS) {
            throw new CudaException(CudaErrors.failure("NVRTC", call, result, errorName(result), null, doing),
                    call, result, errorName(result));
        }
    }

    /** {major, minor} of this NVRTC. */
    public int[] version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check(status(nvrtcVersion, major, minor), "nvrtcVersion", "asking NVRTC's version");
            return new int[] {major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0)};
        }
    }

    /** The real architectures this NVRTC can compile for, as numbers (e.g. 75, 80, ..., 90, ...), ascending. */
    public int[] supportedArchs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(status(nvrtcGetNumSupportedArchs, n), "nvrtcGetNumSupportedArchs", "listing NVRTC's architectures");
            MemorySegment archs = a.allocate(JAVA_INT, Math.max(1, n.get(JAVA_INT, 0)));
            check(status(nvrtcGetSupportedArchs, archs), "nvrtcGetSupportedArchs", "listing NVRTC's architectures");
            return archs.asSlice(0, 4L * n.get(JAVA_INT, 0)).toArray(JAVA_INT);
        }
    }

    /**
     * The architecture to compile for on a device of compute capability {@code major.minor}: its own
     * ({@code sm_90} on an H100) when this NVRTC knows it; else the newest one it knows of the same major
     * version (a CUBIN runs on later minors); else PTX for the newest older one ({@code compute_XY}), which the
     * driver compiles for the device when the module is loaded.
     */
    public String archFor(int major, int minor) {
        int want = major * 10 + minor, best = -1;
        for (int a : supportedArchs()) {
            if (a <= want && a > best) best = a;
        }
        if (best < 0) {
            int[] v = version();
            throw new CudaUnavailableException("NVRTC " + v[0] + "." + v[1] + " cannot compile for compute capability "
                    + major + "." + minor + " or anything older it runs; use --target cpu");
        }
        return (best / 10 == major ? "sm_" : "compute_") + best;
    }

    /**
     * The options hyenac compiles with: the architecture ({@code sm_90} → CUBIN, {@code compute_90} → PTX; sm_90 as its
     * arch-specific sm_90a, see {@link CudaDialect#compileTarget}),
     * functions are device functions unless marked otherwise, C++17, and an {@code -I} for each directory in
     * {@code -Dhyenac.cuda.include}.
     */
    public static List<String> defaultOptions(String arch) {
        List<String> options = new ArrayList<>(List.of("--gpu-architecture=" + CudaDialect.compileTarget(arch), "-default-device", "--std=c++17"));
        String include = System.getProperty("hyenac.cuda.include");
        if (include != null) {
            for (String dir : include.split(java.io.File.pathSeparator)) {
                if (!dir.isBlank()) options.add("-I" + dir.strip());
            }
        }
        return List.copyOf(options);
    }

    /**
     * Compiles {@code source}; {@code name} is the kernel's (or the module's) name, used for the program's file
     * name, messages and the saved source.
     */
    public CompiledKernel compile(String name, String source, List<String> options) {
        long t0 = System.nanoTime();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(ADDRESS);
            check(status(nvrtcCreateProgram, prog, a.allocateFrom(source), a.allocateFrom(name + ".cu"), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram", "creating the program of " + name);
            MemorySegment p = prog.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                int r = status(nvrtcCompileProgram, p, options.size(), opts);
                String log = log(p, a, name);
                if (r != NVRTC_SUCCESS) throw compileError(name, source, options, r, log);
                byte[] cubin = output(p, a, nvrtcGetCUBINSize, nvrtcGetCUBIN);
                byte[] ptx = output(p, a, nvrtcGetPTXSize, nvrtcGetPTX);
                if (cubin == null && ptx == null) {
                    throw new CudaException("NVRTC compiled " + name + " but returned neither CUBIN nor PTX (options: "
                            + String.join(" ", options) + ")", "nvrtcGetCUBIN", 0, null);
                }
                return new CompiledKernel(name, List.copyOf(options), cubin, ptx, log, (System.nanoTime() - t0) / 1e6);
            } finally {
                status(nvrtcDestroyProgram, prog);
            }
        }
    }

    private String log(MemorySegment p, Arena a, String name) {
        MemorySegment size = a.allocate(JAVA_LONG);
        check(status(nvrtcGetProgramLogSize, p, size), "nvrtcGetProgramLogSize", "reading the compile log of " + name);
        long n = size.get(JAVA_LONG, 0);
        if (n <= 1) return "";
        MemorySegment buf = a.allocate(n);
        check(status(nvrtcGetProgramLog, p, buf), "nvrtcGetProgramLog", "reading the compile log of " + name);
        return buf.getString(0);
    }

    // CUBIN exists only for a real architecture and PTX only for a virtual one in some NVRTC versions:
    // a refusal just means "not produced".
    private static byte[] output(MemorySegment p, Arena a, MethodHandle sizeOf, MethodHandle get) {
        MemorySegment size = a.allocate(JAVA_LONG);
        if (status(sizeOf, p, size) != NVRTC_SUCCESS) return null;
        long n = size.get(JAVA_LONG, 0);
        if (n <= 0) return null;
        MemorySegment buf = a.allocate(n);
        if (status(get, p, buf) != NVRTC_SUCCESS) return null;
        return buf.toArray(JAVA_BYTE);
    }

    private KernelCompileException compileError(String name, String source, List<String> options, int r, String log) {
        Path saved = null;
        String where;
        try {
            saved = saveSource(name, source, options);
            where = "source saved to " + saved;
        } catch (IOException | RuntimeException e) {
            where = "the source could not be saved (" + e.getMessage() + ")";
        }
        String status = errorName(r) == null ? "status " + r : errorName(r);
        String message = "NVRTC could not compile kernel " + name + " (" + status + "); " + where
                + "; options: " + String.join(" ", options) + "\n" + (log.isBlank() ? "(NVRTC gave no log)" : log.strip());
        return new KernelCompileException(message, name, log, saved);
    }

    /** Writes the source as {@code <kernelDir>/<name>-<hash>.cu} and returns the path. */
    static Path saveSource(String name, String source, List<String> options) throws IOException {
        String dirProperty = System.getProperty("hyenac.cuda.kernelDir");
        Path dir = dirProperty != null && !dirProperty.isBlank() ? Path.of(dirProperty)
                : Path.of(System.getProperty("java.io.tmpdir"), "hyenac-kernels");
        Files.createDirectories(dir);
        String safe = name.replaceAll("[^A-Za-z0-9_.-]", "_");
        Path file = dir.resolve(safe + "-" + hash(source, options).substring(0, 12) + ".cu");
        Files.writeString(file, source);  // verbatim, so the log's line numbers point into it
        return file;
    }

    /** A hex SHA-256 of the source and options: the file name of a saved source, and a cache key. */
    public static String hash(String source, List<String> options) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(source.getBytes(StandardCharsets.UTF_8));
            for (String o : options) {
                md.update((byte) 0);
                md.update(o.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
