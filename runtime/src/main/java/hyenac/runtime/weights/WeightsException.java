package hyenac.runtime.weights;

/**
 * A weights file that cannot be read or written: corrupt header, truncated data, a tensor asked for in a
 * type it does not have, or an I/O failure. The message always starts with the file and, where one is
 * involved, names the tensor. Also: weights that are not finite numbers, and weights too big for the memory at hand
 * ({@link NotEnoughMemoryException}).
 */
public class WeightsException extends RuntimeException {
    public WeightsException(String message) {
        super(message);
    }

    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
