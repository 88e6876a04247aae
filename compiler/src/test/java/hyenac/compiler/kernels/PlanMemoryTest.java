package hyenac.compiler.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Lifetimes;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.PlanPrinter;
import hyenac.ir.plan.PlanVerifier;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Site;
import hyenac.ir.plan.Size;
import hyenac.ir.plan.Step;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The memory plan on plans written by hand: who shares a slot, who never does, and that the result verifies. */
class PlanMemoryTest {
    static final Site SITE = new Site(List.of(1), "op", "", List.of(), null);

    /** y = f(x), one kernel per element type. */
    static Kernel copy(DType e) {
        return new Kernel("copy_" + e.spelling(), "copy", "cuda", "", List.of(new Kernel.Param("x", Kernel.Param.Type.POINTER, e, true),
                new Kernel.Param("y", Kernel.Param.Type.POINTER, e, false)), List.of(Size.rows(), Size.of(1), Size.of(1)), List.of(256, 1, 1));
    }

    /** A plan being written: buffers, then copies between them. */
    static final class Draft {
        final List<Buffer> buffers = new ArrayList<>();
        final List<Step> steps = new ArrayList<>();
        final Set<Kernel> kernels = new LinkedHashSet<>();
        final Set<Integer> given = new HashSet<>();
        final List<Integer> wanted = new ArrayList<>();

        int buffer(Buffer.Kind kind, String name, DType e, Size elements) {
            buffers.add(new Buffer(buffers.size(), kind, name, e, elements, -1));
            return buffers.size() - 1;
        }

        int value(int id, Size elements) { return buffer(Buffer.Kind.VALUE, "%" + id, DType.FP32, elements); }

        int scratch(String name, Size elements) { return buffer(Buffer.Kind.SCRATCH, name, DType.FP32, elements); }

        Draft copy(int from, int to) { return copy(from, to, false); }

        Draft copy(int from, int to, boolean once) {
            Kernel k = PlanMemoryTest.copy(buffers.get(from).element());
            kernels.add(k);
            steps.add(new Step.Launch(k.entry(), List.of(new Arg.Buf(from), new Arg.Buf(to)), once, SITE));
            return this;
        }

        Plan plan() { return new Plan(Phase.PARALLEL, given, wanted, buffers, List.of(), List.copyOf(kernels), steps, Map.of()); }

        Plan planned() {
            Plan p = PlanMemory.run(plan());
            assertEquals(List.of(), PlanVerifier.problems(p), PlanPrinter.print(p));
            return p;
        }
    }

    static final Size ROWS4 = Size.rows().times(4).times(4), ROWS8 = Size.rows().times(8).times(4);

    static int slot(Plan p, int buffer) { return p.buffer(buffer).slot(); }

    /** Every two buffers in one slot are never live at once, and each fits its slot (the same formula). */
    static void assertSound(Plan p) {
        Map<Integer, int[]> life = Lifetimes.of(p);
        for (Buffer a : p.buffers()) {
            if (!a.kind().pooled()) {
                assertEquals(-1, a.slot(), a.name() + " is not pooled");
                continue;
            }
            assertTrue(a.slot() >= 0, a.name() + " has a slot");
            assertEquals(p.slots().get(a.slot()), a.bytes(), a.name() + ": a slot has its buffers' formula");
            for (Buffer b : p.buffers()) {
                if (b.id() <= a.id() || b.slot() != a.slot()) continue;
                int[] x = life.get(a.id()), y = life.get(b.id());
                assertTrue(x[1] < y[0] || y[1] < x[0], a.name() + " and " + b.name() + " share slot " + a.slot() + " while both are live");
            }
        }
    }

    @Test
    void buffersOfOneFormulaWithDisjointLifetimesShareASlot() {
        // %1 → %2 → %3 → %4 → %5 → %6, all B·L·4 floats: at most two are live at once
        Draft d = new Draft();
        int[] v = new int[6];
        for (int i = 0; i < v.length; i++) v[i] = d.value(i + 1, Size.rows().times(4));
        d.given.add(1);
        d.wanted.add(6);
        for (int i = 0; i + 1 < v.length; i++) d.copy(v[i], v[i + 1]);
        Plan p = d.planned();
        assertSound(p);
        // %1 (given) and %6 (wanted) each alone; %2..%5 alternate between two slots
        assertEquals(4, p.slots().size(), PlanPrinter.print(p));
        assertEquals(slot(p, v[1]), slot(p, v[3]));
        assertEquals(slot(p, v[2]), slot(p, v[4]));
        assertNotEquals(slot(p, v[1]), slot(p, v[2]), "a step's input and output never share");
        for (int i = 0; i < 5; i++) {
            if (i != 0) assertNotEquals(slot(p, v[0]), slot(p, v[i]), "the given value keeps its slot");
            assertNotEquals(slot(p, v[5]), slot(p, v[i]), "the wanted value keeps its slot");
        }
        long pool = p.offsets(new Shape(1, 1024, 0))[p.slots().size()];
        assertEquals(4 * 1024 * 16, pool, "four slots of B·L·4 floats, not six");
    }

