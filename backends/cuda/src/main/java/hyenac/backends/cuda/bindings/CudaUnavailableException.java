package hyenac.backends.cuda.bindings;

/**
 * The CUDA stack cannot be used on this machine: a library (driver, NVRTC, cuBLASLt, cuFFT) is missing or too
 * old, or the driver sees no GPU. The message says which, and what to do instead.
 */
public class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
