package hyenac.backends.cuda.bindings;

import static hyenac.backends.cuda.bindings.NativeLibrary.cString;
import static hyenac.backends.cuda.bindings.NativeLibrary.pointer;
import static hyenac.backends.cuda.bindings.NativeLibrary.rethrow;
import static hyenac.backends.cuda.bindings.NativeLibrary.status;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * NCCL ({@code libnccl.so.2}), the collectives context parallelism needs on GPUs, through FFM downcalls: version,
 * communicators (by unique id per rank, or all of one process's GPUs at once), abort and asynchronous errors,
 * grouped send/receive, all-gather, and all-to-all where the library has it (ncclAlltoAll came in NCCL 2.28;
 * before that an all-to-all is a group of sends and receives). Elements are fp32 ({@link #FLOAT32}); device
 * pointers are {@code long}s and streams the driver's, as everywhere in this package.
 *
 * <p>Loaded only when asked for ({@link #load}), from {@code -Dhyenac.cuda.libnccl}, the loader's search path, or
 * else the {@code nvidia/nccl/lib} of an installed Python package (where the GPU machines have it, beside PyTorch).
 * Every status is checked: a failure throws {@link CudaException} naming the call, NCCL's name for the status, its
 * own words for it (ncclGetErrorString) and what was being done.
 */
public final class Nccl {
    /** Bytes of an ncclUniqueId (NCCL_UNIQUE_ID_BYTES in nccl.h). */
    public static final int UNIQUE_ID_BYTES = 128;

    /** ncclUniqueId: a struct holding 128 opaque bytes, passed by value to ncclCommInitRank. */
    public static final StructLayout UNIQUE_ID = MemoryLayout.structLayout(
            MemoryLayout.sequenceLayout(UNIQUE_ID_BYTES, JAVA_BYTE).withName("internal")).withName("ncclUniqueId");

    /** ncclDataType_t of fp32 (ncclFloat32, also called ncclFloat). */
    public static final int FLOAT32 = 7;

    /** ncclSuccess. */
    public static final int SUCCESS = 0;
    /** ncclInProgress: what a nonblocking communicator reports while an operation is still under way. */
    public static final int IN_PROGRESS = 7;

    /** The first version with ncclAlltoAll, as ncclGetVersion encodes it. */
    static final int ALL_TO_ALL_SINCE = 22803;

    /** ncclResult_t names (nccl.h). ncclGetErrorString gives the words; the names are ours to print. */
    private static final Map<Integer, String> NAMES = Map.of(
            0, "ncclSuccess", 1, "ncclUnhandledCudaError", 2, "ncclSystemError", 3, "ncclInternalError",
            4, "ncclInvalidArgument", 5, "ncclInvalidUsage", 6, "ncclRemoteError", 7, "ncclInProgress");

    /** The status's name, or null for a code NCCL did not define when this was written. */
    public static String statusName(int code) {
        return NAMES.get(code);
    }

    // Descriptors, package-private so the tests check them against nccl.h without a library.
    static final FunctionDescriptor GET_VERSION = fd(ADDRESS);
    static final FunctionDescriptor GET_UNIQUE_ID = fd(ADDRESS);
    static final FunctionDescriptor COMM_INIT_RANK = fd(ADDRESS, JAVA_INT, UNIQUE_ID, JAVA_INT);
    static final FunctionDescriptor COMM_INIT_ALL = fd(ADDRESS, JAVA_INT, ADDRESS);
    static final FunctionDescriptor COMM_ONLY = fd(ADDRESS);
    static final FunctionDescriptor GET_ERROR_STRING = FunctionDescriptor.of(ADDRESS, JAVA_INT);
    static final FunctionDescriptor GET_LAST_ERROR = FunctionDescriptor.of(ADDRESS, ADDRESS);
    static final FunctionDescriptor COMM_GET_ASYNC_ERROR = fd(ADDRESS, ADDRESS);
    static final FunctionDescriptor GROUP = fd();
    /** ncclSend(sendbuff, count, datatype, peer, comm, stream) and ncclRecv, the same with recvbuff. */
    static final FunctionDescriptor SEND_RECV = fd(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
    /** ncclAllGather(sendbuff, recvbuff, sendcount, datatype, comm, stream) and ncclAlltoAll, count per peer. */
    static final FunctionDescriptor COLLECTIVE = fd(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);

    private static FunctionDescriptor fd(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    /** A communicator: one rank of a group, on one GPU. */
    public record Comm(MemorySegment handle, int rank, int device) {}

    private final NativeLibrary lib;
    private final MethodHandle ncclGetVersion, ncclGetUniqueId, ncclCommInitRank, ncclCommInitAll, ncclCommDestroy,
            ncclCommAbort, ncclGetErrorString, ncclCommGetAsyncError, ncclGroupStart, ncclGroupEnd, ncclSend,
            ncclRecv, ncclAllGather;
    /** Null where the library is older than ncclAlltoAll or lacks ncclGetLastError (2.13). */
    private final MethodHandle ncclAlltoAll, ncclGetLastError;
    private final int version;

    Nccl(NativeLibrary lib) {
        this.lib = lib;
        ncclGetVersion = lib.downcall("ncclGetVersion", GET_VERSION);
        ncclGetUniqueId = lib.downcall("ncclGetUniqueId", GET_UNIQUE_ID);
        ncclCommInitRank = lib.downcall("ncclCommInitRank", COMM_INIT_RANK);
        ncclCommInitAll = lib.downcall("ncclCommInitAll", COMM_INIT_ALL);
        ncclCommDestroy = lib.downcall("ncclCommDestroy", COMM_ONLY);
        ncclCommAbort = lib.downcall("ncclCommAbort", COMM_ONLY);
        ncclGetErrorString = lib.downcall("ncclGetErrorString", GET_ERROR_STRING);
        ncclCommGetAsyncError = lib.downcall("ncclCommGetAsyncError", COMM_GET_ASYNC_ERROR);
        ncclGroupStart = lib.downcall("ncclGroupStart", GROUP);
        ncclGroupEnd = lib.downcall("ncclGroupEnd", GROUP);
        ncclSend = lib.downcall("ncclSend", SEND_RECV);
        ncclRecv = lib.downcall("ncclRecv", SEND_RECV);
        ncclAllGather = lib.downcall("ncclAllGather", COLLECTIVE);
        ncclGetLastError = lib.has("ncclGetLastError") ? lib.downcall("ncclGetLastError", GET_LAST_ERROR) : null;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check(status(ncclGetVersion, v), "ncclGetVersion", "asking NCCL's version");
            version = v.get(JAVA_INT, 0);
        }
        // The symbol alone is not enough: the version says the entry point is the one documented with this signature.
        ncclAlltoAll = version >= ALL_TO_ALL_SINCE && lib.has("ncclAlltoAll") ? lib.downcall("ncclAlltoAll", COLLECTIVE) : null;
    }

    /**
     * Loads NCCL from {@code -Dhyenac.cuda.libnccl}, else by soname, else from a Python package's
     * {@code nvidia/nccl/lib}; missing → {@link CudaUnavailableException} saying context parallelism on GPUs needs it.
     */
    public static Nccl load() {
        String override = System.getProperty(CudaLibrary.NCCL.property());
        if (override != null && !override.isBlank()) return new Nccl(NativeLibrary.load(CudaLibrary.NCCL, override));
        try {
            return new Nccl(NativeLibrary.load(CudaLibrary.NCCL, null));
        } catch (CudaUnavailableException notOnSearchPath) {
            if (!notOnSearchPath.getMessage().startsWith("NCCL not found")) throw notOnSearchPath;  // found but too old
            for (Path p : pythonPackageCandidates(pythonLibRoots())) {
                try {
                    return new Nccl(NativeLibrary.load(CudaLibrary.NCCL, p.toString()));
                } catch (CudaUnavailableException refused) {
                    // try the next one; the message below says what was looked for
                }
            }
            throw new CudaUnavailableException(CudaLibrary.NCCL.missingMessage("not on the library search path,"
                    + " tried " + String.join(", ", CudaLibrary.NCCL.sonames())
                    + ", nor in a Python package's nvidia/nccl/lib"));
        }
    }

    /** As {@link #load()}, from {@code library} (a path or soname) only; for tests. */
    static Nccl load(String library) {
        return new Nccl(NativeLibrary.load(CudaLibrary.NCCL, library));
    }

    /** Where Python packages may be installed: lib directories holding python3.* directories. */
    static List<Path> pythonLibRoots() {
        List<Path> roots = new ArrayList<>();
        for (String env : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = System.getenv(env);
            if (v != null && !v.isBlank()) roots.add(Path.of(v, "lib"));
        }
        roots.add(Path.of(System.getProperty("user.home"), ".local", "lib"));
        roots.add(Path.of("/usr/local/lib"));
        roots.add(Path.of("/usr/lib"));
        roots.add(Path.of("/opt/conda/lib"));
        return roots;
    }

    /** {@code ROOT/python3*}/{site,dist}-packages/nvidia/nccl/lib/libnccl.so.2 that exist, in a stable order. */
    static List<Path> pythonPackageCandidates(List<Path> roots) {
        List<Path> found = new ArrayList<>();
        for (Path root : roots) {
            if (!Files.isDirectory(root)) continue;
            List<Path> pythons = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "python3*")) {
                ds.forEach(pythons::add);
            } catch (IOException e) {
                continue;
            }
            pythons.sort(null);
            for (Path py : pythons) {
                for (String packages : List.of("site-packages", "dist-packages")) {
                    Path lib = py.resolve(packages).resolve("nvidia/nccl/lib/libnccl.so.2");
                    if (Files.isRegularFile(lib)) found.add(lib);
                }
            }
        }
        return found;
    }

    public String loadedAs() { return lib.loadedAs(); }

    /** The version as ncclGetVersion encodes it: 22803 for 2.28.3 (2.8 and before: 2803 for 2.8.3). */
    public int version() { return version; }

    /** "2.28.3" from ncclGetVersion's code. */
    public static String versionString(int code) {
        int major, minor, patch;
        if (code >= 10000) {
            major = code / 10000;
            minor = code / 100 % 100;
        } else {
            major = code / 1000;
            minor = code / 100 % 10;
        }
        patch = code % 100;
        return major + "." + minor + "." + patch;
    }

    /** Whether this NCCL has ncclAlltoAll (2.28 and later). */
    public boolean hasAllToAll() { return ncclAlltoAll != null; }

    // ---- errors ----------------------------------------------------------------------------------------

    /** NCCL's own words for a status (ncclGetErrorString). */
    public String errorString(int code) {
        return cString(pointer(ncclGetErrorString, code));
    }

    /** The failure's message: "ncclSend failed while sending ...: ncclInvalidArgument (invalid argument ...)". */
    static String failure(String call, int code, String description, String doing) {
        return CudaErrors.failure("NCCL", call, code, statusName(code), description, doing);
    }

    void check(int result, String call, String doing) {
        if (result != SUCCESS) {
            throw new CudaException(failure(call, result, errorString(result), doing), call, result, statusName(result));
        }
    }

    /** As {@link #check}, adding the communicator's last error (ncclGetLastError) where NCCL has one to add. */
    private void check(int result, String call, String doing, Comm comm) {
        if (result == SUCCESS) return;
        String words = errorString(result);
        String last = lastError(comm);
        String message = failure(call, result, words, doing) + (last == null || last.isBlank() ? "" : "; NCCL says: " + last.strip());
        throw new CudaException(message, call, result, statusName(result));
    }

    /** The communicator's last error text, or null (no ncclGetLastError, or nothing to say). */
    public String lastError(Comm comm) {
        if (ncclGetLastError == null) return null;
        return cString(pointer(ncclGetLastError, comm == null ? MemorySegment.NULL : comm.handle()));
    }

    // ---- communicators ---------------------------------------------------------------------------------

    /** A new ncclUniqueId (128 bytes), which every rank of one group passes to {@link #commInitRank}. */
    public byte[] uniqueId() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment id = a.allocate(UNIQUE_ID);
            check(status(ncclGetUniqueId, id), "ncclGetUniqueId", "making a unique id for a communicator");
            return id.toArray(JAVA_BYTE);
        }
    }

    /**
     * Rank {@code rank} of {@code nranks} joining the group of {@code uniqueId}, on the calling thread's current GPU
     * ({@code device} is recorded for messages). Blocks until every rank has joined.
     */
    public Comm commInitRank(int nranks, byte[] uniqueId, int rank, int device) {
        if (uniqueId.length != UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("an NCCL unique id has " + UNIQUE_ID_BYTES + " bytes, not " + uniqueId.length);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment comm = a.allocate(ADDRESS);
            MemorySegment id = a.allocate(UNIQUE_ID);
            MemorySegment.copy(uniqueId, 0, id, JAVA_BYTE, 0, UNIQUE_ID_BYTES);
            check(status(ncclCommInitRank, comm, nranks, id, rank), "ncclCommInitRank",
                    "joining rank " + rank + " of " + nranks + " to an NCCL communicator");
            return new Comm(comm.get(ADDRESS, 0), rank, device);
        }
    }

    /** One communicator per GPU in {@code devices}, rank i on devices[i], made by this one thread (ncclCommInitAll). */
    public List<Comm> commInitAll(int... devices) {
        if (devices.length < 1) throw new IllegalArgumentException("an NCCL group needs at least one GPU");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment comms = a.allocate(ADDRESS, devices.length);
            MemorySegment list = a.allocateFrom(JAVA_INT, devices);
            check(status(ncclCommInitAll, comms, devices.length, list), "ncclCommInitAll",
                    "making NCCL communicators for " + devices.length + (devices.length == 1 ? " GPU" : " GPUs"));
            List<Comm> out = new ArrayList<>();
            for (int i = 0; i < devices.length; i++) out.add(new Comm(comms.getAtIndex(ADDRESS, i), i, devices[i]));
            return List.copyOf(out);
        }
    }

    /** Frees a communicator after its work is done (it waits for that work). */
    public void commDestroy(Comm comm) {
        check(status(ncclCommDestroy, comm.handle()), "ncclCommDestroy", "destroying the communicator of rank " + comm.rank());
    }

    /**
     * Ends a communicator now, stopping its unfinished operations, and frees it; callable from another thread while
     * the communicator's own thread waits, which is how a stuck collective is ended. The communicator is not usable after.
     */
    public void commAbort(Comm comm) {
        check(status(ncclCommAbort, comm.handle()), "ncclCommAbort", "aborting the communicator of rank " + comm.rank());
    }

    /** The communicator's asynchronous error (ncclSuccess while none): a failure of work already enqueued. */
    public int commGetAsyncError(Comm comm) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(JAVA_INT);
            check(status(ncclCommGetAsyncError, comm.handle(), r), "ncclCommGetAsyncError",
                    "asking rank " + comm.rank() + "'s communicator for errors");
            return r.get(JAVA_INT, 0);
        }
    }

    // ---- operations (enqueued on a stream) -------------------------------------------------------------

    public void groupStart() {
        check(status(ncclGroupStart), "ncclGroupStart", "starting a group of NCCL operations");
    }

    /** Ends a group, launching its operations; {@code doing} says what the group was for. */
    public void groupEnd(String doing) {
        check(status(ncclGroupEnd), "ncclGroupEnd", doing);
    }

    /** Enqueues sending {@code count} fp32 elements at {@code buffer} to rank {@code peer}. */
    public void send(long buffer, long count, int peer, Comm comm, Driver.Stream stream) {
        int r;
        try {
            r = (int) ncclSend.invokeExact(buffer, count, FLOAT32, peer, comm.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(r, "ncclSend", String.format(Locale.ROOT, "sending %d floats from rank %d to rank %d", count, comm.rank(), peer), comm);
    }

    /** Enqueues receiving {@code count} fp32 elements from rank {@code peer} into {@code buffer}. */
    public void recv(long buffer, long count, int peer, Comm comm, Driver.Stream stream) {
        int r;
        try {
            r = (int) ncclRecv.invokeExact(buffer, count, FLOAT32, peer, comm.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(r, "ncclRecv", String.format(Locale.ROOT, "receiving %d floats on rank %d from rank %d", count, comm.rank(), peer), comm);
    }

    /** Enqueues an all-gather: {@code count} elements from every rank, rank p's at {@code recv + p·count}. */
    public void allGather(long send, long recv, long count, Comm comm, Driver.Stream stream) {
        int r;
        try {
            r = (int) ncclAllGather.invokeExact(send, recv, count, FLOAT32, comm.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(r, "ncclAllGather", String.format(Locale.ROOT, "gathering %d floats per rank on rank %d", count, comm.rank()), comm);
    }

    /**
     * Enqueues an all-to-all of {@code count} elements per peer (ncclAlltoAll); only where {@link #hasAllToAll}, else
     * a group of {@link #send}s and {@link #recv}s does the same.
     */
    public void allToAll(long send, long recv, long count, Comm comm, Driver.Stream stream) {
        if (ncclAlltoAll == null) {
            throw new IllegalStateException("NCCL " + versionString(version) + " has no ncclAlltoAll (2.28.3 and later);"
                    + " use grouped send and receive");
        }
        int r;
        try {
            r = (int) ncclAlltoAll.invokeExact(send, recv, count, FLOAT32, comm.handle(), stream.handle());
        } catch (Throwable t) {
            throw rethrow(t);
        }
        check(r, "ncclAlltoAll", String.format(Locale.ROOT, "exchanging %d floats per rank all-to-all on rank %d", count, comm.rank()), comm);
    }
}
