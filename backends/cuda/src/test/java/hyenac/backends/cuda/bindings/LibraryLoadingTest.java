package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibraryLoadingTest {

    @Test
    void aMissingDriverGivesOneClearMessage() {
        var e = assertThrows(CudaUnavailableException.class, () -> Driver.load("/nonexistent/libcuda.so.1"));
        assertEquals("no NVIDIA driver found: libcuda.so.1 could not be loaded (/nonexistent/libcuda.so.1 does not"
                + " exist); the cuda target needs an NVIDIA GPU and driver; use --target cpu", e.getMessage());
    }

    @Test
    void theSystemPropertyChoosesTheDriverFile() {
        String before = System.getProperty("hyenac.cuda.libcuda");
        System.setProperty("hyenac.cuda.libcuda", "/nonexistent/libcuda.so.1");
        try {
            var e = assertThrows(CudaUnavailableException.class, Driver::load);
            assertTrue(e.getMessage().startsWith("no NVIDIA driver found: libcuda.so.1 could not be loaded"
                    + " (/nonexistent/libcuda.so.1 does not exist)"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty("hyenac.cuda.libcuda");
            else System.setProperty("hyenac.cuda.libcuda", before);
        }
    }

    @Test
    void withoutADriverTheDefaultSearchSaysWhatItTried() {
        assumeTrue(System.getProperty("hyenac.cuda.libcuda") == null, "a driver path is configured");
        try {
            Driver.load();
            assumeTrue(false, "this machine has libcuda.so.1");
        } catch (CudaUnavailableException e) {
            assertEquals("no NVIDIA driver found: libcuda.so.1 could not be loaded (not found on the library search"
                    + " path; tried libcuda.so.1); the cuda target needs an NVIDIA GPU and driver; use --target cpu",
                    e.getMessage());
        }
    }

    @Test
    void aSonameOffTheSearchPathIsNamedWithItsProperty() {
        var e = assertThrows(CudaUnavailableException.class, () -> Nvrtc.load("libnvrtc-hyenac-test.so.99"));
        assertEquals("NVRTC not found: libnvrtc.so could not be loaded (libnvrtc-hyenac-test.so.99 is not on the"
                + " library search path, as set by -Dhyenac.cuda.libnvrtc); the cuda target compiles its kernels at"
                + " run time with NVRTC from the CUDA toolkit (set -Dhyenac.cuda.libnvrtc=PATH if it is installed"
                + " elsewhere); use --target cpu", e.getMessage());
    }

    @Test
    void aFileThatIsNotALibraryIsRefusedClearly(@TempDir Path dir) throws Exception {
        // An executable, which dlopen refuses. (A non-ELF file would do too, but HotSpot then prints a
        // stack-guard warning into the build log.)
        Path exe = Path.of("/bin/true");
        assumeTrue(Files.isRegularFile(exe), "no /bin/true to stand in");
        Path fake = Files.copy(exe, dir.resolve("libcublasLt.so.13"));
        var e = assertThrows(CudaUnavailableException.class, () -> CublasLt.load(fake.toString()));
        assertTrue(e.getMessage().startsWith("cuBLASLt not found: libcublasLt.so.13 could not be loaded (" + fake
                + " exists but the dynamic loader refused it, as set by -Dhyenac.cuda.libcublaslt)"), e.getMessage());
        assertTrue(e.getMessage().endsWith("use --target cpu"));
    }

    @Test
    void everyLibraryNamesItselfAndTheWayOut() {
        for (CudaLibrary lib : CudaLibrary.values()) {
            var e = assertThrows(CudaUnavailableException.class,
                    () -> NativeLibrary.load(lib, "/nonexistent/" + lib.displayName()));
            assertTrue(e.getMessage().contains(lib.displayName() + " could not be loaded"), e.getMessage());
            assertTrue(e.getMessage().endsWith("use --target cpu"), e.getMessage());
        }
        assertThrows(CudaUnavailableException.class, () -> Cufft.load("/nonexistent/libcufft.so.12"));
    }

    /**
     * libc loads but has none of the driver's symbols: binding every downcall must fail with the "too old"
     * message naming the first missing entry point, never with a linkage error.
     */
    @Test
    void aLibraryWithoutTheEntryPointsFailsClearlyAtLoad() {
        NativeLibrary libc;
        try {
            libc = NativeLibrary.load(CudaLibrary.DRIVER, "libc.so.6");
        } catch (CudaUnavailableException e) {
            assumeTrue(false, "no libc.so.6 to stand in: " + e.getMessage());
            return;
        }
        var e = assertThrows(CudaUnavailableException.class, () -> new Driver(libc));
        assertEquals("libcuda.so.1 (loaded as libc.so.6) has no symbol cuInit; the NVIDIA driver is too old for"
                + " hyenac, which needs one for CUDA 12 or newer", e.getMessage());
        assertThrows(CudaUnavailableException.class, () -> new Nvrtc(libc));
        assertThrows(CudaUnavailableException.class, () -> new CublasLt(libc));
        assertThrows(CudaUnavailableException.class, () -> new Cufft(libc));
        var first = assertThrows(CudaUnavailableException.class,
                () -> libc.downcallFirst(java.lang.foreign.FunctionDescriptor.ofVoid(), "cuA_v2", "cuA"));
        assertTrue(first.getMessage().contains("has no symbol cuA_v2 or cuA"), first.getMessage());
    }
}