    @Test
    void overlappingLifetimesNeverShare() {
        // a and b both live while c is made from them
        Draft d = new Draft();
        int in = d.value(1, Size.rows().times(4));
        int a = d.scratch("a", Size.rows().times(4)), b = d.scratch("b", Size.rows().times(4)), c = d.scratch("c", Size.rows().times(4));
        int out = d.value(2, Size.rows().times(4));
        d.given.add(1);
        d.wanted.add(2);
        d.copy(in, a).copy(in, b).copy(a, c).copy(b, c).copy(c, out);
        Plan p = d.planned();
        assertSound(p);
        assertEquals(3, Set.of(slot(p, a), slot(p, b), slot(p, c)).size(), PlanPrinter.print(p));
    }

    @Test
    void differentFormulasNeverShare() {
        Draft d = new Draft();
        int in = d.value(1, Size.rows().times(4));
        int narrow = d.scratch("narrow", Size.rows().times(4)), wide = d.scratch("wide", Size.rows().times(8));
        int fixed = d.scratch("fixed", Size.of(4096)), other = d.scratch("other", Size.rows().times(4));
        int out = d.value(2, Size.rows().times(4));
        d.given.add(1);
        d.wanted.add(2);
        // narrow is dead before wide is born, wide before fixed, fixed before other
        d.copy(in, narrow).copy(narrow, d.scratch("t1", Size.rows().times(4))).copy(in, wide).copy(wide, d.scratch("t2", Size.rows().times(8)))
                .copy(in, fixed).copy(fixed, d.scratch("t3", Size.of(4096))).copy(in, other).copy(other, out);
        Plan p = d.planned();
        assertSound(p);
        assertEquals(3, Set.of(slot(p, narrow), slot(p, wide), slot(p, fixed)).size(), "B·L·4, B·L·8 and 4096 floats: three slots");
        assertEquals(slot(p, narrow), slot(p, other), "the same formula, free again: shared");
        for (Buffer b : p.buffers()) assertEquals(p.slots().get(b.slot()), b.bytes(), b.name());
    }

    @Test
    void buffersOfOneShapeButAnotherElementTypeDoNotShare() {
        // B·L·8 bf16 and B·L·8 fp32, one dead before the other is born: the same elements, not the same bytes
        Draft d = new Draft();
        int in = d.buffer(Buffer.Kind.VALUE, "%1", DType.BF16, Size.rows().times(8));
        int seed = d.value(3, Size.rows().times(8));
        int halves = d.buffer(Buffer.Kind.SCRATCH, "halves", DType.BF16, Size.rows().times(8));
        int floats = d.scratch("floats", Size.rows().times(8));
        int out = d.value(2, Size.rows().times(8));
        d.given.addAll(List.of(1, 3));
        d.wanted.add(2);
        d.copy(in, halves).copy(halves, d.buffer(Buffer.Kind.SCRATCH, "h2", DType.BF16, Size.rows().times(8)));
        d.copy(seed, floats).copy(floats, out);
        Plan p = d.planned();
        assertSound(p);
        assertEquals(Size.rows().times(8).times(2), p.slots().get(slot(p, halves)));
        assertNotEquals(slot(p, halves), slot(p, floats));
    }

