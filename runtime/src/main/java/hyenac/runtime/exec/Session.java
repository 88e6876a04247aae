package hyenac.runtime.exec;

import java.util.Collection;
import java.util.Map;

/**
 * A prepared model on a device. Generation: a parallel {@link #prefill} of the prompt, then one token at a time through
 * the recurrent states ({@link #step}); logits are [batch, vocab], for the batch the session was opened with. Whole
 * sequences (scoring, embedding): {@link #forward}, a stateless parallel pass that returns any values of the graph at
 * every position, and {@link #prefillAllPositions}, a prefill that returns every position's logits so that steps can
 * carry a sequence on past what one pass holds. Those two take their batch per call, since they group sequences of
 * equal length. Closing frees what the session holds on its device (GPU memory); a CPU session holds nothing that
 * needs it.
 */
public interface Session extends AutoCloseable {
    int vocab();

    float[] prefill(long[] tokens, int length);

    /** One more position for each sequence of the last prefill (of either kind); logits [batch, vocab]. */
    float[] step(long[] tokens);

    /**
     * A parallel forward pass over [batch, length] tokens that keeps no state (the recurrent states of a prefill are
     * left as they were). Returns each wanted value (a value id of the session's graph) at every position, [batch,
     * length, width] as fp32, whatever the device stores it in.
     */
    Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted);

    /**
     * A prefill of [batch, length] tokens that returns the logits of every position, [batch, length, vocab]; the steps
     * after it take {@code batch} tokens. {@code maxLength} is the most tokens the sequences will reach (prefill and
     * steps together): a device that preallocates KV caches sizes them for it once, so the steps never move them
     * (they still grow past it).
     */
    float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength);

    /** A remark for people on how this session runs (e.g. where its kernels came from); empty when there is none. */
    default String note() { return ""; }

    @Override default void close() {}
}
