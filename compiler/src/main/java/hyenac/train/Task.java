package hyenac.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The architecture-design tasks as data generators (after the mechanistic design suite the StripedHyena 2 authors used).
 * Each sequence is drawn from its own seeded generator, so batch k of a run is the same whenever it is asked for
 * (resuming needs no data state). Tokens 0 (end of sequence) and 1 (padding) are reserved; keys are 2 … 2 + keys − 1,
 * values the next {@code keys} ids. A task's accuracy is the fraction of scored positions whose most likely next token
 * is the target.
 */
public abstract class Task {
    /** The knobs: the size of the key (and value) alphabet and the number of key-value pairs per sequence. */
    public record Knobs(int keys, int pairs) {}

    public static final int PAD = 1;
    static final int FIRST_KEY = 2;

    protected final Knobs knobs;

    Task(Knobs knobs) { this.knobs = knobs; }

    public abstract String name();

    /** The tokens of one example of seqLen + 1 tokens, and which of its seqLen next-token targets are scored. */
    abstract void example(SplittableRandom rng, long[] sequence, float[] mask);

    /** Why these knobs cannot make sequences of this length for a model of this vocabulary, or null. */
    public String problem(int seqLen, int vocab) {
        if (knobs.keys() < 1 || knobs.pairs() < 1) return "--task-keys and --task-pairs must be at least 1";
        if (FIRST_KEY + 2L * knobs.keys() > vocab) {
            return name() + " with " + knobs.keys() + " keys needs token ids up to " + (FIRST_KEY + 2 * knobs.keys() - 1)
                    + ", beyond the model's vocab of " + vocab + "; use --task-keys " + (vocab - FIRST_KEY) / 2 + " or fewer";
        }
        return null;
    }

    /** The batch of step {@code index} of a stream (training, or the fixed test set) of this seed. */
    public Batch batch(long seed, long stream, long index, int batch, int seqLen) {
        long[][] seqs = new long[batch][seqLen + 1];
        float[][] masks = new float[batch][seqLen];
        for (int b = 0; b < batch; b++) {
            SplittableRandom rng = new SplittableRandom(mix(seed, stream, index * batch + b));
            example(rng, seqs[b], masks[b]);
        }
        return Batch.ofSequences(seqs, masks);
    }

    private static long mix(long seed, long stream, long example) {
        long h = seed * 0x9E3779B97F4A7C15L + stream;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + example;
        return h ^ (h >>> 29);
    }

    int key(int i) { return FIRST_KEY + i; }

    int value(int i) { return FIRST_KEY + knobs.keys() + i; }

    /** The tasks by name. */
    public static Map<String, java.util.function.Function<Knobs, Task>> all() {
        Map<String, java.util.function.Function<Knobs, Task>> out = new LinkedHashMap<>();
        out.put("mqar", Mqar::new);
        out.put("recall", Recall::new);
        return out;
    }

    /**
     * Multi-query associative recall (Zoology's MQAR): `pairs` distinct keys with random values, then every key once
     * more in a random order, each followed by its value; scored on the value after each queried key. The rest of the
     * sequence is padding.
     */
    static final class Mqar extends Task {
        Mqar(Knobs k) { super(k); }

        @Override public String name() { return "mqar"; }

        @Override public String problem(int seqLen, int vocab) {
            String p = super.problem(seqLen, vocab);
            if (p != null) return p;
            if (knobs.pairs() > knobs.keys()) return "mqar needs distinct keys: --task-pairs " + knobs.pairs() + " exceeds --task-keys " + knobs.keys();
            if (4 * knobs.pairs() > seqLen + 1) {
                return "mqar with " + knobs.pairs() + " pairs needs --seq-len of at least " + (4 * knobs.pairs() - 1) + " (pairs, then each key queried)";
            }
            return null;
        }

        @Override void example(SplittableRandom rng, long[] seq, float[] mask) {
            int pairs = knobs.pairs();
            List<Integer> keys = new ArrayList<>();
            for (int i = 0; i < knobs.keys(); i++) keys.add(i);
            shuffle(keys, rng);
            int[] values = new int[pairs];
            int at = 0;
            for (int p = 0; p < pairs; p++) {
                values[p] = rng.nextInt(knobs.keys());
                seq[at++] = key(keys.get(p));
                seq[at++] = value(values[p]);
            }
            List<Integer> order = new ArrayList<>();
            for (int p = 0; p < pairs; p++) order.add(p);
            shuffle(order, rng);
            for (int p : order) {
                mask[at] = 1; // the target after the queried key is its value
                seq[at++] = key(keys.get(p));
                seq[at++] = value(values[p]);
            }
            while (at < seq.length) seq[at++] = PAD;
        }
    }

    /**
     * In-context recall: key-value pairs with keys drawn (with repeats) from the alphabet and one value per key per
     * sequence; scored on the value after each key seen before in the sequence (the first time it is unknowable).
     */
    static final class Recall extends Task {
        Recall(Knobs k) { super(k); }

        @Override public String name() { return "recall"; }

        @Override void example(SplittableRandom rng, long[] seq, float[] mask) {
            int[] valueOf = new int[knobs.keys()];
            for (int k = 0; k < valueOf.length; k++) valueOf[k] = rng.nextInt(knobs.keys());
            boolean[] seen = new boolean[knobs.keys()];
            int at = 0;
            while (at + 1 < seq.length) {
                int k = rng.nextInt(knobs.keys());
                if (seen[k]) mask[at] = 1;
                seen[k] = true;
                seq[at++] = key(k);
                seq[at++] = value(valueOf[k]);
            }
            if (at < seq.length) seq[at] = PAD;
        }
    }

    private static void shuffle(List<Integer> list, SplittableRandom rng) {
        for (int i = list.size() - 1; i > 0; i--) java.util.Collections.swap(list, i, rng.nextInt(i + 1));
    }
}
