package hyenac.backends.cuda.bindings;

/**
 * A CUDA library call failed. The message names the call, the library's error name and description, and what
 * hyenac was doing at the time (allocating a named tensor, loading a kernel's module, ...).
 */
public class CudaException extends RuntimeException {
    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String message, String call, int code, String errorName) {
        super(message);
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    /** The failing entry point, exactly as exported (e.g. {@code cuMemAlloc_v2}). */
    public String call() { return call; }

    /** The numeric status the call returned. */
    public int code() { return code; }

    /** The status's symbolic name (e.g. {@code CUDA_ERROR_INVALID_VALUE}), or null if the library did not know it. */
    public String errorName() { return errorName; }
}
