package hyenac.backends.cuda.bindings;

import java.lang.foreign.Arena;

/**
 * One GPU opened for work: the driver, the device's description, its primary context (current on the
 * opening thread) and an arena for native memory that lives as long as the context, such as kernel argument
 * blocks. Per-call out-parameters do not use it; they come and go with each driver call.
 */
public final class CudaContext implements AutoCloseable {
    private final Driver driver;
    private final DeviceInfo device;
    private final Driver.Context context;
    private final Arena arena = Arena.ofShared();
    private boolean closed;

    private CudaContext(Driver driver, DeviceInfo device, Driver.Context context) {
        this.driver = driver;
        this.device = device;
        this.context = context;
    }

    /** Loads and initialises the driver and opens GPU {@code ordinal}; no driver or no GPU → CudaUnavailableException. */
    public static CudaContext open(int ordinal) {
        Driver driver = Driver.load();
        driver.init();
        return open(driver, ordinal);
    }

    /** Opens GPU {@code ordinal} with an initialised driver. */
    public static CudaContext open(Driver driver, int ordinal) {
        int count = driver.deviceGetCount();
        if (count == 0) {
            throw new CudaUnavailableException("no NVIDIA GPU found: the driver reports no devices;"
                    + " the cuda target needs an NVIDIA GPU and driver; use --target cpu");
        }
        if (ordinal < 0 || ordinal >= count) {
            throw new IllegalArgumentException("GPU " + ordinal + " does not exist; this machine has " + count
                    + (count == 1 ? " GPU (number 0)" : " GPUs (numbered 0 to " + (count - 1) + ")"));
        }
        DeviceInfo info = driver.deviceInfo(ordinal);
        Driver.Context ctx = driver.devicePrimaryCtxRetain(driver.deviceGet(ordinal));
        driver.ctxSetCurrent(ctx);
        return new CudaContext(driver, info, ctx);
    }

    public Driver driver() { return driver; }

    public DeviceInfo device() { return device; }

    public Driver.Context handle() { return context; }

    /** Native memory freed when the context closes. */
    public Arena arena() { return arena; }

    /** Makes this context current on the calling thread (the driver tracks it per thread). */
    public void makeCurrent() {
        driver.ctxSetCurrent(context);
    }

    /** Dynamic shared memory any kernel may be launched with; beyond it, up to the GPU's opt-in limit, a kernel must ask. */
    private static final int DYNAMIC_SHARED_BYTES_WITHOUT_OPT_IN = 48 * 1024;

    /**
     * Lets {@code f} be launched with {@code bytes} of dynamic shared memory: past 48 KiB it asks the driver (once per loaded
     * function), and past what this GPU gives a block it fails, naming the kernel, its bytes and the limit.
     */
    public void allowDynamicSharedMemory(Driver.Function f, int bytes) {
        device.requireSharedMemoryPerBlock(f.name(), bytes);
        if (bytes > DYNAMIC_SHARED_BYTES_WITHOUT_OPT_IN) driver.funcSetAttribute(f, Driver.FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
    }

    /** A kernel argument block in this context's arena. */
    public KernelArgs args(int capacity) {
        return new KernelArgs(arena, capacity);
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        arena.close();
        driver.devicePrimaryCtxRelease(context.device());
    }
}
