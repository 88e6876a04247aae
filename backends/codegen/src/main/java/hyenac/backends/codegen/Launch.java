package hyenac.backends.codegen;

import java.util.Map;

/** How a kernel is launched: a grid of blocks, each formula over B and L, and a fixed block shape. */
public record Launch(Extent gridX, Extent gridY, Extent gridZ, int blockX, int blockY, int blockZ) {
    /** Limits every CUDA device since compute capability 3.0 shares (OpenCL's are queried, and larger). */
    public static final long MAX_GRID_X = (1L << 31) - 1, MAX_GRID_YZ = 65535;
    public static final int MAX_THREADS = 1024;

    public Launch {
        if (blockX <= 0 || blockY <= 0 || blockZ <= 0 || (long) blockX * blockY * blockZ > MAX_THREADS) {
            throw new IllegalArgumentException("bad block shape " + blockX + "×" + blockY + "×" + blockZ);
        }
    }

    /** A one-dimensional grid of one-dimensional blocks. */
    public static Launch linear(Extent blocks, int threads) {
        return new Launch(blocks, Extent.of(1), Extent.of(1), threads, 1, 1);
    }

    public int threadsPerBlock() { return blockX * blockY * blockZ; }

    /** The grid for concrete sizes; fails where a dimension exceeds the device limits. */
    public long[] grid(Map<String, Long> sizes) {
        long[] g = {gridX.eval(sizes), gridY.eval(sizes), gridZ.eval(sizes)};
        if (g[0] > MAX_GRID_X || g[1] > MAX_GRID_YZ || g[2] > MAX_GRID_YZ) {
            throw new IllegalArgumentException("grid (" + g[0] + ", " + g[1] + ", " + g[2] + ") exceeds the device limits for " + sizes);
        }
        return g;
    }

    @Override public String toString() {
        return "grid (" + gridX + ", " + gridY + ", " + gridZ + "), block (" + blockX + ", " + blockY + ", " + blockZ + ")";
    }
}
