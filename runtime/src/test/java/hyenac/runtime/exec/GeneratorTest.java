package hyenac.runtime.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.runtime.text.Sampler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    /** A session whose logits after {@code n} tokens (prompt included) are {@code logits.apply(n)}. */
    static Session scripted(IntFunction<float[]> logits) {
        return new Session() {
            int seen;

            public int vocab() { return 4; }

            public float[] prefill(long[] tokens, int length) {
                seen = length;
                return logits.apply(seen);
            }

            public float[] step(long[] tokens) { return logits.apply(++seen); }

            // generation asks for neither: it is a prefill and steps
            public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                throw new AssertionError("generation ran a forward pass");
            }

            public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
                throw new AssertionError("generation asked for every position's logits");
            }
        };
    }

    /** Greedy picks token (n mod 3) + 1 after n tokens, and end-of-sequence (0) once n reaches {@code end}. */
    static float[] counting(int n, int end) {
        float[] l = new float[4];
        l[n >= end ? 0 : n % 3 + 1] = 1;
        return l;
    }

    @Test
    void listenersHearEveryTokenAsItComesAndEndOfSequenceStops() {
        List<Long> heard = new ArrayList<>();
        Generator.Result r = Generator.generate(scripted(n -> counting(n, 5)), new long[] {2, 3}, 10, Sampler.greedy(), true,
                (id, index) -> {
                    assertEquals(heard.size(), index);
                    heard.add(id);
                }, () -> false);
        assertArrayEquals(new long[] {3, 1, 2, 0}, r.generated());
        assertEquals(List.of(3L, 1L, 2L, 0L), heard);
        assertEquals(Generator.End.END_OF_SEQUENCE, r.end());
        assertTrue(r.firstTokenSeconds() > 0 && r.decodeSeconds() >= 0);
    }

    @Test
    void aStopRequestEndsTheRunWithWhatItHas() {
        int[] polls = {0};
        Generator.Result r = Generator.generate(scripted(n -> counting(n, 100)), new long[] {1}, 50, Sampler.greedy(), true, null,
                () -> ++polls[0] > 3);
        assertEquals(3, r.generated().length);
        assertEquals(Generator.End.STOPPED, r.end());
    }

    @Test
    void nonFiniteLogitsStopGenerationSayingWhen() {
        var e = assertThrows(Generator.NonFiniteLogitsException.class, () -> Generator.generate(
                scripted(n -> n < 4 ? counting(n, 100) : new float[] {0, Float.NaN, 0, 0}), new long[] {1, 2}, 10, Sampler.greedy(), true,
                null, () -> false));
        assertTrue(e.getMessage().startsWith("the model's logits are not finite (NaN for token 1) after 2 generated tokens"), e.getMessage());
        var atPrompt = assertThrows(Generator.NonFiniteLogitsException.class, () -> Generator.generate(
                scripted(n -> new float[] {Float.POSITIVE_INFINITY, 0, 0, 0}), new long[] {1}, 10, Sampler.greedy(), true, null, () -> false));
        assertTrue(atPrompt.getMessage().contains("(Infinity for token 0) after the prompt"), atPrompt.getMessage());
    }
}
