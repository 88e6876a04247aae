package hyenac.runtime.exec;

/**
 * A backend failed in a way a person can act on (out of device memory, a kernel that would not compile, device
 * code an artifact carries that cannot be used). The message says what was being done; the command line prints it
 * without a stack trace.
 */
public class BackendException extends RuntimeException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
