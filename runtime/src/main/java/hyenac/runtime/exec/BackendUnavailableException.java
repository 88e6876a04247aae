package hyenac.runtime.exec;

/** The backend cannot run on this machine at all (no driver, no GPU, a missing library); the message says what to do. */
public class BackendUnavailableException extends BackendException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
