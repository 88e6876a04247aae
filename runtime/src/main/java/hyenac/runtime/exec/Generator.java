package hyenac.runtime.exec;

import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import java.util.ArrayList;
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
     * {@code stop} is polled before every step, so another thread can end the run early with what it has.
     */
    public static Result generate(Session session, long[] prompt, int maxNew, Sampler sampler, boolean stopAtEos,
                                  Listener listener, BooleanSupplier stop) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty; give at least one token");
        if (maxNew < 0) throw new IllegalArgumentException("cannot generate a negative number of tokens");
        int vocab = session.vocab();
        long t0 = System.nanoTime();
        float[] logits = finite(session.prefill(prompt, prompt.length), vocab, 0);
        long t1 = System.nanoTime();
        List<Long> out = new ArrayList<>();
        End end = End.LENGTH;
        long firstToken = t1;
        while (out.size() < maxNew) {
            if (stop != null && stop.getAsBoolean()) {
                end = End.STOPPED;
                break;
            }
            long next = sampler.next(logits, 0, vocab);
            out.add(next);
            if (out.size() == 1) firstToken = System.nanoTime();
            if (listener != null) listener.token(next, out.size() - 1);
            if (stopAtEos && next == ByteTokenizer.EOS) {
                end = End.END_OF_SEQUENCE;
                break;
            }
            if (out.size() == maxNew) break;
            logits = finite(session.step(new long[] {next}), vocab, out.size());
        }
        long t2 = System.nanoTime();
        return new Result(prompt, out.stream().mapToLong(Long::longValue).toArray(), end,
                (out.isEmpty() ? t1 - t0 : firstToken - t0) / 1e9, (t2 - firstToken) / 1e9);
    }

    /** {@code logits} when every value is finite; {@code generated} says how far generation had come. */
    private static float[] finite(float[] logits, int vocab, int generated) {
        for (int i = 0; i < vocab; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new NonFiniteLogitsException("the model's logits are not finite (" + logits[i] + " for token " + i + ") "
                        + (generated == 0 ? "after the prompt" : "after " + generated + " generated token" + (generated == 1 ? "" : "s"))
                        + "; the weights or activations overflow (check the weights, or run in fp32 with --target cpu)");
            }
        }
        return logits;
    }
}