    @Test
    void buffersLiveThroughoutGetASlotOfTheirOwn() {
        // every throughout buffer has the formula of the scratch that is free around it
        Draft d = new Draft();
        int tokens = d.buffer(Buffer.Kind.TOKENS, "tokens", DType.I64, Size.rows().times(2)); // 16 bytes per token, as the others
        int given = d.value(1, Size.rows().times(4));
        int prepared = d.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        int wanted = d.value(2, Size.rows().times(4));
        int early = d.scratch("early", Size.rows().times(4)), late = d.scratch("late", Size.rows().times(4));
        d.given.add(1);
        d.wanted.add(2);
        d.copy(given, early);                        // 0: early [0, 1]
        d.copy(early, d.scratch("mid", Size.rows().times(4)));
        d.copy(given, prepared, true);               // 2, once
        d.copy(prepared, late);                      // 3: late [3, 4]
        d.copy(late, wanted);                        // 4
        Plan p = d.planned();
        assertSound(p);
        Set<Integer> throughout = Set.of(tokens, given, prepared, wanted);
        for (int t : throughout) {
            for (Buffer b : p.buffers()) {
                if (b.id() != t && b.kind().pooled()) assertNotEquals(slot(p, t), b.slot(), p.buffer(t).name() + " shares with " + b.name());
            }
        }
        assertEquals(slot(p, early), slot(p, late), "the scratch shares among itself");
        assertEquals(throughout.size() + 2, p.slots().size(), PlanPrinter.print(p));
    }

    @Test
    void onlyPreparedMemorySurvivesFromThePreparationToTheRuns() {
        // a filter made once (step 2) and read by every run (step 3); a scratch of the same size lives over steps 0 and 1
        for (Buffer.Kind kind : List.of(Buffer.Kind.SCRATCH, Buffer.Kind.PREPARED)) {
            Draft d = new Draft();
            int in = d.value(1, Size.rows().times(4)), out = d.value(2, Size.rows().times(4));
            int early = d.scratch("early", Size.rows().times(4)), filter = d.buffer(kind, "n1.filter", DType.FP32, Size.rows().times(4));
            d.given.add(1);
            d.wanted.add(2);
            d.copy(in, early).copy(early, d.scratch("t", Size.rows().times(4))).copy(in, filter, true).copy(filter, out);
            Plan p = PlanMemory.run(d.plan());
            if (kind == Buffer.Kind.SCRATCH) {
                // by step indices the two never meet, so they share; but the runs' step 0 overwrites the prepared filter
                assertEquals(slot(p, early), slot(p, filter));
                List<String> problems = PlanVerifier.problems(p);
                assertTrue(problems.stream().anyMatch(s -> s.contains("n1.filter is written when the plan is prepared and read by its runs")), problems.toString());
            } else {
                assertNotEquals(slot(p, early), slot(p, filter));
                assertEquals(List.of(), PlanVerifier.problems(p));
            }
        }
    }

    @Test
    void aPooledBufferNoStepTouchesStillGetsASlot() {
        Draft d = new Draft();
        int in = d.value(1, Size.rows().times(4)), out = d.value(2, Size.rows().times(4));
        int idle = d.scratch("idle", Size.rows().times(4));
        d.given.add(1);
        d.wanted.add(2);
        d.copy(in, out);
        Plan p = d.planned();
        assertTrue(slot(p, idle) >= 0);
        assertEquals(3, p.slots().size());
    }

    @Test
    void memoryOutsideThePoolIsLeftAlone() {
        Draft d = new Draft();
        int in = d.value(1, Size.rows().times(4)), out = d.value(2, Size.rows().times(4));
        int weight = d.buffer(Buffer.Kind.WEIGHT, "w", DType.FP32, Size.of(16)), state = d.buffer(Buffer.Kind.STATE, "n1.ring", DType.FP32, Size.batch().times(8));
        int constant = d.buffer(Buffer.Kind.CONSTANT, "inv_freq", DType.FP32, Size.of(8));
        d.given.add(1);
        d.wanted.add(2);
        d.copy(in, out).copy(weight, state).copy(constant, d.scratch("s", Size.of(8)));
        Plan p = d.planned();
        for (int b : new int[] {weight, state, constant}) assertEquals(-1, slot(p, b), p.buffer(b).name());
        assertEquals(d.steps, p.steps());
    }

    @Test
    void theSamePlanGetsTheSameMemory() {
        Draft d = new Draft();
        int[] v = new int[8];
        for (int i = 0; i < v.length; i++) v[i] = d.value(i + 1, i % 2 == 0 ? Size.rows().times(4) : Size.rows().times(8));
        d.given.add(1);
        d.wanted.add(8);
        for (int i = 0; i + 1 < v.length; i++) d.copy(v[i], v[i + 1]);
        Plan p = d.planned();
        assertEquals(PlanPrinter.print(p, new Shape(2, 64, 0)), PlanPrinter.print(d.planned(), new Shape(2, 64, 0)));
        assertSound(p);
    }
}
