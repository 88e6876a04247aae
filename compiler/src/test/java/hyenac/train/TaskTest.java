package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each design task generates: its layout, what is scored and what the target there is. */
class TaskTest {
    private static Task task(String name, Task.Knobs k) { return Task.all().get(name).apply(k); }

    /** Token ids of row b of a batch. */
    private static long[] row(long[] all, int b, int len) { return java.util.Arrays.copyOfRange(all, b * len, (b + 1) * len); }

    @Test
    void everyTaskOfTheIssueExists() {
        assertEquals(List.of("recall", "noisy-recall", "fuzzy-recall", "mqar", "selective-copy", "compression", "memorization"),
                List.copyOf(Task.all().keySet()));
    }

    @Test
    void noisyRecallReplacesPairsWithUnscoredNoise() {
        int keys = 4;
        Task t = task("noisy-recall", new Task.Knobs(keys, 1, 0.5, 3, 8));
        assertNull(t.problem(40, 2 + 3 * keys));
        assertNotNull(t.problem(40, 2 + 3 * keys - 1), "the noise alphabet needs its own tokens");
        assertNotNull(task("noisy-recall", new Task.Knobs(keys, 1, 1, 3, 8)).problem(40, 256));
        Batch b = t.batch(3, 0, 0, 64, 40);
        int noisePairs = 0, pairs = 0;
        for (int r = 0; r < 64; r++) {
            long[] tok = row(b.tokens(), r, 40), tgt = row(b.targets(), r, 40);
            Map<Long, Long> valueOf = new HashMap<>();
            for (int i = 0; i + 1 < 40; i += 2) {
                pairs++;
                boolean noise = tok[i] >= 2 + 2 * keys;
                if (noise) {
                    noisePairs++;
                    assertTrue(tok[i + 1] >= 2 + 2 * keys, "noise comes in pairs");
                    assertEquals(0, b.mask()[r * 40 + i], "noise is never scored");
                    continue;
                }
                assertTrue(tok[i] >= 2 && tok[i] < 2 + keys, "a key");
                Long before = valueOf.put(tok[i], tgt[i]);
                assertEquals(before != null, b.mask()[r * 40 + i] == 1, "scored exactly where the key came before");
                if (before != null) assertEquals(before, tgt[i], "one value per key");
            }
        }
        assertEquals(0.5, (double) noisePairs / pairs, 0.05);
    }

    @Test
    void fuzzyRecallKeepsOneValueMotifPerKeyMotifAndAsksTheProbeLast() {
        int keys = 3, motif = 3, len = 48;
        Task t = task("fuzzy-recall", new Task.Knobs(keys, 1, 0.2, motif, 8));
        assertNotNull(t.problem(4 * motif - 1, 256), "too short for the probe and its ask");
        for (long stream : new long[] {0, 1}) {
            Batch b = t.batch(5, stream, 0, 32, len);
            Set<Integer> keySizes = new HashSet<>();
            for (int r = 0; r < 32; r++) {
                long[] seq = new long[len + 1];
                System.arraycopy(b.tokens(), r * len, seq, 0, len);
                seq[len] = b.targets()[r * len + len - 1];
                int at = 0;
                while (seq[at] == Task.PAD) at++;
                // alternate runs of key tokens and value tokens
                Map<List<Long>, List<Long>> valueOf = new HashMap<>();
                List<List<Long>> runs = new ArrayList<>();
                List<Integer> starts = new ArrayList<>();
                while (at <= len) {
                    boolean isKey = seq[at] < 2 + keys;
                    List<Long> run = new ArrayList<>();
                    starts.add(at);
                    while (at <= len && (seq[at] < 2 + keys) == isKey) run.add(seq[at++]);
                    runs.add(run);
                }
                assertEquals(0, runs.size() % 2, "pairs of a key and a value");
                for (int p = 0; p < runs.size(); p += 2) {
                    List<Long> k = runs.get(p), v = runs.get(p + 1);
                    assertTrue(k.size() <= motif && v.size() <= motif, "motifs of 1 to " + motif + " tokens");
                    keySizes.add(k.size());
                    boolean known = valueOf.containsKey(k);
                    if (known) assertEquals(valueOf.get(k), v, "one value motif per key motif");
                    valueOf.put(k, v);
                    int vStart = starts.get(p + 1);
                    for (int i = 0; i < v.size(); i++) {
                        assertEquals(known ? 1f : 0f, b.mask()[r * len + vStart + i - 1], "value tokens scored when the key came before");
                    }
                }
                int last = starts.get(runs.size() - 1);
                assertEquals(1f, b.mask()[r * len + last - 1], "the probe's value, asked last, is always scored");
            }
            if (stream == 1) assertEquals(Set.of(motif), keySizes, "the test stream asks with the longest keys");
            else assertEquals(Set.of(1, 2, 3), keySizes, "training keys of every size");
        }
    }

