package hyenac.backends.cuda.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import hyenac.backends.cuda.bindings.Libs;
import hyenac.runtime.weights.Floats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What of the device check can run here: its host-side bf16 twin, and its report when there is no driver; on a GPU
 * machine that runs the tests, the whole check.
 */
class DeviceCheckTest {

    @Test
    void theHostBf16TwinAgreesWithTheRuntimes() {
        Random rnd = new Random(5);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE,
                -Float.MAX_VALUE, Float.MIN_VALUE, 1f + 0x1p-8f, 1f + 0x1p-7f + 0x1p-8f, Float.intBitsToFloat(0x7f800001)};
        for (float f : special) assertEquals(Floats.floatToBf16(f), DeviceCheck.toBf16(f), "bf16 of " + f);
        for (int i = 0; i < 1_000_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            assertEquals(Floats.floatToBf16(f), DeviceCheck.toBf16(f), "bf16 of " + f);
        }
        assertEquals(1.5f, DeviceCheck.fromBf16(DeviceCheck.toBf16(1.5f)));
    }

    @Test
    void withoutADriverItReportsOneFailureWithTheClearMessage() {
        String before = System.getProperty("hyenac.cuda.libcuda");
        System.setProperty("hyenac.cuda.libcuda", "/nonexistent/libcuda.so.1");
        try {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int failures = new DeviceCheck(new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
            assertEquals(1, failures);
            assertEquals("""
                    FAIL driver: CudaUnavailableException: no NVIDIA driver found: libcuda.so.1 could not be loaded \
                    (/nonexistent/libcuda.so.1 does not exist); the cuda target needs an NVIDIA GPU and driver; \
                    use --target cpu
                    SKIP everything else: no usable GPU
                    """, buf.toString(StandardCharsets.UTF_8));
        } finally {
            if (before == null) System.clearProperty("hyenac.cuda.libcuda");
            else System.setProperty("hyenac.cuda.libcuda", before);
        }
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
