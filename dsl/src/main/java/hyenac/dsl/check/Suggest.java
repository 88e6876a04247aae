package hyenac.dsl.check;

import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.Collection;
import java.util.Optional;

/** Did-you-mean: the closest candidate within a small edit distance. */
public final class Suggest {
    private Suggest() {}

    /** Longer names get no suggestion: the distance table grows with the square of the length. */
    static final int MAX_LENGTH = 64;

    public static Optional<String> closest(String name, Collection<String> candidates) {
        if (name.length() > MAX_LENGTH) return Optional.empty();
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int limit = Math.max(1, Math.min(3, name.length() / 3));
        for (String c : candidates) {
            if (c.equals(name) || c.isEmpty()) continue;
            int d = distance(name.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
            if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= limit ? Optional.of(best) : Optional.empty();
    }

    /** The did-you-mean fix: replaces the text at {@code at} with {@code guess} (editors offer it as a code action). */
    public static Diagnostic fix(Diagnostic d, Span at, String guess) {
        return d.withFix("did you mean `" + guess + "`?", at, guess);
    }

    /** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
    static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 3) return Integer.MAX_VALUE;
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
