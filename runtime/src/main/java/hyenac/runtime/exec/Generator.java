package hyenac.runtime.exec;

import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Generates tokens for one prompt: prefill, then sample and step until N tokens, end-of-sequence or a stop request. */
public final class Generator {
    /** Why generation ended. */
    public enum End { LENGTH, END_OF_SEQUENCE, STOPPED }

    /**
     * What a run produced and how long it took: {@code firstTokenSeconds} from the start to the first sampled token
     * (the prompt's prefill, and any one-time warm-up of the session with it), {@code decodeSeconds} the steps after it.
     */
    public record Result(long[] prompt, long[] generated, End end, double firstTokenSeconds, double decodeSeconds) {
        /** Tokens per second of the steps after the first token; 0 when there were none. */
        public double decodeTokensPerSecond() { return generated.length <= 1 || decodeSeconds <= 0 ? 0 : (generated.length - 1) / decodeSeconds; }

        public String text() { return ByteTokenizer.decode(generated); }
    }

    /** Hears each token as soon as it is sampled ({@code index} counts from 0). */
    public interface Listener {
        void token(long id, int index);
    }

    /** Logits that are NaN or infinite: sampling from them would produce garbage, so generation stops. */
    public static final class NonFiniteLogitsException extends RuntimeException {
        public NonFiniteLogitsException(String message) { super(message); }
    }

    private Generator() {}

    /**
     * Generates up to {@code maxNew} tokens after {@code prompt}, telling {@code listener} (may be null) of each;
     * {@code stop} is polled before every token is sampled, so another thread can end the run early with what it has.
     * The loop is {@link BatchGenerator}'s with one sequence, so a prompt generates alone what it generates in a batch.
     */
    public static Result generate(Session session, long[] prompt, int maxNew, Sampler sampler, boolean stopAtEos,
                                  Listener listener, BooleanSupplier stop) {
        BatchGenerator.Listener heard = listener == null ? null : new BatchGenerator.Listener() {
            @Override public void token(int sequence, long id, int index) { listener.token(id, index); }
        };
        return BatchGenerator.generate(session, 1, List.of(new BatchGenerator.Request(prompt, sampler)), maxNew, stopAtEos, heard, stop)
                .sequences().getFirst();
    }

    /**
     * Throws unless {@code logits[offset, offset + vocab)} are all finite; {@code generated} says how far generation had
     * come, {@code sequence} (from 0) which sequence of several it was, or -1 when there is one.
     */
    static void requireFinite(float[] logits, int offset, int vocab, int generated, int sequence) {
        for (int i = 0; i < vocab; i++) {
            float v = logits[offset + i];
            if (!Float.isFinite(v)) {
                throw new NonFiniteLogitsException("the model's logits " + (sequence < 0 ? "" : "for sequence " + (sequence + 1) + " ")
                        + "are not finite (" + v + " for token " + i + ") "
                        + (generated == 0 ? "after the prompt" : "after " + generated + " generated token" + (generated == 1 ? "" : "s"))
                        + "; the weights or activations overflow (check the weights, or run in fp32 with --target cpu)");
            }
        }
    }
}
