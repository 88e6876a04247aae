package hyenac.ir.cp;

/** A model or length that context parallelism cannot split as asked; the message says what and how to fix it. */
public class ContextParallelException extends IllegalArgumentException {
    public ContextParallelException(String message) { super(message); }
}
