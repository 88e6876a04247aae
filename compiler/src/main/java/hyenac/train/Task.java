package hyenac.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The architecture-design tasks as data generators, after the mechanistic architecture design (MAD) suite the StripedHyena
 * 2 authors used (Poli et al. 2024) and Zoology's multi-query associative recall. Each sequence is drawn from its own
 * seeded generator, so batch k of a run is the same whenever it is asked for (resuming needs no data state). Tokens 0
 * (end of sequence) and 1 (padding) are reserved; keys are 2 … 2 + keys − 1, values the next {@code keys} ids, and a
 * task's other tokens (noise, markers) come after them. A task's accuracy is the fraction of scored positions whose most
 * likely next token is the target, on a test stream never trained on.
 */
public abstract class Task {
    /**
     * The knobs: the key (and value) alphabet; mqar's key-value pairs; noisy recall's fraction of noise; fuzzy recall's
     * longest key or value motif; the tokens selective copying copies and compression compresses.
     */
    public record Knobs(int keys, int pairs, double noise, int motif, int tokens) {
        public Knobs(int keys, int pairs) { this(keys, pairs, 0.2, 3, 8); }
    }

    public static final int PAD = 1;
    static final int FIRST_KEY = 2;

    protected final Knobs knobs;

    Task(Knobs knobs) { this.knobs = knobs; }

    public abstract String name();

    /** The knobs this task reads, for logs and for refusing to resume on other data. */
    public abstract String describe();

    /** Token ids the task uses: 0 … vocabNeeded − 1. */
    int vocabNeeded() { return FIRST_KEY + 2 * knobs.keys(); }

