package hyenac.backends.cuda.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NCCL binding without NCCL: how its absence reads, and its layouts and signatures against nccl.h. */
class NcclTest {

    @Test
    void aMissingLibraryIsOneSentenceSayingContextParallelismOnGpusNeedsIt() {
        var e = assertThrows(CudaUnavailableException.class, () -> Nccl.load("/nonexistent/libnccl.so.2"));
        assertEquals("NCCL not found: libnccl.so.2 could not be loaded (/nonexistent/libnccl.so.2 does not exist);"
                + " context parallelism on GPUs needs NCCL to exchange between the GPUs (set -Dhyenac.cuda.libnccl=PATH"
                + " if it is installed elsewhere); use --target cpu", e.getMessage());
        assertNull(e.getCause(), "nothing behind the sentence to print");
    }

    @Test
    void withoutNcclTheDefaultSearchSaysWhereItLooked() {
        assumeTrue(System.getProperty("hyenac.cuda.libnccl") == null, "an NCCL path is configured");
        try {
            Nccl.load();
            assumeTrue(false, "this machine has NCCL");
        } catch (CudaUnavailableException e) {
            assertEquals("NCCL not found: libnccl.so.2 could not be loaded (not on the library search path, tried"
                    + " libnccl.so.2, libnccl.so, nor in a Python package's nvidia/nccl/lib); context parallelism on GPUs"
                    + " needs NCCL to exchange between the GPUs (set -Dhyenac.cuda.libnccl=PATH if it is installed"
                    + " elsewhere); use --target cpu", e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void thePropertyNamesTheOneFileTried() {
        String before = System.getProperty("hyenac.cuda.libnccl");
        System.setProperty("hyenac.cuda.libnccl", "/nonexistent/nccl/libnccl.so.2");
        try {
            var e = assertThrows(CudaUnavailableException.class, Nccl::load);
            assertTrue(e.getMessage().startsWith("NCCL not found: libnccl.so.2 could not be loaded"
                    + " (/nonexistent/nccl/libnccl.so.2 does not exist)"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty("hyenac.cuda.libnccl");
            else System.setProperty("hyenac.cuda.libnccl", before);
        }
    }

    @Test
    void aLibraryWithoutNcclsEntryPointsIsTooOldNotALinkageError() {
        NativeLibrary libc;
        try {
            libc = NativeLibrary.load(CudaLibrary.NCCL, "libc.so.6");
        } catch (CudaUnavailableException e) {
            assumeTrue(false, "no libc.so.6 to stand in: " + e.getMessage());
            return;
        }
        var e = assertThrows(CudaUnavailableException.class, () -> new Nccl(libc));
        assertEquals("libnccl.so.2 (loaded as libc.so.6) has no symbol ncclGetVersion; this NCCL is too old for"
                + " hyenac, which needs NCCL 2.7 or newer (grouped send and receive)", e.getMessage());
    }

    @Test
    void theUniqueIdIsA128ByteStructPassedByValue() {
        StructLayout id = Nccl.UNIQUE_ID;
        assertEquals(128, Nccl.UNIQUE_ID_BYTES);
        assertEquals(128, id.byteSize());
        assertEquals(1, id.byteAlignment(), "char internal[128]: byte aligned, no padding");
        // ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId commId, int rank): the id by value, third
        assertEquals(List.of(ADDRESS, JAVA_INT, id, JAVA_INT), Nccl.COMM_INIT_RANK.argumentLayouts());
        assertEquals(JAVA_INT, Nccl.COMM_INIT_RANK.returnLayout().orElseThrow());
    }

    @Test
    void theOperationsHaveNcclHsSignatures() {
        // ncclSend(const void*, size_t count, ncclDataType_t, int peer, ncclComm_t, cudaStream_t); ncclRecv alike
        assertEquals(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), Nccl.SEND_RECV);
        // ncclAllGather(const void*, void*, size_t sendcount, ncclDataType_t, ncclComm_t, cudaStream_t); ncclAlltoAll alike
        assertEquals(FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS), Nccl.COLLECTIVE);
        // ncclCommInitAll(ncclComm_t* comms, int ndev, const int* devlist)
        assertEquals(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), Nccl.COMM_INIT_ALL);
        // const char* ncclGetErrorString(ncclResult_t)
        assertEquals(FunctionDescriptor.of(ADDRESS, JAVA_INT), Nccl.GET_ERROR_STRING);
        // ncclCommGetAsyncError(ncclComm_t, ncclResult_t*)
        assertEquals(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), Nccl.COMM_GET_ASYNC_ERROR);
        assertEquals(7, Nccl.FLOAT32, "ncclFloat32");
        assertEquals(MemoryLayout.sequenceLayout(128, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("internal"),
                Nccl.UNIQUE_ID.memberLayouts().getFirst());
    }

    @Test
    void versionsDecodeBothOfNcclsEncodings() {
        assertEquals("2.28.3", Nccl.versionString(22803));
        assertEquals("2.21.5", Nccl.versionString(22105));
        assertEquals("2.9.6", Nccl.versionString(20906));
        assertEquals("2.8.4", Nccl.versionString(2804), "2.8 and before: major·1000 + minor·100 + patch");
        assertEquals("2.28.3", Nccl.versionString(Nccl.ALL_TO_ALL_SINCE));
    }

    @Test
    void failuresNameTheCallTheStatusAndWhatWasBeingDone() {
        assertEquals("ncclSend failed while sending 8 floats from rank 0 to rank 1: ncclInvalidArgument"
                + " (invalid argument)", Nccl.failure("ncclSend", 4, "invalid argument", "sending 8 floats from rank 0 to rank 1"));
        assertEquals("ncclGroupEnd failed: unknown NCCL status 42 (something new)", Nccl.failure("ncclGroupEnd", 42, "something new", null));
        assertEquals("ncclRemoteError", Nccl.statusName(6));
        assertEquals("ncclInProgress", Nccl.statusName(Nccl.IN_PROGRESS));
    }

    @Test
    void aPythonPackagesNcclIsFoundUnderItsSitePackages(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        Path b = dir.resolve("lib/python3.10/dist-packages/nvidia/nccl/lib/libnccl.so.2");
        Path other = dir.resolve("lib/python2.7/site-packages/nvidia/nccl/lib/libnccl.so.2");
        for (Path p : List.of(a, b, other)) {
            Files.createDirectories(p.getParent());
            Files.writeString(p, "");
        }
        Files.createDirectories(dir.resolve("lib/python3.11/site-packages/nvidia"));  // a package without NCCL
        assertEquals(List.of(b, a), Nccl.pythonPackageCandidates(List.of(dir.resolve("lib"), dir.resolve("missing"))));
    }
}
