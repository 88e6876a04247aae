package hyenac.importer;

import java.util.List;

/**
 * Prints a layer stripe (a sequence of operator names) as the shortest expression of the form
 * {@code [a, b, c] * n + [d] + ...}: a flat sum of lists, each optionally repeated.
 */
public final class Stripe {
    private Stripe() {}

    /**
     * Above this many layers the search is bounded to stay fast (real stripes have tens of layers): blocks of
     * at most {@link #LONG_PERIOD} layers repeated 2 or as many times as they run, plain lists of at most
     * twice that. The result still expands exactly; it is only no longer guaranteed to be the shortest.
     */
    private static final int FULL_SEARCH = 600;
    private static final int LONG_PERIOD = 64;

    /**
     * The shortest printed expression that expands to exactly {@code ops}. Among equally short ones it
     * prefers the one whose first term covers the most layers, so a leading repeated block wins over a
     * leading remainder (7B: {@code [se, mr, li, mha, se, mr, li] * 4 + [se, mr, li, mha]}).
     */
    public static String compress(List<String> ops) {
        int n = ops.size();
        if (n == 0) return "[]";
        int[] nameSum = new int[n + 1];
        for (int i = 0; i < n; i++) nameSum[i + 1] = nameSum[i] + ops.get(i).length();
        boolean full = n <= FULL_SEARCH;
        int maxPeriod = full ? n / 2 : LONG_PERIOD;
        int maxList = full ? n : 2 * LONG_PERIOD;

        // run[p][k]: how many positions from k on agree with the position p later (k+t and k+t+p, t = 0, 1, ...).
        // The segment [i, i + r·p) repeats a block of p layers r times iff run[p][i] >= (r − 1)·p.
        int[][] run = new int[maxPeriod + 1][];
        for (int p = 1; p <= maxPeriod; p++) {
            int[] r = new int[n + 1];
            for (int k = n - p - 1; k >= 0; k--) r[k] = ops.get(k).equals(ops.get(k + p)) ? r[k + 1] + 1 : 0;
            run[p] = r;
        }

        // best[i]: length of the shortest expression for ops[i..n); the first term ends at end[i], its block is period[i] long.
        long[] best = new long[n + 1];
        int[] end = new int[n + 1];
        int[] period = new int[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            best[i] = Long.MAX_VALUE;
            // A plain list. Two plain lists in a row are never shortest (merging them saves " + [" and "]"),
            // so no state is needed to keep them apart (in the bounded search they may follow each other).
            for (int j = i + 1; j <= Math.min(n, i + maxList); j++) {
                long cost = listLength(nameSum, i, j) + rest(best, j, n);
                if (better(cost, j, best[i], end[i])) { best[i] = cost; end[i] = j; period[i] = j - i; }
            }
            for (int p = 1; p <= maxPeriod && i + 2 * p <= n; p++) {
                int maxReps = 1 + run[p][i] / p;
                long block = listLength(nameSum, i, i + p) + 3; // "[...] * "
                for (int reps = 2; reps <= maxReps; reps = full || reps == maxReps ? reps + 1 : maxReps) {
                    int j = i + reps * p;
                    long cost = block + digits(reps) + rest(best, j, n);
                    if (better(cost, j, best[i], end[i])) { best[i] = cost; end[i] = j; period[i] = p; }
                }
            }
        }

        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i = end[i]) {
            if (i > 0) out.append(" + ");
            int p = period[i];
            out.append('[').append(String.join(", ", ops.subList(i, i + p))).append(']');
            int reps = (end[i] - i) / p;
            if (reps > 1) out.append(" * ").append(reps);
        }
        return out.toString();
    }

    private static boolean better(long cost, int j, long bestCost, int bestEnd) {
        return cost < bestCost || (cost == bestCost && j > bestEnd);
    }

    /** Printed length of {@code [ops[i], ..., ops[j-1]]}. */
    private static long listLength(int[] nameSum, int i, int j) {
        return 2 + (nameSum[j] - nameSum[i]) + 2L * (j - i - 1);
    }

    private static long rest(long[] best, int j, int n) {
        return j == n ? 0 : 3 + best[j]; // " + " and the remainder
    }

    private static int digits(int v) {
        return Integer.toString(v).length();
    }
}
