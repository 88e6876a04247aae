package hyenac.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class StripeTest {
    /** Expands the subset of the language Stripe prints: `[a, b] * n + [c] + ...`. Independent of Stripe itself. */
    static List<String> expand(String expr) {
        Pattern term = Pattern.compile("\\[([a-z, ]*)\\](?: \\* (\\d+))?( \\+ |$)");
        Matcher m = term.matcher(expr);
        List<String> out = new ArrayList<>();
        int at = 0;
        while (at < expr.length()) {
            assertTrue(m.find(at) && m.start() == at, "not a stripe expression at " + at + ": " + expr);
            List<String> block = List.of(m.group(1).split(", "));
            int reps = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
            assertTrue(m.group(2) == null || reps >= 2, "`* 0` or `* 1` is never printed: " + expr);
            for (int i = 0; i < reps; i++) out.addAll(block);
            at = m.end();
        }
        return out;
    }

    static List<String> seq(String... ops) { return List.of(ops); }

    @Test
    void releasedStripes() {
        List<String> b7 = new ArrayList<>();
        for (int i = 0; i < 4; i++) b7.addAll(seq("se", "mr", "li", "mha", "se", "mr", "li"));
        b7.addAll(seq("se", "mr", "li", "mha"));
        assertEquals("[se, mr, li, mha, se, mr, li] * 4 + [se, mr, li, mha]", Stripe.compress(b7));
        assertEquals("[se, mr, li, mha, se, mr, li]", Stripe.compress(seq("se", "mr", "li", "mha", "se", "mr", "li")));
        assertEquals("[mha]", Stripe.compress(seq("mha")));
        assertEquals("[se] * 12", Stripe.compress(Collections.nCopies(12, "se")));
        assertEquals("[se, mr]", Stripe.compress(seq("se", "mr")));
        assertEquals("[se, mr] * 2", Stripe.compress(seq("se", "mr", "se", "mr")));
    }

    @Test
    void randomSequencesRoundTripAndAreNoLongerThanAPlainList() {
        Random rnd = new Random(20260301);
        String[] alphabet = {"se", "mr", "li", "mha"};
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + rnd.nextInt(trial < 2000 ? 40 : 200);
            int k = 1 + rnd.nextInt(alphabet.length);
            List<String> ops = new ArrayList<>();
            if (rnd.nextBoolean()) {
                for (int i = 0; i < n; i++) ops.add(alphabet[rnd.nextInt(k)]);
            } else { // periodic stretches with noise, closer to real stripes
                while (ops.size() < n) {
                    List<String> block = new ArrayList<>();
                    for (int i = 0, len = 1 + rnd.nextInt(8); i < len; i++) block.add(alphabet[rnd.nextInt(k)]);
                    for (int r = 0, reps = 1 + rnd.nextInt(5); r < reps; r++) ops.addAll(block);
                    if (rnd.nextInt(3) == 0) ops.add(alphabet[rnd.nextInt(k)]);
                }
            }
            String expr = Stripe.compress(ops);
            assertEquals(ops, expand(expr), expr);
            String plain = "[" + String.join(", ", ops) + "]";
            assertTrue(expr.length() <= plain.length(), expr + " is longer than " + plain);
        }
    }

    @Test
    void longStripesStayFast() {
        List<String> ops = new ArrayList<>();
        Random rnd = new Random(7);
        for (int i = 0; i < 10_000; i++) ops.add(i % 97 == 0 ? "mha" : rnd.nextInt(5) == 0 ? "li" : "se");
        long t0 = System.nanoTime();
        String expr = Stripe.compress(ops);
        assertEquals(ops, expand(expr));
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "too slow");
        assertEquals(Collections.nCopies(10_000, "se"), expand(Stripe.compress(Collections.nCopies(10_000, "se"))));
    }
}