    @Test
    void selectiveCopyScattersTheTokensAndAsksForThemInOrder() {
        int keys = 6, n = 4, len = 20;
        Task t = task("selective-copy", new Task.Knobs(keys, 1, 0.2, 3, n));
        assertNotNull(t.problem(2 * n, 256));
        long blank = 2 + keys, copy = 3 + keys;
        Batch b = t.batch(1, 0, 7, 8, len);
        for (int r = 0; r < 8; r++) {
            long[] tok = row(b.tokens(), r, len), tgt = row(b.targets(), r, len);
            List<Long> scattered = new ArrayList<>();
            for (int i = 0; i < len - n - 1; i++) if (tok[i] != blank) scattered.add(tok[i]);
            assertEquals(n, scattered.size());
            assertEquals(copy, tok[len - n - 1]);
            for (int i = 0; i < n; i++) {
                int at = len - n + i;
                assertEquals(blank, tok[at]);
                assertEquals(scattered.get(i), tgt[at], "the i-th blank after the marker asks for the i-th token");
                assertEquals(1f, b.mask()[r * len + at]);
            }
            float scored = 0;
            for (int i = 0; i < len; i++) scored += b.mask()[r * len + i];
            assertEquals(n, scored);
        }
    }

    @Test
    void compressionAsksForEachPositionOnce() {
        int keys = 5, n = 6, len = 16;
        Task t = task("compression", new Task.Knobs(keys, 1, 0.2, 3, n));
        assertNull(t.problem(len, 2 + keys + 1 + n));
        assertNotNull(t.problem(len, 2 + keys + n), "a position marker per token");
        Batch b = t.batch(2, 1, 0, 4, len);
        for (int r = 0; r < 4; r++) {
            long[] tok = row(b.tokens(), r, len), tgt = row(b.targets(), r, len);
            assertEquals(2 + keys, tok[n], "the compression marker");
            Set<Long> asked = new HashSet<>();
            for (int q = n + 1; q <= 2 * n; q++) {
                int position = (int) (tok[q] - (3 + keys));
                assertTrue(asked.add(tok[q]));
                assertEquals(tok[position], tgt[q], "the token that stood at the asked position");
                assertEquals(1f, b.mask()[r * len + q]);
            }
            assertEquals(n, asked.size());
            assertEquals(Task.PAD, tok[len - 1]);
        }
    }

    @Test
    void memorizationAsksTheSameFactsInEverySequenceAndSeed() {
        int keys = 10;
        Task t = task("memorization", new Task.Knobs(keys, 1));
        Map<Long, Long> facts = new HashMap<>();
        for (long seed : new long[] {0, 9}) {
            Batch b = t.batch(seed, seed == 0 ? 0 : 1, 3, 8, 21);
            for (int i = 0; i < b.tokens().length; i++) {
                if (i % 21 % 2 == 1 && i % 21 < 20) {
                    assertEquals(2 + 2 * keys, b.tokens()[i], "the insert marker");
                    assertEquals(1f, b.mask()[i]);
                    Long before = facts.put(b.tokens()[i - 1], b.targets()[i]);
                    if (before != null) assertEquals(before, b.targets()[i], "one value per key, whatever the seed");
                } else {
                    assertEquals(0f, b.mask()[i]);
                }
            }
        }
        assertEquals(keys, facts.size(), "every key asked");
        assertEquals(keys, new HashSet<>(facts.values()).size(), "the facts are a one-to-one map");
        assertFalse(facts.entrySet().stream().allMatch(e -> e.getValue() - keys == e.getKey()), "not the identity");
    }
}
