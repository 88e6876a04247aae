package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/** Needs libcufft; planning needs a GPU, so without one the failure's wording is what is checked. */
class CufftTest {

    @Test
    void loadsAndReportsItsVersion() {
        assertTrue(Libs.cufft().version() >= 10000);
    }

    @Test
    void withoutAGpuPlanningFailsWithANamedStatus() {
        Cufft fft = Libs.cufft();
        assumeFalse(Libs.hasGpu(), "a GPU is present");
        var e = assertThrows(CudaException.class, () -> fft.planR2C(64, 4));
        assertEquals("cufftPlanMany", e.call());
        assertTrue(e.getMessage().startsWith("cufftPlanMany failed while planning 4 R2C FFTs of length 64: CUFFT_"),
                e.getMessage());
        assertThrows(CudaException.class, () -> fft.plan1d(64, 4, false));
    }

    @Test
    void nonsenseSizesAreRefusedBeforeTheLibrary() {
        Cufft fft = Libs.cufft();
        assertThrows(IllegalArgumentException.class, () -> fft.planC2R(0, 1));
    }
}
