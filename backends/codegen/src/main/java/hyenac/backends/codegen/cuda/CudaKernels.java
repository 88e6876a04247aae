package hyenac.backends.codegen.cuda;

import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.codegen.kernels.SourceLines;

/** The kernel generator in the CUDA dialect. */
public final class CudaKernels extends Kernels {
    public CudaKernels() { super(CudaDialect.INSTANCE); }

    public CudaKernels(SourceLines lines) { super(CudaDialect.INSTANCE, lines); }
}
