package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CudaErrorsTest {

    @Test
    void sizesReadAtAGlance() {
        assertEquals("0 B", CudaErrors.bytes(0));
        assertEquals("1023 B", CudaErrors.bytes(1023));
        assertEquals("1.5 KiB", CudaErrors.bytes(1536));
        assertEquals("256.0 MiB", CudaErrors.bytes(256L << 20));
        assertEquals("2.1 GiB", CudaErrors.bytes(2_254_857_830L));
        assertEquals("1.0 PiB", CudaErrors.bytes(1L << 50));
    }

    @Test
    void outOfMemoryNamesTheSizeTheCallTheTensorAndTheFreeMemory() {
        String msg = CudaErrors.outOfMemory("cuMemAlloc_v2", "CUDA_ERROR_OUT_OF_MEMORY", "out of memory",
                "allocating " + CudaErrors.bytes(2_254_857_830L) + " for layers.3.mixer.proj_in.weight",
                1_395_864_371L, 84_929_347_584L);
        assertEquals("out of GPU memory while allocating 2.1 GiB for layers.3.mixer.proj_in.weight: cuMemAlloc_v2"
                + " returned CUDA_ERROR_OUT_OF_MEMORY (out of memory); 1.3 GiB of 79.1 GiB is free on the device;"
                + " use a smaller batch or shorter sequences, or --target cpu", msg);
    }

    @Test
    void outOfMemoryWithoutMemInfoSaysSo() {
        String msg = CudaErrors.outOfMemory("cuModuleLoadData", null, null, "loading the module of saxpy", -1, -1);
        assertEquals("out of GPU memory while loading the module of saxpy: cuModuleLoadData returned"
                + " unknown CUDA status 2; the free device memory could not be queried; use a smaller batch or"
                + " shorter sequences, or --target cpu", msg);
    }

    @Test
    void aFailureNamesTheCallTheStatusAndTheContext() {
        assertEquals("cuModuleGetFunction failed while looking up kernel k: CUDA_ERROR_NOT_FOUND (named symbol not"
                        + " found)",
                CudaErrors.failure("CUDA", "cuModuleGetFunction", 500, "CUDA_ERROR_NOT_FOUND", "named symbol not found",
                        "looking up kernel k"));
        assertEquals("cufftExecR2C failed: CUFFT_EXEC_FAILED",
                CudaErrors.failure("cuFFT", "cufftExecR2C", 6, "CUFFT_EXEC_FAILED", null, null));
    }

    @Test
    void anUnknownCodeIsStillReported() {
        assertEquals("cuStreamCreate failed while creating a stream: unknown CUDA status 12345",
                CudaErrors.failure("CUDA", "cuStreamCreate", 12345, null, null, "creating a stream"));
        assertNull(CudaErrors.driverErrorName(12345));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaErrors.driverErrorName(2));
        assertNull(Cufft.statusName(99));
        assertEquals("CUFFT_INVALID_DEVICE", Cufft.statusName(11));
    }

    /** With the real driver library (no GPU needed): names come from the driver and OOM gets its own exception. */
    @Test
    void theDriverNamesItsStatusesAndOutOfMemoryIsSpecial() {
        Driver d = Libs.driver();
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", d.errorName(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", d.errorName(100));
        assertNull(d.errorName(12345));
        assertNull(d.errorString(12345));

        CudaException oom = d.error(2, "cuMemAlloc_v2", "allocating 2.1 GiB for layers.3.mixer.proj_in.weight",
                2_254_857_830L);
        var e = assertInstanceOf(CudaOutOfMemoryException.class, oom);
        assertEquals(2_254_857_830L, e.requestedBytes());
        assertEquals("cuMemAlloc_v2", e.call());
        assertTrue(e.getMessage().startsWith("out of GPU memory while allocating 2.1 GiB for"
                + " layers.3.mixer.proj_in.weight: cuMemAlloc_v2 returned CUDA_ERROR_OUT_OF_MEMORY ("), e.getMessage());

        CudaException other = d.error(12345, "cuStreamCreate", "creating a stream", -1);
        assertEquals("cuStreamCreate failed while creating a stream: unknown CUDA status 12345", other.getMessage());
    }
}
