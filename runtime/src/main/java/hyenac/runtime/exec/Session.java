package hyenac.runtime.exec;

/**
 * One generation stream of a prepared model: a parallel prefill of the prompt, then one token at a
 * time through the recurrent states. Logits are [batch, vocab]. Closing frees what the session holds on its
 * device (GPU memory); a CPU session holds nothing that needs it.
 */
public interface Session extends AutoCloseable {
    int vocab();

    float[] prefill(long[] tokens, int length);

    float[] step(long[] tokens);

    /** A remark for people on how this session runs (e.g. where its kernels came from); empty when there is none. */
    default String note() { return ""; }

    @Override default void close() {}
}
