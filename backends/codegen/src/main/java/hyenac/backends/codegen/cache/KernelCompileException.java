package hyenac.backends.codegen.cache;

import java.nio.file.Path;

/**
 * A kernel that did not compile, from any compiler (nvcc through {@link KernelCompiler}, NVRTC at run time): what was
 * compiled, the compiler's log, and where its source was saved, so the generated code can be inspected after the run.
 * Unchecked, as a generator bug is: the caller that can do better than fail (e.g. ship sources without PTX) catches it.
 */
public final class KernelCompileException extends RuntimeException {
    private final String unit;
    private final String log;
    private final Path savedSource;

    public KernelCompileException(String unit, String log, Path savedSource) {
        this("compiling " + unit + " failed" + (savedSource != null ? " (source saved at " + savedSource + ")" : "") + ":\n" + log,
                unit, log, savedSource);
    }

    /** For a compiler that words the message itself (NVRTC names its status and options). */
    public KernelCompileException(String message, String unit, String log, Path savedSource) {
        super(message);
        this.unit = unit;
        this.log = log;
        this.savedSource = savedSource;
    }

    /** The kernel (translation unit) that failed. */
    public String unit() { return unit; }

    /** The compiler's log, as it printed it. */
    public String log() { return log; }

    /** Where the failing source was kept for inspection, or null if it was not (or writing it failed too). */
    public Path savedSource() { return savedSource; }
}
