package hyenac.ir.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import hyenac.ir.DType;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LifetimesTest {
    @Test
    void aPooledBufferLivesFromItsFirstAccessToItsLast() {
        TinyPlan t = TinyPlan.valid();
        Map<Integer, int[]> life = Lifetimes.of(t.plan());
        assertArrayEquals(new int[] {0, 1}, life.get(t.x), "%1: written by step 0, last read by step 1");
        assertArrayEquals(new int[] {1, 6}, life.get(t.y), "%2: written by step 1, last read by the copy, step 6");
        assertArrayEquals(new int[] {3, 5}, life.get(t.rows), "the FFT rows: packed at 3, transformed at 4, written back at 5");
        assertArrayEquals(new int[] {4, 5}, life.get(t.spectra));
    }

    @Test
    void givenWantedTokensAndPreparedBuffersLiveThroughout() {
        TinyPlan t = TinyPlan.valid();
        t.steps.removeFirst(); // %1 given now, the tokens no longer read: both still live throughout
        t.given.add(1);
        int prepared = t.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        int unused = t.buffer(Buffer.Kind.PREPARED, "n2.filter_spectra", DType.FP32, Size.rows().times(4));
        int out = t.value(7, 4);
        t.once(TinyPlan.COPY, t.table, prepared, Size.rows()); // once, at step 6
        t.launch(TinyPlan.COPY, prepared, out, Size.rows());           // step 7
        Map<Integer, int[]> life = Lifetimes.of(t.plan());
        int end = t.steps.size() - 1;
        for (int b : new int[] {t.tokens, t.x, t.z, prepared, unused}) {
            assertArrayEquals(new int[] {0, end}, life.get(b), t.buffers.get(b).name() + " lives throughout");
        }
        assertArrayEquals(new int[] {0, 5}, life.get(t.y), "%2, neither given nor wanted: from step 0 (the copy) to 5 (the copy into the cache)");
        assertArrayEquals(new int[] {7, 7}, life.get(out));
    }

    @Test
    void memoryThePoolDoesNotHoldHasNoLifetime() {
        TinyPlan t = TinyPlan.valid();
        Map<Integer, int[]> life = Lifetimes.of(t.plan());
        for (int b : new int[] {t.table, t.w, t.bias, t.keys}) assertFalse(life.containsKey(b), t.buffers.get(b).name());
        int constant = t.buffer(Buffer.Kind.CONSTANT, "layers.0.inv_freq", DType.FP32, Size.of(16));
        t.launch(TinyPlan.COPY, constant, t.scratch("s", Size.of(16)), Size.rows());
        assertFalse(Lifetimes.of(t.plan()).containsKey(constant));
    }

    @Test
    void aPlanWithoutStepsKeepsItsThroughoutBuffersAtStepZero() {
        TinyPlan t = new TinyPlan();
        t.given.add(1);
        int given = t.value(1, 4);
        t.wanted.add(1);
        Map<Integer, int[]> life = Lifetimes.of(t.plan());
        assertEquals(1, life.size());
        assertArrayEquals(new int[] {0, 0}, life.get(given));
    }
}
