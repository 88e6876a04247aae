package hyenac.backends.cuda;

import java.nio.file.Path;

/**
 * NVRTC rejected a kernel. The message holds the kernel's name, the compiler log and the file the source was
 * saved to, so the generated code can be inspected (and fed to {@code nvcc}) after the run.
 */
public final class KernelCompileException extends RuntimeException {
    private final String kernel;
    private final String log;
    private final Path savedSource;

    public KernelCompileException(String message, String kernel, String log, Path savedSource) {
        super(message);
        this.kernel = kernel;
        this.log = log;
        this.savedSource = savedSource;
    }

    public String kernel() { return kernel; }

    /** NVRTC's program log, as it printed it. */
    public String log() { return log; }

    /** Where the source was written, or null if writing it failed too. */
    public Path savedSource() { return savedSource; }
}
