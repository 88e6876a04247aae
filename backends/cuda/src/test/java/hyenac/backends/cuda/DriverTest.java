package hyenac.backends.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Needs the real libcuda.so.1; most of it runs without a GPU, the last test only with one. */
class DriverTest {

    @Test
    void everyEntryPointBindsAndInitReportsTheMachine() {
        Driver d = Libs.driver();  // the constructor binds every symbol
        if (Libs.hasGpu()) {
            d.init();
            assertTrue(d.driverVersion() >= 12000, "driver API " + d.driverVersion());
            assertTrue(d.deviceGetCount() >= 1);
        } else {
            var e = assertThrows(CudaUnavailableException.class, d::init);
            assertTrue(e.getMessage().endsWith("use --target cpu"), e.getMessage());
            assertTrue(e.getMessage().startsWith("no NVIDIA GPU found: cuInit returned CUDA_ERROR_NO_DEVICE")
                    || e.getMessage().startsWith("the NVIDIA driver could not be initialised"), e.getMessage());
        }
    }

    @Test
    void callsBeforeInitNameTheCallAndTheStatus() {
        Driver d = Libs.driver();
        assumeFalse(Libs.hasGpu(), "on a GPU machine the driver is already initialised by now");
        var e = assertThrows(CudaException.class, d::deviceGetCount);
        assertEquals("cuDeviceGetCount", e.call());
        assertTrue(e.getMessage().startsWith("cuDeviceGetCount failed while counting GPUs: CUDA_ERROR_"), e.getMessage());
    }

    /** The whole device check, on a GPU machine that runs the tests. */
    @Test
    void theDeviceCheckPassesOnAGpu() {
        assumeTrue(Libs.hasGpu(), "no GPU");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int failures = new DeviceCheck(new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
        assertEquals(0, failures, buf.toString(StandardCharsets.UTF_8));
    }
}
