package hyenac.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /** The order a stable sort of boxed ids by descending logit gives: what sampling has always walked. */
    static int[] boxedOrder(float[] logits, int offset, int length) {
        Integer[] order = new Integer[length];
        for (int i = 0; i < length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(logits[offset + b], logits[offset + a]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void tokensAreOrderedByLogitThenByIdAsAStableSortHasThem() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int trial = 0; trial < 200; trial++) {
            int length = 1 + rng.nextInt(600), offset = rng.nextInt(5);
            float[] logits = new float[offset + length];
            // few distinct values, so ties are common; signed zeros and infinities among them
            float[] values = {-0.0f, 0.0f, 1.5f, -1.5f, 3e-39f, -3e-39f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.NEGATIVE_INFINITY,
                    Float.POSITIVE_INFINITY, (float) rng.nextGaussian(), (float) rng.nextGaussian()};
            for (int i = 0; i < logits.length; i++) logits[i] = trial % 2 == 0 ? values[rng.nextInt(values.length)] : (float) rng.nextGaussian() * 10;
            assertArrayEquals(boxedOrder(logits, offset, length), Sampler.byLogitDescending(logits, offset, length), "trial " + trial);
        }
    }

    @Test
    void aSeedRepeatsItsDrawsAndGreedyTakesTheFirstLargest() {
        float[] logits = {0.1f, 2f, 2f, -1f, 0.5f};
        assertEquals(1, Sampler.greedy().next(logits, 0, logits.length));
        int[] a = new int[50], b = new int[50];
        Sampler s1 = new Sampler(1.3, 4, 0.9, 17), s2 = new Sampler(1.3, 4, 0.9, 17);
        for (int i = 0; i < 50; i++) {
            a[i] = s1.next(logits, 0, logits.length);
            b[i] = s2.next(logits, 0, logits.length);
        }
        assertArrayEquals(a, b);
        assertEquals(false, Arrays.stream(a).anyMatch(t -> t == 3), "top-k 4 drops the least likely token");
    }
}
