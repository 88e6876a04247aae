package hyenac.backends.cuda.bindings;

/**
 * What the driver says about one GPU. Clocks are in kHz as the driver reports them; memory in bytes.
 */
public record DeviceInfo(int ordinal, String name, int computeMajor, int computeMinor, int multiprocessors,
                         int clockKHz, int memoryClockKHz, int memoryBusWidthBits, int l2CacheBytes,
                         int maxSharedMemoryPerBlockOptin, long totalMemoryBytes) {

    /** The real architecture NVRTC compiles for, e.g. {@code sm_90}. */
    public String arch() {
        return "sm_" + computeMajor + computeMinor;
    }

    /**
     * Fails where one block of {@code kernel} needs more shared memory than this GPU gives a block (by opt-in), naming
     * the kernel, its bytes and the limit: such a kernel cannot launch here.
     */
    public void requireSharedMemoryPerBlock(String kernel, int bytes) {
        if (bytes > maxSharedMemoryPerBlockOptin) {
            throw new UnsupportedOperationException("kernel " + kernel + " needs " + bytes + " bytes of shared memory per block; GPU " + ordinal + " ("
                    + name + ", " + arch() + ") gives a block at most " + maxSharedMemoryPerBlockOptin);
        }
    }

    /** Peak DRAM bandwidth in bytes/s from the memory clock and bus width (two transfers per clock). */
    public double peakBandwidthBytesPerSecond() {
        return 2.0 * memoryClockKHz * 1e3 * memoryBusWidthBits / 8.0;
    }

    @Override public String toString() {
        return String.format(java.util.Locale.ROOT, "GPU %d: %s, %s, %d SMs at %d MHz, %s, %.0f GB/s peak",
                ordinal, name, arch(), multiprocessors, clockKHz / 1000, CudaErrors.bytes(totalMemoryBytes),
                peakBandwidthBytesPerSecond() / 1e9);
    }
}
