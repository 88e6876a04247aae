package hyenac.backends.cuda.comm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.Libs;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What NcclGroup checks before it needs a GPU, and what it says on a machine without one. */
class NcclGroupTest {

    @Test
    void moreRanksThanGpusIsAnErrorInWords() {
        var e = assertThrows(IllegalArgumentException.class, () -> NcclGroup.checkRanks(3, 2));
        assertEquals("asked for 3 ranks, this machine has 2 GPUs; use at most 2 (one GPU per rank), or --target cpu", e.getMessage());
        var one = assertThrows(IllegalArgumentException.class, () -> NcclGroup.checkRanks(2, 1));
        assertTrue(one.getMessage().startsWith("asked for 2 ranks, this machine has 1 GPU;"), one.getMessage());
        assertDoesNotThrow(() -> NcclGroup.checkRanks(2, 2));
        assertDoesNotThrow(() -> NcclGroup.checkRanks(1, 8));
    }

    @Test
    void noGpuIsUnavailableNotAMiscount() {
        var e = assertThrows(CudaUnavailableException.class, () -> NcclGroup.checkRanks(1, 0));
        assertTrue(e.getMessage().startsWith("no NVIDIA GPU found"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use --target cpu"), e.getMessage());
    }

    /** Checked before any library loads: here, without a driver, loading would throw CudaUnavailableException instead. */
    @Test
    void fewerThanOneRankIsRefusedBeforeAnythingLoads() {
        AtomicBoolean ran = new AtomicBoolean();
        var e = assertThrows(IllegalArgumentException.class, () -> NcclGroup.run(0, Duration.ofSeconds(1), c -> ran.getAndSet(true)));
        assertEquals("a group needs at least one rank, not 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NcclGroup.run(-2, Duration.ofSeconds(1), c -> ran.getAndSet(true)));
        var t = assertThrows(IllegalArgumentException.class, () -> NcclGroup.run(1, Duration.ZERO, c -> ran.getAndSet(true)));
        assertTrue(t.getMessage().startsWith("the timeout must be positive"), t.getMessage());
        assertFalse(ran.get());
    }

    @Test
    void withoutAGpuNoRankRunsAndTheErrorSaysWhatIsMissing() {
        assumeFalse(Libs.hasGpu(), "this machine has a GPU");
        AtomicBoolean ran = new AtomicBoolean();
        var e = assertThrows(CudaUnavailableException.class, () -> NcclGroup.run(2, Duration.ofSeconds(5), c -> ran.getAndSet(true)));
        assertTrue(e.getMessage().startsWith("no NVIDIA"), e.getMessage());
        assertFalse(ran.get());
    }

    @Test
    void theDefaultTimeoutIsTheCpuRanksOne() {
        assertEquals(hyenac.backends.cpu.ContextParallelCpu.DEFAULT_TIMEOUT, NcclGroup.DEFAULT_TIMEOUT);
    }
}
