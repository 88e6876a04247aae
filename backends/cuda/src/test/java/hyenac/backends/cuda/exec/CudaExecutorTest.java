package hyenac.backends.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import hyenac.backends.codegen.Precision;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.Libs;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import org.junit.jupiter.api.Test;

/** What the executor does on a machine without a GPU (the GPU side is checked by GpuCheck). */
class CudaExecutorTest {
    @Test
    void withoutAGpuConstructionFailsCleanly() {
        assumeFalse(Libs.hasGpu(), "this machine has a GPU");
        Graph g = Samples.graph("sh2-tiny.hyena");
        var e = assertThrows(CudaUnavailableException.class, () -> new CudaExecutor(new KernelPipeline(g, CudaTarget.lowering(Precision.FP32)), WeightStore.random(g, 1)));
        assertTrue(e.getMessage().endsWith("use --target cpu"), e.getMessage());
    }
}
