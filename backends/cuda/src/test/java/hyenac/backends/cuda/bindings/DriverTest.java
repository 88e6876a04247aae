package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/** Needs the real libcuda.so.1, with or without a GPU (the whole device check on a GPU is DeviceCheckTest's). */
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
}
