package hyenac.runtime.exec;

/**
 * One generation stream of a prepared model: a parallel prefill of the prompt, then one token at a
 * time through the recurrent states. Logits are [batch, vocab].
 */
public interface Session {
    int vocab();

    float[] prefill(long[] tokens, int length);

    float[] step(long[] tokens);
}
