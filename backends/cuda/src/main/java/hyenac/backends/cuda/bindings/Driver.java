package hyenac.backends.cuda.bindings;

import static hyenac.backends.cuda.bindings.NativeLibrary.cString;
import static hyenac.backends.cuda.bindings.NativeLibrary.rethrow;
import static hyenac.backends.cuda.bindings.NativeLibrary.status;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA Driver API ({@code libcuda.so.1}) through FFM downcalls. Methods are named after the entry points
 * they call (the {@code _v2} suffix dropped); every one checks the status and throws {@link CudaException}
 * naming the call, the driver's error name and description, and what was being done. Out-of-memory throws
 * {@link CudaOutOfMemoryException} with the request and the device's free/total memory.
 *
 * <p>Device memory is always an explicit {@code cuMemAlloc} (no managed memory); device pointers are
 * {@code long}s. Host buffers passed to copies must be native segments (off-heap or mapped files); the
 * array overloads stage through a short-lived native buffer. Out-parameters live in a confined arena per call.
 *
 * <p>The driver keeps the current context per thread: call {@link #ctxSetCurrent} (or
 * {@link CudaContext#makeCurrent}) on each thread that issues work.
 */
public final class Driver {
    // CUdevice_attribute values (cuda.h).
    public static final int ATTR_MAX_THREADS_PER_BLOCK = 1;
    public static final int ATTR_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    public static final int ATTR_WARP_SIZE = 10;
    public static final int ATTR_CLOCK_RATE = 13;
    public static final int ATTR_MULTIPROCESSOR_COUNT = 16;
    public static final int ATTR_MEMORY_CLOCK_RATE = 36;
    public static final int ATTR_GLOBAL_MEMORY_BUS_WIDTH = 37;
    public static final int ATTR_L2_CACHE_SIZE = 38;
    public static final int ATTR_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int ATTR_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    // Flags (cuda.h).
    public static final int STREAM_DEFAULT = 0;
    public static final int STREAM_NON_BLOCKING = 1;
    public static final int EVENT_DEFAULT = 0;
    public static final int EVENT_BLOCKING_SYNC = 1;
    public static final int EVENT_DISABLE_TIMING = 2;
    public static final int CAPTURE_MODE_GLOBAL = 0;
    public static final int CAPTURE_MODE_THREAD_LOCAL = 1;
    public static final int CAPTURE_MODE_RELAXED = 2;
    public static final int FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    static final int CUDA_SUCCESS = 0;
    static final int CUDA_ERROR_STUB_LIBRARY = 34;
    static final int CUDA_ERROR_NO_DEVICE = 100;
    static final int CUDA_ERROR_NOT_FOUND = 500;
    static final int CUDA_ERROR_NOT_READY = 600;

    /** A context handle (here always a device's primary context) and the device it belongs to. */
    public record Context(MemorySegment handle, int device) {}

    /** A stream; {@link #DEFAULT} is the legacy NULL stream. */
    public record Stream(MemorySegment handle) {
        public static final Stream DEFAULT = new Stream(MemorySegment.NULL);
    }

    public record Event(MemorySegment handle) {}

    /** A loaded module; {@code name} is only for messages. */
    public record Module(MemorySegment handle, String name) {}

    /** A kernel in a loaded module. */
    public record Function(MemorySegment handle, String name) {}

    public record Graph(MemorySegment handle) {}

    public record GraphExec(MemorySegment handle) {}

    /** Device memory as cuMemGetInfo reports it, in bytes. */
    public record MemInfo(long free, long total) {}

    /** Grid or block dimensions. */
    public record Dim3(int x, int y, int z) {
        public static Dim3 of(int x) { return new Dim3(x, 1, 1); }

        public static Dim3 of(int x, int y) { return new Dim3(x, y, 1); }

        @Override public String toString() { return "(" + x + ", " + y + ", " + z + ")"; }
    }

    private final NativeLibrary lib;

    private final MethodHandle cuInit, cuDriverGetVersion, cuGetErrorName, cuGetErrorString;
    private final MethodHandle cuDeviceGetCount, cuDeviceGet, cuDeviceGetName, cuDeviceGetAttribute,
            cuDeviceTotalMem;
    private final MethodHandle cuDevicePrimaryCtxRetain, cuDevicePrimaryCtxRelease, cuCtxSetCurrent,
            cuCtxSynchronize;
    private final MethodHandle cuMemGetInfo, cuMemAlloc, cuMemFree, cuMemcpyHtoD, cuMemcpyDtoH,
            cuMemcpyDtoDAsync, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuMemsetD8, cuMemsetD8Async;
    private final MethodHandle cuStreamCreate, cuStreamSynchronize, cuStreamQuery, cuStreamDestroy;
    private final MethodHandle cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime,
            cuEventDestroy;
    private final MethodHandle cuModuleLoadData, cuModuleGetFunction, cuModuleUnload, cuFuncSetAttribute,
            cuLaunchKernel, cuLaunchKernelEx;
    private final MethodHandle cuStreamBeginCapture, cuStreamEndCapture, cuGraphInstantiateWithFlags,
            cuGraphLaunch, cuGraphExecDestroy, cuGraphDestroy;

    private static FunctionDescriptor fd(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    Driver(NativeLibrary lib) {
        this.lib = lib;
        // Every symbol is bound here, so a driver too old for any of them fails at load with one message.
        cuInit = lib.downcall("cuInit", fd(JAVA_INT));
        cuDriverGetVersion = lib.downcall("cuDriverGetVersion", fd(ADDRESS));
        cuGetErrorName = lib.downcall("cuGetErrorName", fd(JAVA_INT, ADDRESS));
        cuGetErrorString = lib.downcall("cuGetErrorString", fd(JAVA_INT, ADDRESS));

        cuDeviceGetCount = lib.downcall("cuDeviceGetCount", fd(ADDRESS));
        cuDeviceGet = lib.downcall("cuDeviceGet", fd(ADDRESS, JAVA_INT));
        cuDeviceGetName = lib.downcall("cuDeviceGetName", fd(ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceGetAttribute = lib.downcall("cuDeviceGetAttribute", fd(ADDRESS, JAVA_INT, JAVA_INT));
        cuDeviceTotalMem = lib.downcall("cuDeviceTotalMem_v2", fd(ADDRESS, JAVA_INT));

        // The primary context is the one cuBLASLt and cuFFT (built on the runtime API) use too.
        cuDevicePrimaryCtxRetain = lib.downcall("cuDevicePrimaryCtxRetain", fd(ADDRESS, JAVA_INT));
        cuDevicePrimaryCtxRelease = lib.downcall("cuDevicePrimaryCtxRelease_v2", fd(JAVA_INT));
        cuCtxSetCurrent = lib.downcall("cuCtxSetCurrent", fd(ADDRESS));
        cuCtxSynchronize = lib.downcall("cuCtxSynchronize", fd());

        cuMemGetInfo = lib.downcall("cuMemGetInfo_v2", fd(ADDRESS, ADDRESS));
        cuMemAlloc = lib.downcall("cuMemAlloc_v2", fd(ADDRESS, JAVA_LONG));
        cuMemFree = lib.downcall("cuMemFree_v2", fd(JAVA_LONG));
        cuMemcpyHtoD = lib.downcall("cuMemcpyHtoD_v2", fd(JAVA_LONG, ADDRESS, JAVA_LONG));
        cuMemcpyDtoH = lib.downcall("cuMemcpyDtoH_v2", fd(ADDRESS, JAVA_LONG, JAVA_LONG));
        cuMemcpyDtoDAsync = lib.downcall("cuMemcpyDtoDAsync_v2", fd(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        cuMemcpyHtoDAsync = lib.downcall("cuMemcpyHtoDAsync_v2", fd(JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
        cuMemcpyDtoHAsync = lib.downcall("cuMemcpyDtoHAsync_v2", fd(ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        cuMemsetD8 = lib.downcall("cuMemsetD8_v2", fd(JAVA_LONG, JAVA_BYTE, JAVA_LONG));
        cuMemsetD8Async = lib.downcall("cuMemsetD8Async", fd(JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS));

        cuStreamCreate = lib.downcall("cuStreamCreate", fd(ADDRESS, JAVA_INT));
        cuStreamSynchronize = lib.downcall("cuStreamSynchronize", fd(ADDRESS));
        cuStreamQuery = lib.downcall("cuStreamQuery", fd(ADDRESS));
        cuStreamDestroy = lib.downcall("cuStreamDestroy_v2", fd(ADDRESS));

        cuEventCreate = lib.downcall("cuEventCreate", fd(ADDRESS, JAVA_INT));
        cuEventRecord = lib.downcall("cuEventRecord", fd(ADDRESS, ADDRESS));
        cuEventSynchronize = lib.downcall("cuEventSynchronize", fd(ADDRESS));
        // CUDA 12.8+ drivers export a _v2 (what cuda.h 13 maps the name to); older ones only the original.
        cuEventElapsedTime = lib.downcallFirst(fd(ADDRESS, ADDRESS, ADDRESS),
                "cuEventElapsedTime_v2", "cuEventElapsedTime");
        cuEventDestroy = lib.downcall("cuEventDestroy_v2", fd(ADDRESS));

        cuModuleLoadData = lib.downcall("cuModuleLoadData", fd(ADDRESS, ADDRESS));
        cuModuleGetFunction = lib.downcall("cuModuleGetFunction", fd(ADDRESS, ADDRESS, ADDRESS));
        cuModuleUnload = lib.downcall("cuModuleUnload", fd(ADDRESS));
        cuFuncSetAttribute = lib.downcall("cuFuncSetAttribute", fd(ADDRESS, JAVA_INT, JAVA_INT));
        cuLaunchKernel = lib.downcall("cuLaunchKernel", fd(ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

        cuLaunchKernelEx = lib.downcall("cuLaunchKernelEx", fd(ADDRESS, ADDRESS, ADDRESS, ADDRESS));

        cuStreamBeginCapture = lib.downcall("cuStreamBeginCapture_v2", fd(ADDRESS, JAVA_INT));
        cuStreamEndCapture = lib.downcall("cuStreamEndCapture", fd(ADDRESS, ADDRESS));
        cuGraphInstantiateWithFlags = lib.downcall("cuGraphInstantiateWithFlags",
                fd(ADDRESS, ADDRESS, JAVA_LONG));
        cuGraphLaunch = lib.downcall("cuGraphLaunch", fd(ADDRESS, ADDRESS));
        cuGraphExecDestroy = lib.downcall("cuGraphExecDestroy", fd(ADDRESS));
        cuGraphDestroy = lib.downcall("cuGraphDestroy", fd(ADDRESS));
    }

    /**
     * Loads {@code libcuda.so.1} (or the file named by {@code -Dhyenac.cuda.libcuda}) and binds every entry
     * point. Does not initialise the driver: call {@link #init()}.
     */
    public static Driver load() {
        return new Driver(NativeLibrary.load(CudaLibrary.DRIVER));
    }

    /** As {@link #load()}, from {@code library} (a path or soname) instead; for tests. */
    static Driver load(String library) {
        return new Driver(NativeLibrary.load(CudaLibrary.DRIVER, library));
    }

    /** The name or path the driver library was loaded as. */
    public String loadedAs() { return lib.loadedAs(); }

    // ---- errors ----------------------------------------------------------------------------------------

    /** The driver's name for a status (e.g. CUDA_ERROR_OUT_OF_MEMORY); null if neither it nor we know it. */
    public String errorName(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if (status(cuGetErrorName, code, out) == CUDA_SUCCESS) {
                String s = cString(out.get(ADDRESS, 0));
                if (s != null) return s;
            }
        }
        return CudaErrors.driverErrorName(code);
    }

    /** The driver's description of a status (e.g. "out of memory"); null if it does not know it. */
    public String errorString(int code) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            if (status(cuGetErrorString, code, out) == CUDA_SUCCESS) return cString(out.get(ADDRESS, 0));
        }
        return null;
    }

    /** Throws unless {@code result} is CUDA_SUCCESS. */
    void check(int result, String call, String doing) {
        if (result != CUDA_SUCCESS) throw error(result, call, doing, -1);
    }

    /** The exception for a failed call; out-of-memory asks the driver how much is free. */
    CudaException error(int result, String call, String doing, long requestedBytes) {
        String name = errorName(result);
        String description = errorString(result);
        if (result == CudaErrors.CUDA_ERROR_OUT_OF_MEMORY) {
            long free = -1, total = -1;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
                if (status(cuMemGetInfo, f, t) == CUDA_SUCCESS) {
                    free = f.get(JAVA_LONG, 0);
                    total = t.get(JAVA_LONG, 0);
                }
            }
            return new CudaOutOfMemoryException(CudaErrors.outOfMemory(call, name, description, doing, free, total),
                    call, result, name, requestedBytes, free, total);
        }
        return new CudaException(CudaErrors.failure("CUDA", call, result, name, description, doing),
                call, result, name);
    }

    // ---- initialisation and devices --------------------------------------------------------------------

    /**
     * cuInit. Any failure here means the cuda target cannot run on this machine, so it is reported as
     * {@link CudaUnavailableException}: no GPU, the toolkit's stub library instead of a driver, or a broken
     * installation.
     */
    public void init() {
        int r = status(cuInit, 0);
        if (r == CUDA_SUCCESS) return;
        String name = errorName(r), description = errorString(r);
        String status = name == null ? "status " + r : description == null ? name : name + " (" + description + ")";
        String loaded = " from " + lib.loadedAs();
        throw new CudaUnavailableException(switch (r) {
            case CUDA_ERROR_NO_DEVICE -> "no NVIDIA GPU found: cuInit returned " + status + loaded
                    + "; the cuda target needs an NVIDIA GPU and driver; use --target cpu";
            case CUDA_ERROR_STUB_LIBRARY -> "no NVIDIA driver found: " + lib.loadedAs()
                    + " is the CUDA toolkit's stub library, not a driver (cuInit returned " + status
                    + "); the cuda target needs an NVIDIA GPU and driver; use --target cpu";
            default -> "the NVIDIA driver could not be initialised: cuInit returned " + status + loaded
                    + "; check the GPU and driver with nvidia-smi, or use --target cpu";
        });
    }

    /** The driver's CUDA version as an int, e.g. 13000 for 13.0. */
    public int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(status(cuDriverGetVersion, v), "cuDriverGetVersion", "asking the driver's CUDA version");
            return v.get(JAVA_INT, 0);
        }
    }

    public int deviceGetCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check(status(cuDeviceGetCount, n), "cuDeviceGetCount", "counting GPUs");
            return n.get(JAVA_INT, 0);
        }
    }

    /** The CUdevice of GPU {@code ordinal}. */
    public int deviceGet(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check(status(cuDeviceGet, d, ordinal), "cuDeviceGet", "opening GPU " + ordinal);
            return d.get(JAVA_INT, 0);
        }
    }

    public String deviceGetName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocate(256);
            check(status(cuDeviceGetName, name, 256, device), "cuDeviceGetName", "asking GPU " + device + "'s name");
            return name.getString(0);
        }
    }

    /** One CUdevice_attribute (see the ATTR_ constants). */
    public int deviceGetAttribute(int device, int attribute) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(status(cuDeviceGetAttribute, v, attribute, device), "cuDeviceGetAttribute",
                    "reading attribute " + attribute + " of GPU " + device);
            return v.get(JAVA_INT, 0);
        }
    }

    public long deviceTotalMem(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check(status(cuDeviceTotalMem, v, device), "cuDeviceTotalMem_v2", "asking GPU " + device + "'s memory");
            return v.get(JAVA_LONG, 0);
        }
    }

    /** Name, compute capability, SMs, clocks and memory of GPU {@code ordinal}. */
    public DeviceInfo deviceInfo(int ordinal) {
        int d = deviceGet(ordinal);
        return new DeviceInfo(ordinal, deviceGetName(d),
                deviceGetAttribute(d, ATTR_COMPUTE_CAPABILITY_MAJOR),
                deviceGetAttribute(d, ATTR_COMPUTE_CAPABILITY_MINOR),
                deviceGetAttribute(d, ATTR_MULTIPROCESSOR_COUNT),
                deviceGetAttribute(d, ATTR_CLOCK_RATE),
                deviceGetAttribute(d, ATTR_MEMORY_CLOCK_RATE),
                deviceGetAttribute(d, ATTR_GLOBAL_MEMORY_BUS_WIDTH),
                deviceGetAttribute(d, ATTR_L2_CACHE_SIZE),
                deviceGetAttribute(d, ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN),
                deviceTotalMem(d));
    }

    // ---- contexts --------------------------------------------------------------------------------------

    /** Retains the device's primary context (created on first retain); release it with the same device. */
    public Context devicePrimaryCtxRetain(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(ADDRESS);
            check(status(cuDevicePrimaryCtxRetain, c, device), "cuDevicePrimaryCtxRetain",
                    "creating the context of GPU " + device);
            return new Context(c.get(ADDRESS, 0), device);
        }
    }

    public void devicePrimaryCtxRelease(int device) {
        check(status(cuDevicePrimaryCtxRelease, device), "cuDevicePrimaryCtxRelease_v2",
                "releasing the context of GPU " + device);
    }

    /** Binds {@code ctx} to the calling thread. */
    public void ctxSetCurrent(Context ctx) {
        check(status(cuCtxSetCurrent, ctx.handle()), "cuCtxSetCurrent", "making GPU " + ctx.device() + " current");
    }

    /** Waits for all work in the current context; asynchronous kernel faults surface here. */
    public void ctxSynchronize(String doing) {
        check(status(cuCtxSynchronize), "cuCtxSynchronize", doing);
    }

    // ---- memory ----------------------------------------------------------------------------------------

    public MemInfo memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check(status(cuMemGetInfo, f, t), "cuMemGetInfo_v2", "asking how much GPU memory is free");
            return new MemInfo(f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0));
        }
    }

    /**
     * Allocates {@code bytes} of device memory for {@code what} (a tensor name or a purpose, used in messages)
     * and returns the device pointer.
     */
    public long memAlloc(long bytes, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            int r = status(cuMemAlloc, p, bytes);
            if (r != CUDA_SUCCESS) {
                throw error(r, "cuMemAlloc_v2", "allocating " + CudaErrors.bytes(bytes) + forWhat(what), bytes);
            }
            return p.get(JAVA_LONG, 0);
        }
    }

    public void memFree(long devicePointer, String what) {
        check(status(cuMemFree, devicePointer), "cuMemFree_v2", "freeing device memory" + forWhat(what));
    }

    /** Copies all of {@code src} (a native segment) to {@code dst}; synchronous. */
    public void memcpyHtoD(long dst, MemorySegment src, String what) {
        check(status(cuMemcpyHtoD, dst, src, src.byteSize()), "cuMemcpyHtoD_v2",
                "copying " + CudaErrors.bytes(src.byteSize()) + " to the GPU" + forWhat(what));
    }

    /** Fills all of {@code dst} (a native segment) from {@code src}; synchronous. */
    public void memcpyDtoH(MemorySegment dst, long src, String what) {
        check(status(cuMemcpyDtoH, dst, src, dst.byteSize()), "cuMemcpyDtoH_v2",
                "copying " + CudaErrors.bytes(dst.byteSize()) + " from the GPU" + forWhat(what));
    }

    public void memcpyHtoD(long dst, float[] src, String what) {
        try (Arena a = Arena.ofConfined()) {
            memcpyHtoD(dst, a.allocateFrom(JAVA_FLOAT, src), what);
        }
    }

    public void memcpyHtoD(long dst, short[] src, String what) {
        try (Arena a = Arena.ofConfined()) {
            memcpyHtoD(dst, a.allocateFrom(JAVA_SHORT, src), what);
        }
    }

    public float[] memcpyDtoHFloats(long src, int count, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_FLOAT, count);
            memcpyDtoH(host, src, what);
            return host.toArray(JAVA_FLOAT);
        }
    }

    public short[] memcpyDtoHShorts(long src, int count, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(JAVA_SHORT, count);
            memcpyDtoH(host, src, what);
            return host.toArray(JAVA_SHORT);
        }
    }

    public void memcpyDtoDAsync(long dst, long src, long bytes, Stream stream, String what) {
        int r;
        try {
            r = (int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) {
            throw error(r, "cuMemcpyDtoDAsync_v2", "copying " + CudaErrors.bytes(bytes) + " on the GPU" + forWhat(what), -1);
        }
    }

    /**
     * Enqueues a copy of all of {@code src} (a native segment) to {@code dst} on {@code stream}. From ordinary
     * (pageable) host memory the driver stages the bytes before it returns, so {@code src} may be freed then.
     */
    public void memcpyHtoDAsync(long dst, MemorySegment src, Stream stream, String what) {
        check(status(cuMemcpyHtoDAsync, dst, src, src.byteSize(), stream.handle()), "cuMemcpyHtoDAsync_v2",
                "copying " + CudaErrors.bytes(src.byteSize()) + " to the GPU" + forWhat(what));
    }

    /**
     * Enqueues a copy filling all of {@code dst} (a native segment) from {@code src} on {@code stream}; read
     * {@code dst} only after the stream is synchronised. Into pageable host memory the call waits for the copy.
     */
    public void memcpyDtoHAsync(MemorySegment dst, long src, Stream stream, String what) {
        check(status(cuMemcpyDtoHAsync, dst, src, dst.byteSize(), stream.handle()), "cuMemcpyDtoHAsync_v2",
                "copying " + CudaErrors.bytes(dst.byteSize()) + " from the GPU" + forWhat(what));
    }

    public void memsetD8(long dst, byte value, long count, String what) {
        check(status(cuMemsetD8, dst, value, count), "cuMemsetD8_v2",
                "filling " + CudaErrors.bytes(count) + forWhat(what));
    }

    public void memsetD8Async(long dst, byte value, long count, Stream stream, String what) {
        int r;
        try {
            r = (int) cuMemsetD8Async.invokeExact(dst, value, count, stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) throw error(r, "cuMemsetD8Async", "filling " + CudaErrors.bytes(count) + forWhat(what), -1);
    }

    private static String forWhat(String what) {
        return what == null || what.isBlank() ? "" : " for " + what;
    }

    // ---- streams and events ----------------------------------------------------------------------------

    public Stream streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            check(status(cuStreamCreate, s, flags), "cuStreamCreate", "creating a stream");
            return new Stream(s.get(ADDRESS, 0));
        }
    }

    /** Waits for the stream; a kernel fault from earlier asynchronous work surfaces here, described by {@code doing}. */
    public void streamSynchronize(Stream stream, String doing) {
        check(status(cuStreamSynchronize, stream.handle()), "cuStreamSynchronize", doing);
    }

    /**
     * Whether every piece of work enqueued on {@code stream} has finished (cuStreamQuery), without waiting: a
     * caller can then bound how long it waits. A fault of earlier work surfaces here, described by {@code doing}.
     */
    public boolean streamQuery(Stream stream, String doing) {
        int r = status(cuStreamQuery, stream.handle());
        if (r == CUDA_ERROR_NOT_READY) return false;
        check(r, "cuStreamQuery", doing);
        return true;
    }

    public void streamDestroy(Stream stream) {
        check(status(cuStreamDestroy, stream.handle()), "cuStreamDestroy_v2", "destroying a stream");
    }

    public Event eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            check(status(cuEventCreate, e, flags), "cuEventCreate", "creating an event");
            return new Event(e.get(ADDRESS, 0));
        }
    }

    public void eventRecord(Event event, Stream stream) {
        int r;
        try {
            r = (int) cuEventRecord.invokeExact(event.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) throw error(r, "cuEventRecord", "recording an event", -1);
    }

    public void eventSynchronize(Event event) {
        check(status(cuEventSynchronize, event.handle()), "cuEventSynchronize", "waiting for an event");
    }

    /** Milliseconds between two recorded, completed events (resolution about half a microsecond). */
    public float eventElapsedTime(Event start, Event end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            check(status(cuEventElapsedTime, ms, start.handle(), end.handle()), "cuEventElapsedTime",
                    "timing between two events");
            return ms.get(JAVA_FLOAT, 0);
        }
    }

    public void eventDestroy(Event event) {
        check(status(cuEventDestroy, event.handle()), "cuEventDestroy_v2", "destroying an event");
    }

    // ---- modules and launches --------------------------------------------------------------------------

    /**
     * Loads a CUBIN or PTX image (PTX must end with a NUL byte, as NVRTC returns it). The driver copies the
     * image, so the bytes need not outlive the call. {@code name} is only for messages.
     */
    public Module moduleLoadData(byte[] image, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment img = a.allocate(image.length + 1L);  // the extra zero keeps a PTX text terminated
            MemorySegment.copy(image, 0, img, JAVA_BYTE, 0, image.length);
            MemorySegment m = a.allocate(ADDRESS);
            check(status(cuModuleLoadData, m, img), "cuModuleLoadData", "loading the module of " + name);
            return new Module(m.get(ADDRESS, 0), name);
        }
    }

    /** The kernel {@code name}; it must be declared {@code extern "C"} so its name is not mangled. */
    public Function moduleGetFunction(Module module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(ADDRESS);
            int r = status(cuModuleGetFunction, f, module.handle(), a.allocateFrom(name));
            if (r != CUDA_SUCCESS) {
                String doing = "looking up kernel " + name + " in the module of " + module.name()
                        + (r == CUDA_ERROR_NOT_FOUND ? " (a kernel must be declared extern \"C\" to be found by name)" : "");
                throw error(r, "cuModuleGetFunction", doing, -1);
            }
            return new Function(f.get(ADDRESS, 0), name);
        }
    }

    public void moduleUnload(Module module) {
        check(status(cuModuleUnload, module.handle()), "cuModuleUnload", "unloading the module of " + module.name());
    }

    /** Sets a CUfunction_attribute, e.g. raising the dynamic shared memory limit above 48 KiB. */
    public void funcSetAttribute(Function function, int attribute, int value) {
        check(status(cuFuncSetAttribute, function.handle(), attribute, value), "cuFuncSetAttribute",
                "setting attribute " + attribute + " of kernel " + function.name() + " to " + value);
    }

    /** Enqueues a kernel on {@code stream}. Faults inside the kernel show up at the next synchronisation. */
    public void launchKernel(Function f, Dim3 grid, Dim3 block, int sharedMemBytes, Stream stream, KernelArgs args) {
        int r;
        try {
            r = (int) cuLaunchKernel.invokeExact(f.handle(), grid.x(), grid.y(), grid.z(),
                    block.x(), block.y(), block.z(), sharedMemBytes, stream.handle(), args.array(), MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) {
            throw error(r, "cuLaunchKernel", "launching kernel " + f.name() + " with grid " + grid + ", block " + block
                    + ", " + sharedMemBytes + " bytes of dynamic shared memory and " + args.count() + " arguments", -1);
        }
    }

    /** CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION: the launch may overlap the previous kernel of its stream. */
    private static final int LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION = 6;
    /** CUlaunchConfig: seven unsigned ints (grid, block, shared bytes), the stream, the attributes and their count. */
    private static final long CONFIG_BYTES = 56, CONFIG_STREAM = 32, CONFIG_ATTRS = 40, CONFIG_COUNT = 48;
    /** CUlaunchAttribute: the id padded to 8 bytes, then a 64-byte value. */
    private static final long ATTRIBUTE_BYTES = 72, ATTRIBUTE_VALUE = 8;

    /**
     * As {@link #launchKernel}, but the kernel may start while the previous kernel of {@code stream} is still running
     * (programmatic dependent launch, compute capability 9.0 on): only for a kernel that waits for its predecessors
     * before it touches what they write or read ({@code griddepcontrol.wait}). Captured into a graph, it becomes a
     * programmatic edge.
     */
    public void launchKernelOverlapping(Function f, Dim3 grid, Dim3 block, int sharedMemBytes, Stream stream, KernelArgs args) {
        int r;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attribute = a.allocate(ATTRIBUTE_BYTES, 8);
            attribute.set(JAVA_INT, 0, LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
            attribute.set(JAVA_INT, ATTRIBUTE_VALUE, 1);
            MemorySegment config = a.allocate(CONFIG_BYTES, 8);
            int[] dims = {grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedMemBytes};
            for (int i = 0; i < dims.length; i++) config.set(JAVA_INT, 4L * i, dims[i]);
            config.set(ADDRESS, CONFIG_STREAM, stream.handle());
            config.set(ADDRESS, CONFIG_ATTRS, attribute);
            config.set(JAVA_INT, CONFIG_COUNT, 1);
            r = (int) cuLaunchKernelEx.invokeExact(config, f.handle(), args.array(), MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) {
            throw error(r, "cuLaunchKernelEx", "launching kernel " + f.name() + " to overlap its predecessor with grid " + grid + ", block " + block
                    + ", " + sharedMemBytes + " bytes of dynamic shared memory and " + args.count() + " arguments", -1);
        }
    }

    // ---- graphs (by stream capture) --------------------------------------------------------------------

    /** Starts recording the work enqueued on {@code stream} (see the CAPTURE_MODE_ constants). */
    public void streamBeginCapture(Stream stream, int mode) {
        check(status(cuStreamBeginCapture, stream.handle(), mode), "cuStreamBeginCapture_v2",
                "starting to capture a graph");
    }

    public Graph streamEndCapture(Stream stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocate(ADDRESS);
            check(status(cuStreamEndCapture, stream.handle(), g), "cuStreamEndCapture", "finishing a graph capture");
            return new Graph(g.get(ADDRESS, 0));
        }
    }

    public GraphExec graphInstantiate(Graph graph, long flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(ADDRESS);
            check(status(cuGraphInstantiateWithFlags, e, graph.handle(), flags), "cuGraphInstantiateWithFlags",
                    "instantiating a captured graph");
            return new GraphExec(e.get(ADDRESS, 0));
        }
    }

    public void graphLaunch(GraphExec exec, Stream stream) {
        int r;
        try {
            r = (int) cuGraphLaunch.invokeExact(exec.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (r != CUDA_SUCCESS) throw error(r, "cuGraphLaunch", "launching a graph", -1);
    }

    public void graphExecDestroy(GraphExec exec) {
        check(status(cuGraphExecDestroy, exec.handle()), "cuGraphExecDestroy", "destroying an instantiated graph");
    }

    public void graphDestroy(Graph graph) {
        check(status(cuGraphDestroy, graph.handle()), "cuGraphDestroy", "destroying a graph");
    }
}
