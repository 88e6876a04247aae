package hyenac.backends.cuda.bindings;

/** The device ran out of memory; carries the request and, when the driver could tell, the free and total memory. */
public final class CudaOutOfMemoryException extends CudaException {
    private final long requestedBytes;
    private final long freeBytes;
    private final long totalBytes;

    public CudaOutOfMemoryException(String message, String call, int code, String errorName,
                                    long requestedBytes, long freeBytes, long totalBytes) {
        super(message, call, code, errorName);
        this.requestedBytes = requestedBytes;
        this.freeBytes = freeBytes;
        this.totalBytes = totalBytes;
    }

    /** Bytes asked for, or -1 when the failing call was not an allocation of a known size. */
    public long requestedBytes() { return requestedBytes; }

    /** Free device memory just after the failure, or -1 if it could not be queried. */
    public long freeBytes() { return freeBytes; }

    /** Total device memory, or -1 if it could not be queried. */
    public long totalBytes() { return totalBytes; }
}
