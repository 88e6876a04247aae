package hyenac.runtime.exec;

import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Generates tokens for one prompt: prefill, then sample and step until N tokens or end-of-sequence. */
public final class Generator {
    /** What a run produced and how fast: prefill and decode timed separately. */
    public record Result(long[] prompt, long[] generated, boolean stoppedAtEos, double prefillSeconds, double decodeSeconds) {
        public double prefillTokensPerSecond() { return prompt.length / prefillSeconds; }
        public double decodeTokensPerSecond() { return generated.length <= 1 ? 0 : (generated.length - 1) / decodeSeconds; }
        public String text() { return ByteTokenizer.decode(generated); }
    }

    /** Progress after each generated token: (tokens so far, of at most). */
    public record Progress(int done, int total, double tokensPerSecond) {}

    private Generator() {}

    public static Result generate(Session session, long[] prompt, int maxNew, Sampler sampler, boolean stopAtEos,
                                  Consumer<Progress> progress) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty; give at least one token");
        if (maxNew < 0) throw new IllegalArgumentException("cannot generate a negative number of tokens");
        int vocab = session.vocab();
        long t0 = System.nanoTime();
        float[] logits = session.prefill(prompt, prompt.length);
        long t1 = System.nanoTime();
        List<Long> out = new ArrayList<>();
        boolean eos = false;
        while (out.size() < maxNew) {
            long next = sampler.next(logits, 0, vocab);
            out.add(next);
            if (progress != null) progress.accept(new Progress(out.size(), maxNew, rate(out.size() - 1, t1)));
            if (stopAtEos && next == ByteTokenizer.EOS) {
                eos = true;
                break;
            }
            if (out.size() == maxNew) break;
            logits = session.step(new long[] {next});
        }
        long t2 = System.nanoTime();
        return new Result(prompt, out.stream().mapToLong(Long::longValue).toArray(), eos, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    private static double rate(int steps, long since) {
        double s = (System.nanoTime() - since) / 1e9;
        return s <= 0 ? 0 : steps / s;
    }
}
