package hyenac.ir.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlanTest {
    static Plan withSlots(Size... slots) {
        return new Plan(Phase.PARALLEL, java.util.Set.of(), List.of(), List.of(), List.of(slots), List.of(), List.of(), Map.of());
    }

    @Test
    void offsetsArePrefixSumsOfSlotsRoundedUpTo256Bytes() {
        assertEquals(256, Plan.ALIGNMENT);
        Plan p = withSlots(Size.of(1), Size.of(256), Size.of(257), Size.rows().times(4), Size.of(0), Size.of(512));
        // 1 → 256, 256 → 256, 257 → 512, B·L·4 = 400 → 512, an empty slot still takes 256, 512 → 512
        assertArrayEquals(new long[] {0, 256, 512, 1024, 1536, 1792, 2304}, p.offsets(new Shape(1, 100, 0)));
        // at another shape only the symbolic slot moves what follows it: B·L·4 = 8192 exactly
        assertArrayEquals(new long[] {0, 256, 512, 1024, 9216, 9472, 9984}, p.offsets(new Shape(2, 1024, 0)));
    }

    @Test
    void everyOffsetIsAlignedAndEverySlotFitsBeforeTheNext() {
        Plan p = withSlots(Size.rows().times(3), Size.length().times(7), new Size.FftLength(Size.length()).times(6), Size.batch().times(Size.capacity()).times(10));
        for (Shape s : List.of(new Shape(1, 1, 1), new Shape(3, 333, 401), new Shape(5, 4097, 5000))) {
            long[] at = p.offsets(s);
            assertEquals(p.slots().size() + 1, at.length);
            assertEquals(0, at[0]);
            for (int i = 0; i < p.slots().size(); i++) {
                assertEquals(0, at[i] % Plan.ALIGNMENT, "slot " + i + " at " + s);
                assertTrue(at[i + 1] - at[i] >= Math.max(1, p.slots().get(i).eval(s)), "slot " + i + " fits at " + s);
                assertTrue(at[i + 1] - at[i] < p.slots().get(i).eval(s) + Plan.ALIGNMENT, "no more padding than alignment needs");
            }
        }
        assertArrayEquals(new long[] {0}, withSlots().offsets(new Shape(1, 1, 0)), "an empty pool has no bytes");
    }

    @Test
    void buffersMustBeListedByTheirIds() {
        List<Buffer> buffers = new ArrayList<>(List.of(new Buffer(0, Buffer.Kind.TOKENS, "tokens", DType.I64, Size.rows(), -1),
                new Buffer(2, Buffer.Kind.VALUE, "%1", DType.FP32, Size.rows(), -1)));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Plan(Phase.PARALLEL, java.util.Set.of(), List.of(), buffers, List.of(), List.of(), List.of(), Map.of()));
        assertTrue(e.getMessage().contains("%1 has id 2 at 1"), e.getMessage());
    }

    @Test
    void lookupsFindValuesAndKernelsByName() {
        Plan p = TinyPlan.valid().plan();
        assertEquals(3, p.value(2).id());
        assertEquals(2, p.value(2).valueId());
        assertNull(p.value(42), "a value inside a fused kernel has no buffer");
        assertSame(TinyPlan.COPY, p.kernel("copy_fp32"));
        assertThrows(IllegalArgumentException.class, () -> p.kernel("absent"));
        assertThrows(IllegalStateException.class, () -> p.buffer(0).valueId(), "the tokens are not a graph value");
        assertEquals(Size.rows().times(8), p.buffer(0).bytes(), "int64 tokens: 8 bytes each");
    }

    @Test
    void planningMemoryKeepsEverythingButTheBuffersAndThePool() {
        TinyPlan t = TinyPlan.valid();
        Plan before = t.plan();
        Plan after = before.withMemory(t.ownSlots().buffers, t.slots);
        assertEquals(before.steps(), after.steps());
        assertEquals(before.kernels(), after.kernels());
        assertEquals(before.wanted(), after.wanted());
        assertEquals(before.phase(), after.phase());
        assertEquals(List.of(), before.slots());
        assertEquals(6, after.slots().size());
        assertEquals(-1, before.buffer(t.x).slot());
        assertEquals(1, after.buffer(t.x).slot());
    }

    @Test
    void kernelsHaveThreeDimensionsOfGridAndBlock() {
        assertThrows(IllegalArgumentException.class,
                () -> new Kernel("k", "k", "cuda", "", List.of(), List.of(Size.of(1), Size.of(1)), List.of(1, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> new Kernel("k", "k", "cuda", "", List.of(), List.of(Size.of(1), Size.of(1), Size.of(1)), List.of(1, 1)));
    }
}
