package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** What the driver's description of a GPU decides without a GPU. */
class DeviceInfoTest {
    /** An H100 and an A10 as the driver describes them; their opt-in shared memory per block is 227 and 99 KiB. */
    static final DeviceInfo H100 = new DeviceInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 132, 1980000, 2619000, 5120, 52428800, 232448, 85_000_000_000L);
    static final DeviceInfo A10 = new DeviceInfo(1, "NVIDIA A10", 8, 6, 72, 1695000, 6251000, 384, 6291456, 101376, 23_000_000_000L);

    @Test
    void aKernelNeedingMoreSharedMemoryThanTheGpuGivesABlockFailsNamingBoth() {
        assertDoesNotThrow(() -> H100.requireSharedMemoryPerBlock("attention_d128", 98304));
        assertDoesNotThrow(() -> A10.requireSharedMemoryPerBlock("attention_d128", 101376));
        var e = assertThrows(UnsupportedOperationException.class, () -> A10.requireSharedMemoryPerBlock("attention_d128", 131072));
        assertEquals("kernel attention_d128 needs 131072 bytes of shared memory per block; GPU 1 (NVIDIA A10, sm_86) gives a block at most 101376",
                e.getMessage());
    }
}
