package hyenac.runtime.comm;

/** A collective that could not complete: a rank failed, timed out, or called a collective the others did not. */
public class CommunicatorException extends RuntimeException {
    public CommunicatorException(String message) { super(message); }

    public CommunicatorException(String message, Throwable cause) { super(message, cause); }
}
