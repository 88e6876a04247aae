package hyenac.ir.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each kind of malformed plan the verifier catches, on small plans written by hand, and a correct one it accepts. */
class PlanVerifierTest {
    private static void assertProblem(TinyPlan t, String expected) {
        Plan p = t.plan();
        List<String> problems = PlanVerifier.problems(p);
        assertTrue(problems.stream().anyMatch(s -> s.contains(expected)), "expected a problem containing \"" + expected + "\", got " + problems);
        var e = assertThrows(IllegalStateException.class, () -> PlanVerifier.verify(p));
        assertTrue(e.getMessage().startsWith("the " + p.phase().spelling() + " plan is malformed: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static void assertFine(TinyPlan t) {
        assertEquals(List.of(), PlanVerifier.problems(t.plan()));
        PlanVerifier.verify(t.plan());
    }

    @Test
    void aCorrectPlanPassesUnplannedAndPlanned() {
        assertFine(TinyPlan.valid());
        assertFine(TinyPlan.valid().ownSlots());
    }

    // ---- arguments ----

    @Test
    void aLaunchWithTheWrongNumberOfArgumentsIsCaught() {
        TinyPlan t = TinyPlan.valid();
        t.launch(TinyPlan.COPY, t.x, t.y);
        assertProblem(t, "copy_fp32 takes 3 arguments, the launch gives 2");
    }

    @Test
    void aScalarForAPointerAndABufferForAScalarAreCaught() {
        TinyPlan t = TinyPlan.valid();
        t.launch(TinyPlan.COPY, Size.rows(), t.y, Size.rows());
        assertProblem(t, "copy_fp32 parameter x is a pointer but gets B*L");
        TinyPlan u = TinyPlan.valid();
        u.launch(TinyPlan.COPY, u.x, u.y, u.x);
        assertProblem(u, "copy_fp32 parameter rows is a scalar but gets b" + u.x);
    }

    @Test
    void aRealForAnIntegerAndAnIntegerForARealAreCaught() {
        // a backend passes a scalar as its parameter's C type: a double's bits for a long, an int64 for a float
        TinyPlan t = TinyPlan.valid();
        t.launch(TinyPlan.COPY, t.x, t.y, 2.5);
        assertProblem(t, "copy_fp32 parameter rows is an integer but gets 2.5");
        TinyPlan u = TinyPlan.valid();
        Kernel scale = TinyPlan.kernel("scale_fp32", TinyPlan.in("a", DType.FP32), TinyPlan.out("y", DType.FP32),
                new Kernel.Param("by", Kernel.Param.Type.FLOAT, null, true));
        u.launch(scale, u.x, u.value(9, 4), Size.of(2));
        assertProblem(u, "scale_fp32 parameter by is a real but gets 2");
    }

    @Test
    void anElementTypeMismatchIsCaught() {
        TinyPlan t = TinyPlan.valid();
        int half = t.buffer(Buffer.Kind.SCRATCH, "halves", DType.BF16, Size.rows().times(4));
        t.launch(TinyPlan.COPY, t.x, half, Size.rows());
        assertProblem(t, "copy_fp32 reads y as fp32 but halves holds bf16");
    }

    @Test
    void aMissingBufferOrKernelIsCaught() {
        TinyPlan t = TinyPlan.valid();
        t.launch(TinyPlan.COPY, t.x, 99, Size.rows());
        assertProblem(t, "copy_fp32 parameter y names missing buffer b99");
        TinyPlan u = TinyPlan.valid();
        u.steps.add(new Step.Launch("nowhere_fp32", List.of(), false, TinyPlan.SITE));
        assertProblem(u, "the plan has no kernel nowhere_fp32");
    }

    @Test
    void aScalarArgumentMayBeAnIntegerOrAReal() {
        TinyPlan t = TinyPlan.valid();
        Kernel scale = TinyPlan.kernel("scale_fp32", TinyPlan.in("a", DType.FP32), TinyPlan.out("y", DType.FP32),
                new Kernel.Param("by", Kernel.Param.Type.FLOAT, null, true));
        int out = t.value(9, 4);
        t.launch(scale, t.x, out, 0.5);
        assertFine(t);
    }

    // ---- written before read ----

    @Test
    void aReadBeforeAnyWriteIsCaught() {
        TinyPlan t = TinyPlan.valid();
        t.steps.removeFirst(); // nothing writes %1 now
        assertProblem(t, "step 0 (launch copy_fp32(b2, b3, B*L)) reads %1 before anything writes it");

        TinyPlan u = TinyPlan.valid();
        // the inverse FFT moved before the forward one reads spectra unwritten
        Step inverse = u.steps.remove(5);
        u.steps.add(4, inverse);
        assertProblem(u, "reads x.spectra before anything writes it");
    }

    @Test
    void givenValuesTokensWeightsAndStatesCountAsWritten() {
        TinyPlan t = TinyPlan.valid();
        t.steps.removeFirst();
        t.given.add(1); // %1 is loaded before the run instead
        assertFine(t);
        // the valid plan itself reads the tokens, weights and the bias, which nothing in the plan writes
        assertTrue(PlanVerifier.problems(TinyPlan.valid().plan()).isEmpty());
    }

    @Test
    void onceStepsRunBeforeTheRunsSteps() {
        // a prepared filter written by a once step placed after the step that reads it: fine, once steps run first
        TinyPlan t = TinyPlan.valid();
        int filter = t.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        int out = t.value(7, 4);
        t.launch(TinyPlan.COPY, filter, out, Size.rows());
        t.once(TinyPlan.COPY, t.table, filter, Size.rows());
        assertFine(t);

        // the same write as an ordinary step comes too late
        TinyPlan u = TinyPlan.valid();
        int f2 = u.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        u.launch(TinyPlan.COPY, f2, u.value(7, 4), Size.rows());
        u.launch(TinyPlan.COPY, u.table, f2, Size.rows());
        assertProblem(u, "reads n1.filter_spectra before anything writes it");

        // and a once step cannot read what only the run writes, even when it comes later in the list
        TinyPlan v = TinyPlan.valid();
        int s = v.scratch("s", Size.rows().times(4));
        v.once(TinyPlan.COPY, v.y, s, Size.rows());
        assertProblem(v, "reads %2 before anything writes it");
    }

    @Test
    void whatTheRunsReadOfThePreparationMustBePreparedMemory() {
        // once steps run when the plan is prepared, the others at every run: scratch written by the first and read by
        // the second is planned by its steps' indices, so its slot can be handed to a buffer of an earlier step
        TinyPlan t = TinyPlan.valid();
        int spectrum = t.scratch("n1.filter_spectra", Size.rows().times(4));
        t.once(TinyPlan.COPY, t.table, spectrum, Size.rows());
        t.launch(TinyPlan.COPY, spectrum, t.value(7, 4), Size.rows());
        assertProblem(t, "n1.filter_spectra is written when the plan is prepared and read by its runs, but is a SCRATCH");

        // and a run must not change what the next run reads as prepared
        TinyPlan u = TinyPlan.valid();
        int prepared = u.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        u.once(TinyPlan.COPY, u.table, prepared, Size.rows());
        u.launch(TinyPlan.COPY, u.x, prepared, Size.rows());
        assertProblem(u, "step 8 (launch copy_fp32(b2, b10, B*L)) writes n1.filter_spectra, which is prepared once");

        // once-only scratch (the padded filter before its FFT) is fine, so is prepared memory only read by the runs
        TinyPlan v = TinyPlan.valid();
        int padded = v.scratch("n1.filter_rows", Size.rows().times(4));
        int kept = v.buffer(Buffer.Kind.PREPARED, "n1.filter_spectra", DType.FP32, Size.rows().times(4));
        v.once(TinyPlan.COPY, v.table, padded, Size.rows());
        v.once(TinyPlan.COPY, padded, kept, Size.rows());
        v.launch(TinyPlan.COPY, kept, v.value(7, 4), Size.rows());
        assertFine(v.ownSlots());
    }

    @Test
    void aWantedValueNeverWrittenOrWithoutABufferIsCaught() {
        TinyPlan t = TinyPlan.valid();
        t.value(5, 4);
        t.wanted.add(5);
        assertProblem(t, "wanted value %5 is never written");
        TinyPlan u = TinyPlan.valid();
        u.wanted.add(6);
        assertProblem(u, "wanted value %6 has no buffer");
    }

    // ---- slots ----

    @Test
    void buffersWhoseLivesDoNotOverlapMayShareASlot() {
        // %1 is live over steps [0, 1], the spectra over [4, 5]; the spectra are the larger at every shape
        TinyPlan t = TinyPlan.valid().ownSlots();
        t.slot(t.x, t.buffers.get(t.spectra).slot());
        assertFine(t);
    }

    @Test
    void twoLiveBuffersSharingASlotAreCaught() {
        // %1 over [0, 1] and %2 over [1, 6]: both live at step 1, the copy from one to the other
        TinyPlan t = TinyPlan.valid().ownSlots();
        t.slot(t.x, t.buffers.get(t.y).slot());
        assertProblem(t, "%1 and %2 share slot " + t.buffers.get(t.y).slot() + " while both are live");
    }

    @Test
    void aBufferLargerThanItsSlotIsCaught() {
        TinyPlan t = TinyPlan.valid().ownSlots();
        int slot = t.buffers.get(t.z).slot();
        t.slots.set(slot, Size.rows().times(4).times(4)); // %3 has 8 channels
        assertProblem(t, "%3 needs B*L*8*4 bytes, slot " + slot + " has B*L*4*4");

        // too small only at some shapes is still too small: a constant slot for a B·L buffer
        TinyPlan u = TinyPlan.valid().ownSlots();
        u.slots.set(u.buffers.get(u.z).slot(), Size.of(2 * 7 * 8 * 4));
        assertProblem(u, "%3 needs B*L*8*4 bytes");
    }

    @Test
    void slotsOfTheWrongKindOrMissingAreCaught() {
        TinyPlan t = TinyPlan.valid().ownSlots();
        t.slot(t.rows, -1);
        assertProblem(t, "x.rows has no slot");
        TinyPlan u = TinyPlan.valid().ownSlots();
        u.slot(u.w, 0);
        assertProblem(u, "p.weight is a WEIGHT but has a slot");
        TinyPlan v = TinyPlan.valid().ownSlots();
        v.slot(v.keys, 0);
        assertProblem(v, "n1.keys is a STATE but has a slot");
        TinyPlan s = TinyPlan.valid().ownSlots();
        s.slot(s.z, s.slots.size());
        assertProblem(s, "%3 is in slot " + s.slots.size() + " of " + s.slots.size());
    }

    // ---- library calls' sizes ----

    @Test
    void aGemmWhoseBuffersDisagreeWithItsSizesIsCaught() {
        TinyPlan t = TinyPlan.valid();
        t.steps.set(2, new Step.Gemm(Size.rows(), 8, 5, t.y, t.w, t.bias, t.z, TinyPlan.SITE));
        assertProblem(t, "gemm reads x %2 of 4 elements, not m·k = 5");
        TinyPlan u = TinyPlan.valid();
        int w2 = u.buffer(Buffer.Kind.WEIGHT, "q.weight", DType.FP32, Size.of(7 * 4));
        u.steps.set(2, new Step.Gemm(Size.rows(), 8, 4, u.y, w2, u.bias, u.z, TinyPlan.SITE));
        assertProblem(u, "gemm reads w q.weight of 28 elements, not n·k");
        TinyPlan v = TinyPlan.valid();
        v.steps.set(2, new Step.Gemm(Size.rows(), 8, 4, v.y, v.w, v.bias, v.x, TinyPlan.SITE));
        assertProblem(v, "gemm writes y %1 of 4 elements, not m·n = 8");
        TinyPlan m = TinyPlan.valid();
        m.steps.set(2, new Step.Gemm(Size.batch(), 8, 4, m.y, m.w, m.bias, m.z, TinyPlan.SITE));
        assertProblem(m, "gemm reads x %2 of 56 elements, not m·k = 8 at B=2 L=7 C=9"); // m = B is not the B·L rows, which B=1 L=1 hides
    }

    @Test
    void anFftOverBuffersTooSmallIsCaught() {
        Size n = new Size.FftLength(Size.length());
        TinyPlan t = TinyPlan.valid();
        // spectra of N/2 complex bins instead of N/2 + 1
        int small = t.scratch("small", Size.batch().times(4).times(n));
        t.steps.set(4, new Step.Fft(t.rows, small, n, Size.batch().times(4), true, false, TinyPlan.SITE));
        assertProblem(t, "fft of 4×2 points over buffers of 8 and 8 elements");

        TinyPlan u = TinyPlan.valid();
        // an inverse whose output has room for L, not N, points per row
        int rowsL = u.scratch("short", Size.batch().times(4).times(Size.length()));
        u.steps.set(5, new Step.Fft(u.spectra, rowsL, n, Size.batch().times(4), false, false, TinyPlan.SITE));
        assertProblem(u, "fft of 4×2 points over buffers of 16 and 4 elements");

        TinyPlan v = TinyPlan.valid();
        // a forward transform of more rows than the input holds
        v.steps.set(4, new Step.Fft(v.rows, v.spectra, n, Size.batch().times(8), true, false, TinyPlan.SITE));
        assertProblem(v, "fft of 8×2 points over buffers of 8 and 16 elements");
    }

    @Test
    void aCopyRunningPastItsBuffersIsCaught() {
        Size row = Size.length().times(16);
        TinyPlan t = TinyPlan.valid();
        // a cache stride of C rows of 8 floats: the last sequence lands past the cache's end
        t.steps.set(6, new Step.Copy(t.keys, Size.of(0), Size.capacity().times(32), t.y, Size.of(0), row, row, Size.batch(), TinyPlan.SITE));
        assertProblem(t, "copy runs past its buffers");
        TinyPlan u = TinyPlan.valid();
        u.steps.set(6, new Step.Copy(u.keys, Size.of(0), Size.capacity().times(16), u.y, Size.of(16), row, row, Size.batch(), TinyPlan.SITE));
        assertProblem(u, "copy runs past its buffers");
        TinyPlan v = TinyPlan.valid();
        v.steps.set(6, new Step.Copy(v.keys, Size.of(0), Size.capacity().times(16), v.y, Size.of(0), row, row, Size.batch().plus(1), TinyPlan.SITE));
        assertProblem(v, "copy runs past its buffers");
    }

    @Test
    void everyProblemIsReportedNotJustTheFirst() {
        TinyPlan t = TinyPlan.valid();
        t.steps.removeFirst();
        t.steps.set(1, new Step.Gemm(Size.rows(), 8, 5, t.y, t.w, t.bias, t.z, TinyPlan.SITE));
        List<String> problems = PlanVerifier.problems(t.plan());
        assertEquals(2, problems.size(), problems.toString());
    }
}
