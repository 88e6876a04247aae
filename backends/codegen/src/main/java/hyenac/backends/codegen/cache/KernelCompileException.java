package hyenac.backends.codegen.cache;

import java.nio.file.Path;

/** A kernel that did not compile: what was compiled, the compiler's log, and where its source was saved. */
public final class KernelCompileException extends Exception {
    private final String unit;
    private final String log;
    private final Path savedSource;

    public KernelCompileException(String unit, String log, Path savedSource) {
        super("compiling " + unit + " failed" + (savedSource != null ? " (source saved at " + savedSource + ")" : "") + ":\n" + log);
        this.unit = unit;
        this.log = log;
        this.savedSource = savedSource;
    }

    public String unit() { return unit; }

    public String log() { return log; }

    /** Where the failing source was kept for inspection, or null. */
    public Path savedSource() { return savedSource; }
}
