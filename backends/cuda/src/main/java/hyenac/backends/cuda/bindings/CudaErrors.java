package hyenac.backends.cuda.bindings;

import java.util.Locale;
import java.util.Map;

/**
 * How a failed call is worded, shared by every library binding. Pure functions, so the wording is tested
 * without a GPU.
 */
public final class CudaErrors {
    private CudaErrors() {}

    /** CUDA_ERROR_OUT_OF_MEMORY, the one driver status worded differently. */
    public static final int CUDA_ERROR_OUT_OF_MEMORY = 2;

    /**
     * Names of the driver statuses seen most often (values from cuda.h). Used only when the driver cannot name
     * a status itself, e.g. when it is not loaded.
     */
    private static final Map<Integer, String> DRIVER_NAMES = Map.ofEntries(
            Map.entry(0, "CUDA_SUCCESS"),
            Map.entry(1, "CUDA_ERROR_INVALID_VALUE"),
            Map.entry(2, "CUDA_ERROR_OUT_OF_MEMORY"),
            Map.entry(3, "CUDA_ERROR_NOT_INITIALIZED"),
            Map.entry(4, "CUDA_ERROR_DEINITIALIZED"),
            Map.entry(34, "CUDA_ERROR_STUB_LIBRARY"),
            Map.entry(46, "CUDA_ERROR_DEVICE_UNAVAILABLE"),
            Map.entry(100, "CUDA_ERROR_NO_DEVICE"),
            Map.entry(101, "CUDA_ERROR_INVALID_DEVICE"),
            Map.entry(200, "CUDA_ERROR_INVALID_IMAGE"),
            Map.entry(201, "CUDA_ERROR_INVALID_CONTEXT"),
            Map.entry(209, "CUDA_ERROR_NO_BINARY_FOR_GPU"),
            Map.entry(218, "CUDA_ERROR_INVALID_PTX"),
            Map.entry(222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
            Map.entry(400, "CUDA_ERROR_INVALID_HANDLE"),
            Map.entry(500, "CUDA_ERROR_NOT_FOUND"),
            Map.entry(600, "CUDA_ERROR_NOT_READY"),
            Map.entry(700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            Map.entry(701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"),
            Map.entry(702, "CUDA_ERROR_LAUNCH_TIMEOUT"),
            Map.entry(719, "CUDA_ERROR_LAUNCH_FAILED"),
            Map.entry(803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"),
            Map.entry(900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
            Map.entry(901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"),
            Map.entry(999, "CUDA_ERROR_UNKNOWN"));

    /** The local name for a driver status, or null if it is not one of the common ones. */
    public static String driverErrorName(int code) {
        return DRIVER_NAMES.get(code);
    }

    /** Bytes in the unit a person reads at a glance: "512 B", "12.0 KiB", "2.1 GiB". */
    public static String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        do {
            v /= 1024;
            u++;
        } while (v >= 1024 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /**
     * A failed call: {@code "cuModuleLoadData failed while loading the module of kernel saxpy:
     * CUDA_ERROR_INVALID_PTX (a PTX JIT compilation failed)"}. A status the library could not name reads
     * "unknown <library> status N".
     */
    public static String failure(String library, String call, int code, String name, String description,
                                 String doing) {
        StringBuilder sb = new StringBuilder(call).append(" failed");
        if (doing != null && !doing.isBlank()) sb.append(" while ").append(doing);
        sb.append(": ").append(statusText(library, code, name, description));
        return sb.toString();
    }

    /**
     * Out of device memory: {@code "out of GPU memory while allocating 2.1 GiB for layers.3.mixer.proj_in.weight:
     * cuMemAlloc_v2 returned CUDA_ERROR_OUT_OF_MEMORY (out of memory); 1.3 GiB of 79.1 GiB is free on the
     * device; ..."}. {@code free}/{@code total} of -1 mean the driver could not be asked.
     */
    public static String outOfMemory(String call, String name, String description, String doing,
                                     long free, long total) {
        StringBuilder sb = new StringBuilder("out of GPU memory");
        if (doing != null && !doing.isBlank()) sb.append(" while ").append(doing);
        sb.append(": ").append(call).append(" returned ")
                .append(statusText("CUDA", CUDA_ERROR_OUT_OF_MEMORY, name, description));
        if (free >= 0 && total > 0) {
            sb.append("; ").append(bytes(free)).append(" of ").append(bytes(total)).append(" is free on the device");
        } else {
            sb.append("; the free device memory could not be queried");
        }
        sb.append("; use a smaller batch or shorter sequences, or --target cpu");
        return sb.toString();
    }

    private static String statusText(String library, int code, String name, String description) {
        if (name == null) {
            return "unknown " + library + " status " + code
                    + (description == null ? "" : " (" + description + ")");
        }
        return description == null || description.equals(name) ? name : name + " (" + description + ")";
    }
}
