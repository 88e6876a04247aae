package hyenac.compiler.artifact;

/**
 * A .hyx artifact or a runnable jar that cannot be written or read as it is: the message names the file
 * and, where there is one, the entry, and is meant to be printed as it stands (no stack trace).
 */
public final class ArtifactException extends RuntimeException {
    public ArtifactException(String message) { super(message); }

    public ArtifactException(String message, Throwable cause) { super(message, cause); }
}
