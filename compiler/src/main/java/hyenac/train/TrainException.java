package hyenac.train;

/** A training run stopped by its input or its numbers: one line saying what, where and what to do. */
public final class TrainException extends RuntimeException {
    public TrainException(String message) { super(message); }
}
