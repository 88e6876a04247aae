package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.junit.jupiter.api.Test;

/** Needs libcublasLt (descriptors work without a GPU, so the enum values and attribute sizes are checked here). */
class CublasLtTest {

    @Test
    void statusesAreNamedByTheLibrary() {
        CublasLt lt = Libs.cublasLt();
        assertTrue(lt.version() > 0);
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", lt.statusName(15));
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", lt.statusName(1));
        assertNull(lt.statusName(12345));
    }

    /** The library checks each attribute's size: a wrong enum value or width would fail here. */
    @Test
    void everyTypeAndEpilogueIsAcceptedByTheLibrary() {
        CublasLt lt = Libs.cublasLt();
        for (CublasLt.DataType in : CublasLt.DataType.values()) {
            for (CublasLt.DataType out : new CublasLt.DataType[] {in, CublasLt.DataType.F32}) {
                for (CublasLt.Epilogue e : CublasLt.Epilogue.values()) {
                    try (CublasLt.Matmul m = lt.describe(200, 384, 512, in, out, e, 32L << 20, 256)) {
                        assertThrows(IllegalStateException.class, () -> m.run(0, 0, 1, 0, 0, Driver.Stream.DEFAULT),
                                "no algorithm was chosen");
                    }
                }
            }
        }
    }

    @Test
    void planningNeedsAHandle() {
        CublasLt lt = Libs.cublasLt();
        assertThrows(IllegalStateException.class,
                () -> lt.linear(8, 8, 8, CublasLt.DataType.BF16, CublasLt.DataType.BF16, CublasLt.Epilogue.DEFAULT, 0, 256));
    }

    @Test
    void withoutAGpuTheHandleFailsWithANamedStatus() {
        CublasLt lt = Libs.cublasLt();
        assumeFalse(Libs.hasGpu(), "a GPU is present");
        var e = assertThrows(CudaException.class, lt::createHandle);
        assertEquals("cublasLtCreate", e.call());
        assertTrue(e.getMessage().startsWith("cublasLtCreate failed while creating the cuBLASLt handle: CUBLAS_STATUS_"),
                e.getMessage());
    }
}
