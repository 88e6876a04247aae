package hyenac.backends.codegen.cuda;

import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.codegen.cache.KernelCompiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Compiles CUDA C to a cubin with the {@code nvcc} of the machine: {@code nvcc -cubin -arch=sm_90 …}, or to PTX
 * ({@link #ptx}: {@code nvcc -ptx …}). Used to compile-check every kernel the generator emits and to put PTX into
 * artifacts (no GPU needed); at run time NVRTC does this job.
 * {@link #strict} turns every warning of the front end and of ptxas into an error, and any output at all
 * counts as a failure, so a kernel either compiles silently or fails with the log.
 */
public final class NvccCompiler implements KernelCompiler {
    /** nvcc's own warnings and ptxas's, as errors. */
    public static final List<String> STRICT = List.of("-Werror", "all-warnings", "-Xptxas", "-Werror");

    /** What nvcc writes: a cubin (machine code for one architecture) or PTX (text the driver compiles at load). */
    public enum Output {
        CUBIN("-cubin", ".cubin"), PTX("-ptx", ".ptx");

        private final String flag, extension;

        Output(String flag, String extension) {
            this.flag = flag;
            this.extension = extension;
        }
    }

    private final Path nvcc;
    private final String arch;
    private final List<String> options;
    private final Output output;
    private final String version;

    public NvccCompiler(Path nvcc, String arch, List<String> options) {
        this(nvcc, arch, options, Output.CUBIN);
    }

    public NvccCompiler(Path nvcc, String arch, List<String> options, Output output) {
        this.nvcc = nvcc;
        this.arch = arch;
        this.options = List.copyOf(options);
        this.output = output;
        this.version = version(nvcc);
    }

    /** An nvcc for compile checks: every warning is an error. */
    public static NvccCompiler strict(Path nvcc, String arch) { return new NvccCompiler(nvcc, arch, STRICT); }

    /** An nvcc that writes PTX for {@code arch}, as NVRTC would at run time (C++17). */
    public static NvccCompiler ptx(Path nvcc, String arch) { return new NvccCompiler(nvcc, arch, List.of("-std=c++17"), Output.PTX); }

    /** nvcc from $HYENAC_NVCC, the PATH, $CUDA_HOME/bin or /usr/local/cuda/bin, in that order. */
    public static Optional<Path> locate() { return locate(System.getenv()); }

    static Optional<Path> locate(Map<String, String> env) {
        List<Path> candidates = new ArrayList<>();
        if (env.get("HYENAC_NVCC") != null) candidates.add(Path.of(env.get("HYENAC_NVCC")));
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) candidates.add(Path.of(dir, "nvcc"));
        }
        if (env.get("CUDA_HOME") != null) candidates.add(Path.of(env.get("CUDA_HOME"), "bin", "nvcc"));
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    @Override public String arch() { return arch; }

    /** "nvcc 13.0.88", with " -ptx" for PTX output so a cache never hands PTX to a cubin reader. */
    @Override public String identity() { return "nvcc " + version + (output == Output.PTX ? " -ptx" : ""); }

    /** The toolkit's version, e.g. {@code 13.0.88}, or "unknown". */
    public String version() { return version; }

    @Override public List<String> options() { return options; }

    @Override public byte[] compile(String unit, String source) throws KernelCompileException {
        String name = unit.replaceAll("[^A-Za-z0-9_.-]", "_");
        Path work;
        try {
            work = Files.createTempDirectory("hyenac-nvcc-");
        } catch (IOException e) {
            throw new UncheckedIOException("creating a directory for nvcc", e);
        }
        Path cu = work.resolve(name + ".cu");
        Path binary = work.resolve(name + output.extension);
        boolean keep = false;
        try {
            Files.writeString(cu, source);
            List<String> cmd = new ArrayList<>(List.of(nvcc.toString(), output.flag, "-arch=" + CudaDialect.compileTarget(arch)));
            cmd.addAll(options);
            cmd.addAll(List.of("-o", binary.toString(), cu.toString()));
            Result r = run(cmd, work);
            if (r.exit != 0 || !r.output.isBlank() || !Files.exists(binary)) {
                keep = true; // leave the source where the message says it is
                throw new KernelCompileException(unit, (r.exit != 0 ? "" : "(warnings count as errors)\n") + r.output.strip(), cu);
            }
            return Files.readAllBytes(binary);
        } catch (IOException e) {
            throw new UncheckedIOException("running nvcc on " + unit, e);
        } finally {
            if (!keep) deleteQuietly(work);
        }
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> cmd, Path dir) throws IOException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                return new Result(-1, "nvcc timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** "13.0.88" from {@code nvcc --version}, or "unknown". */
    static String version(Path nvcc) {
        try {
            Result r = run(List.of(nvcc.toString(), "--version"), Path.of(System.getProperty("java.io.tmpdir")));
            Matcher m = Pattern.compile("V(\\d+(?:\\.\\d+)+)").matcher(r.output);
            return m.find() ? m.group(1) : "unknown";
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