    /**
     * One example of {@code tokens.length} positions: the tokens read, the target at each position, and which targets
     * are scored. {@code test}: an example of the test stream (a task may test at its hardest setting, as MAD does).
     */
    abstract void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask);

    /** Why these knobs cannot make sequences of this length for a model of this vocabulary, or null. */
    public String problem(int seqLen, int vocab) {
        if (knobs.keys() < 1) return "--task-keys must be at least 1";
        if (vocabNeeded() > vocab) {
            return String.format(Locale.ROOT, "%s with %d keys needs token ids up to %d, beyond the model's vocab of %d; use fewer --task-keys", name(),
                    knobs.keys(), vocabNeeded() - 1, vocab);
        }
        return null;
    }

    /** The batch of step {@code index} of a stream (0: training, 1: the test set) of this seed. */
    public Batch batch(long seed, long stream, long index, int batch, int seqLen) {
        int rows = batch * seqLen;
        long[] tokens = new long[rows], targets = new long[rows];
        float[] mask = new float[rows];
        long[] t = new long[seqLen], y = new long[seqLen];
        float[] m = new float[seqLen];
        for (int b = 0; b < batch; b++) {
            SplittableRandom rng = new SplittableRandom(mix(seed, stream, index * batch + b));
            java.util.Arrays.fill(m, 0);
            example(rng, stream == 1, t, y, m);
            System.arraycopy(t, 0, tokens, b * seqLen, seqLen);
            System.arraycopy(y, 0, targets, b * seqLen, seqLen);
            System.arraycopy(m, 0, mask, b * seqLen, seqLen);
        }
        return new Batch(batch, seqLen, tokens, targets, mask);
    }

    private static long mix(long seed, long stream, long example) {
        long h = seed * 0x9E3779B97F4A7C15L + stream;
        h = (h ^ (h >>> 31)) * 0xBF58476D1CE4E5B9L + example;
        return h ^ (h >>> 29);
    }

    int key(int i) { return FIRST_KEY + i; }

    int value(int i) { return FIRST_KEY + knobs.keys() + i; }

    /** The i-th token after the keys and values (noise, markers). */
    int extra(int i) { return FIRST_KEY + 2 * knobs.keys() + i; }

    /** The tasks by name. */
    public static Map<String, Function<Knobs, Task>> all() {
        Map<String, Function<Knobs, Task>> out = new LinkedHashMap<>();
        out.put("recall", Recall::new);
        out.put("noisy-recall", NoisyRecall::new);
        out.put("fuzzy-recall", FuzzyRecall::new);
        out.put("mqar", Mqar::new);
        out.put("selective-copy", SelectiveCopy::new);
        out.put("compression", Compression::new);
        out.put("memorization", Memorization::new);
        return out;
    }

    /** A next-token example from a sequence one longer than the example: tokens its first n, targets its last n. */
    static void shifted(long[] seq, long[] tokens, long[] targets) {
        System.arraycopy(seq, 0, tokens, 0, tokens.length);
        System.arraycopy(seq, 1, targets, 0, targets.length);
    }

    /**
     * Multi-query associative recall (Zoology's MQAR): `pairs` distinct keys with random values, then every key once
     * more in a random order, each followed by its value; scored on the value after each queried key. The rest of the
     * sequence is padding.
     */
    static final class Mqar extends Task {
        Mqar(Knobs k) { super(k); }

        @Override public String name() { return "mqar"; }

        @Override public String describe() { return "keys " + knobs.keys() + ", pairs " + knobs.pairs(); }

        @Override public String problem(int seqLen, int vocab) {
            String p = super.problem(seqLen, vocab);
            if (p != null) return p;
            if (knobs.pairs() < 1) return "--task-pairs must be at least 1";
            if (knobs.pairs() > knobs.keys()) return "mqar needs distinct keys: --task-pairs " + knobs.pairs() + " exceeds --task-keys " + knobs.keys();
            if (4 * knobs.pairs() > seqLen + 1) {
                return "mqar with " + knobs.pairs() + " pairs needs --seq-len of at least " + (4 * knobs.pairs() - 1) + " (pairs, then each key queried)";
            }
            return null;
        }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            long[] seq = new long[tokens.length + 1];
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
            shifted(seq, tokens, targets);
        }
    }

    /**
     * In-context recall: key-value pairs with keys drawn (with repeats) from the alphabet and one value per key per
     * sequence; scored on the value after each key seen before in the sequence (the first time it is unknowable).
     */
    static class Recall extends Task {
        Recall(Knobs k) { super(k); }

        @Override public String name() { return "recall"; }

        @Override public String describe() { return "keys " + knobs.keys(); }

        /** The chance that a pair's place holds two noise tokens instead. */
        double noise() { return 0; }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            long[] seq = new long[tokens.length + 1];
            int[] valueOf = new int[knobs.keys()];
            for (int k = 0; k < valueOf.length; k++) valueOf[k] = rng.nextInt(knobs.keys());
            boolean[] seen = new boolean[knobs.keys()];
            int at = 0;
            while (at + 1 < seq.length) {
                if (noise() > 0 && rng.nextDouble() < noise()) {
                    seq[at++] = extra(rng.nextInt(knobs.keys()));
                    seq[at++] = extra(rng.nextInt(knobs.keys()));
                    continue;
                }
                int k = rng.nextInt(knobs.keys());
                if (seen[k]) mask[at] = 1;
                seen[k] = true;
                seq[at++] = key(k);
                seq[at++] = value(valueOf[k]);
            }
            if (at < seq.length) seq[at] = PAD;
            shifted(seq, tokens, targets);
        }
    }

    /**
     * Noisy in-context recall (MAD): in-context recall where each pair's place holds, with chance {@code noise}, two
     * tokens of a separate noise alphabet (as large as the keys') instead; noise is never scored.
     */
    static final class NoisyRecall extends Recall {
        NoisyRecall(Knobs k) { super(k); }

        @Override public String name() { return "noisy-recall"; }

        @Override public String describe() { return "keys " + knobs.keys() + ", noise " + knobs.noise(); }

        @Override double noise() { return knobs.noise(); }

        @Override int vocabNeeded() { return FIRST_KEY + 3 * knobs.keys(); }

        @Override public String problem(int seqLen, int vocab) {
            if (!(knobs.noise() >= 0 && knobs.noise() < 1)) return "--task-noise must be at least 0 and below 1";
            return super.problem(seqLen, vocab);
        }
    }

    /**
     * Fuzzy in-context recall (MAD): keys and values are motifs of 1 … {@code motif} tokens (keys from the key alphabet,
     * values from the value alphabet), each key motif keeping one value motif within a sequence. A probe pair sits at a
     * random place and is asked again at the end; scored on every token of a value whose key motif came before. The test
     * stream's keys are all of the longest motif, as MAD tests. Padding goes first, so the probe ends the sequence.
     */
    static final class FuzzyRecall extends Task {
        FuzzyRecall(Knobs k) { super(k); }

        @Override public String name() { return "fuzzy-recall"; }

        @Override public String describe() { return "keys " + knobs.keys() + ", motif " + knobs.motif(); }

        @Override public String problem(int seqLen, int vocab) {
            if (knobs.motif() < 1) return "--task-motif must be at least 1";
            String p = super.problem(seqLen, vocab);
            if (p != null) return p;
            if (seqLen < 4 * knobs.motif()) {
                return "fuzzy-recall with motifs of up to " + knobs.motif() + " tokens needs --seq-len of at least " + 4 * knobs.motif()
                        + " (the probe pair, then the probe asked again)";
            }
            return null;
        }

        private List<Long> motif(SplittableRandom rng, int length, boolean values) {
            List<Long> out = new ArrayList<>();
            for (int i = 0; i < length; i++) out.add((long) (values ? value(rng.nextInt(knobs.keys())) : key(rng.nextInt(knobs.keys()))));
            return out;
        }

        private int size(SplittableRandom rng, boolean test) { return test ? knobs.motif() : 1 + rng.nextInt(knobs.motif()); }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            int n = tokens.length + 1, m = knobs.motif();
            List<Long> probeKey = motif(rng, size(rng, test), false), probeValue = motif(rng, 1 + rng.nextInt(m), true);
            int probeSize = probeKey.size() + probeValue.size();
            int room = n - probeSize; // the final ask
            int probeAt = rng.nextInt(Math.max(1, room - probeSize - 2 * m + 1));
            Map<List<Long>, List<Long>> valueOf = new HashMap<>();
            List<Long> seq = new ArrayList<>();
            List<Boolean> scored = new ArrayList<>();
            boolean probed = false;
            while (true) {
                List<Long> k, v;
                if (!probed && seq.size() >= probeAt) {
                    k = probeKey;
                    v = probeValue;
                } else {
                    k = motif(rng, size(rng, test), false);
                    v = k.equals(probeKey) ? probeValue : valueOf.containsKey(k) ? valueOf.get(k) : motif(rng, 1 + rng.nextInt(m), true);
                }
                if (seq.size() + k.size() + v.size() > room || (!probed && k != probeKey && seq.size() + k.size() + v.size() + probeSize > room)) {
                    if (probed) break;
                    continue; // too long to leave room for the probe: draw another
                }
                boolean known = valueOf.containsKey(k);
                valueOf.put(k, v);
                probed |= k.equals(probeKey);
                append(seq, scored, k, v, known);
            }
            append(seq, scored, probeKey, probeValue, true);
            int pad = n - seq.size();
            long[] all = new long[n];
            boolean[] score = new boolean[n];
            java.util.Arrays.fill(all, 0, pad, PAD);
            for (int i = 0; i < seq.size(); i++) {
                all[pad + i] = seq.get(i);
                score[pad + i] = scored.get(i);
            }
            shifted(all, tokens, targets);
            for (int t = 0; t < tokens.length; t++) if (score[t + 1]) mask[t] = 1; // target t is token t + 1
        }

        private static void append(List<Long> seq, List<Boolean> scored, List<Long> k, List<Long> v, boolean known) {
            for (long x : k) {
                seq.add(x);
                scored.add(false);
            }
            for (long x : v) {
                seq.add(x);
                scored.add(known);
            }
        }
    }

    /** A task that reads {@code tokens} tokens, then a marker, then gives them back: 2·tokens + 1 positions at the least. */
    abstract static class GivesTokensBack extends Task {
        GivesTokensBack(Knobs k) { super(k); }

        @Override public String problem(int seqLen, int vocab) {
            if (knobs.tokens() < 1) return "--task-tokens must be at least 1";
            String p = super.problem(seqLen, vocab);
            if (p != null) return p;
            if (seqLen < 2 * knobs.tokens() + 1) {
                return name() + " of " + knobs.tokens() + " tokens needs --seq-len of at least " + (2 * knobs.tokens() + 1);
            }
            return null;
        }
    }

    /**
     * Selective copying (MAD): {@code tokens} tokens of the alphabet scattered among blanks, a copy marker, then as many
     * blanks; at the i-th of these the target is the i-th token to copy (targets stand beside their inputs, as in MAD,
     * not one token ahead); scored there. Extra tokens: blank, copy marker.
     */
    static final class SelectiveCopy extends GivesTokensBack {
        SelectiveCopy(Knobs k) { super(k); }

        @Override public String name() { return "selective-copy"; }

        @Override public String describe() { return "keys " + knobs.keys() + ", tokens " + knobs.tokens(); }

        @Override int vocabNeeded() { return FIRST_KEY + knobs.keys() + 2; }

        private int blank() { return FIRST_KEY + knobs.keys(); }

        private int copy() { return FIRST_KEY + knobs.keys() + 1; }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            int n = knobs.tokens(), spread = tokens.length - n - 1; // the tokens and the blanks among them
            long[] toCopy = new long[n];
            for (int i = 0; i < n; i++) toCopy[i] = key(rng.nextInt(knobs.keys()));
            // which of the first `spread` places hold the tokens: n of them, chosen uniformly, in order
            boolean[] holds = new boolean[spread];
            for (int chosen = 0; chosen < n; ) {
                int at = rng.nextInt(spread);
                if (!holds[at]) {
                    holds[at] = true;
                    chosen++;
                }
            }
            java.util.Arrays.fill(targets, PAD);
            for (int i = 0, next = 0; i < spread; i++) tokens[i] = holds[i] ? toCopy[next++] : blank();
            tokens[spread] = copy();
            for (int i = 0; i < n; i++) {
                tokens[spread + 1 + i] = blank();
                targets[spread + 1 + i] = toCopy[i]; // the i-th blank after the marker asks for the i-th token
                mask[spread + 1 + i] = 1;
            }
        }
    }

    /**
     * Compression (MAD's, as a causal language model): {@code tokens} random tokens of the alphabet, a compression
     * marker, then position markers in a random order, each scored on the token that stood at its position. MAD
     * reconstructs from the marker's embedding alone through a decoder; here later positions may also look back, so it
     * measures reconstruction by position. Extra tokens: the marker, then one per position.
     */
    static final class Compression extends GivesTokensBack {
        Compression(Knobs k) { super(k); }

        @Override public String name() { return "compression"; }

        @Override public String describe() { return "keys " + knobs.keys() + ", tokens " + knobs.tokens(); }

        @Override int vocabNeeded() { return FIRST_KEY + knobs.keys() + 1 + knobs.tokens(); }

        private int marker() { return FIRST_KEY + knobs.keys(); }

        private int position(int i) { return FIRST_KEY + knobs.keys() + 1 + i; }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            int n = knobs.tokens();
            long[] x = new long[n];
            for (int i = 0; i < n; i++) x[i] = tokens[i] = key(rng.nextInt(knobs.keys()));
            tokens[n] = marker();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) order.add(i);
            shuffle(order, rng);
            java.util.Arrays.fill(targets, PAD);
            for (int q = 0; q < n; q++) {
                int at = n + 1 + q, i = order.get(q);
                tokens[at] = position(i);
                targets[at] = x[i];
                mask[at] = 1;
            }
            for (int at = 2 * n + 1; at < tokens.length; at++) tokens[at] = PAD;
        }
    }

    /**
     * Memorization (MAD): a fixed map of {@code keys} keys to values, the same for every sequence and seed; sequences of
     * key, insert marker, …, scored on the key's value at each marker. Solved only by storing the facts in the weights.
     */
    static final class Memorization extends Task {
        /** MAD's fixed seed for the facts: they do not change with the run's seed. */
        private static final long FACTS_SEED = 12345;
        private final int[] valueOf;

        Memorization(Knobs k) {
            super(k);
            List<Integer> values = new ArrayList<>();
            for (int i = 0; i < k.keys(); i++) values.add(i);
            shuffle(values, new SplittableRandom(FACTS_SEED));
            valueOf = values.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override public String name() { return "memorization"; }

        @Override public String describe() { return "keys " + knobs.keys(); }

        @Override int vocabNeeded() { return FIRST_KEY + 2 * knobs.keys() + 1; }

        int valueOf(int key) { return valueOf[key]; }

        @Override void example(SplittableRandom rng, boolean test, long[] tokens, long[] targets, float[] mask) {
            java.util.Arrays.fill(targets, PAD);
            for (int at = 0; at + 1 < tokens.length; at += 2) {
                int k = rng.nextInt(knobs.keys());
                tokens[at] = key(k);
                tokens[at + 1] = extra(0);
                targets[at + 1] = value(valueOf[k]);
                mask[at + 1] = 1;
            }
            if (tokens.length % 2 == 1) tokens[tokens.length - 1] = PAD;
        }
    }

    private static void shuffle(List<Integer> list, SplittableRandom rng) {
        for (int i = list.size() - 1; i > 0; i--) java.util.Collections.swap(list, i, rng.nextInt(i + 1));
    }
}
