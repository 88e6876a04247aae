package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real libraries where this machine has them, else the test is skipped with the loader's message. CI has
 * none of them; a developer can point the hyenac.cuda.lib* properties at copies to run the binding tests.
 * Public for {@link #hasGpu}, which the tests of the executor and the device check ask too.
 */
public final class Libs {
    private Libs() {}

    private static Boolean gpu;

    static Driver driver() {
        try {
            return Driver.load();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static Nvrtc nvrtc() {
        try {
            return Nvrtc.load();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static CublasLt cublasLt() {
        try {
            return CublasLt.load();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    static Cufft cufft() {
        try {
            return Cufft.load();
        } catch (CudaUnavailableException e) {
            assumeTrue(false, e.getMessage());
            throw e;
        }
    }

    /** Whether a driver loads and initialises with at least one GPU. */
    public static synchronized boolean hasGpu() {
        if (gpu == null) {
            try {
                Driver d = Driver.load();
                d.init();
                gpu = d.deviceGetCount() > 0;
            } catch (CudaUnavailableException e) {
                gpu = false;
            }
        }
        return gpu;
    }
}
