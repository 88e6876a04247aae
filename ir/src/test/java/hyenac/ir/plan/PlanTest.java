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
    void thePrinterDescribesEveryKindOfStep() {
        TinyPlan t = TinyPlan.valid();
        Plan p = t.plan();
        assertEquals(List.of("launch embed_fp32(b0, b1, b2, B*L)", "launch copy_fp32(b2, b3, B*L)", "gemm m=B*L n=8 k=4 x=b3 w=b4 bias=b5 -> b6",
                "launch pack_fp32(b3, b7, fft(L))", "fft r2c n=fft(L) batch=B*4 b7 -> b8", "fft c2r n=fft(L) batch=B*4 b8 -> b7",
                "copy B x L*16 bytes b3+0 (stride L*16) -> b9+0 (stride C*16)"), p.steps().stream().map(PlanPrinter::describe).toList());
        String text = PlanPrinter.print(t.ownSlots().plan(), new Shape(2, 100, 0));
        assertTrue(text.startsWith("plan parallel given {} wanted {%3}\n  kernels 3\n"), text);
        // 1600 → 1792, 3200 → 3328 twice, 6400, 8192 and 8256 → 8448
        assertTrue(text.contains("  pool 6 slots, 31488 bytes at B=2 L=100\n"), text);
        assertTrue(text.contains("    b6  value %3  fp32[B*L*8]  slot 3\n"), text);
        assertTrue(text.contains("    b9  state n1.keys  fp32[B*C*4]\n"), text);
        assertTrue(text.contains("    2  gemm m=B*L n=8 k=4 x=b3 w=b4 bias=b5 -> b6    ; op layers.0\n"), text);
        assertEquals(text, PlanPrinter.print(t.plan(), new Shape(2, 100, 0)), "the same plan prints the same text");
        assertTrue(!PlanPrinter.print(t.plan()).contains("bytes at"), "no example shape, no pool bytes");
    }

    @Test
    void kernelsHaveThreeDimensionsOfGridAndBlock() {
        assertThrows(IllegalArgumentException.class,
                () -> new Kernel("k", "k", "cuda", "", List.of(), List.of(Size.of(1), Size.of(1)), List.of(1, 1, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> new Kernel("k", "k", "cuda", "", List.of(), List.of(Size.of(1), Size.of(1), Size.of(1)), List.of(1, 1)));
    }
}
