package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.Kernel;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import java.util.List;

/**
 * A kernel as a generator makes it, before it is tied to graph nodes: the built kernel, how to launch
 * it, what its arguments hold, and a few lines saying what it computes (for the header comment).
 */
public record GeneratedKernel(String name, Kernel kernel, Launch launch, List<KernelParam> params, List<String> about) {
    public GeneratedKernel {
        params = List.copyOf(params);
        about = List.copyOf(about);
        if (launch.threadsPerBlock() != kernel.threadsPerBlock()) {
            throw new IllegalArgumentException(kernel.entry() + ": launch has " + launch.threadsPerBlock() + " threads per block, the kernel "
                    + kernel.threadsPerBlock());
        }
        if (params.size() != kernel.params().size()) throw new IllegalArgumentException(kernel.entry() + ": parameter descriptions do not match");
    }

    public String entry() { return kernel.entry(); }
}
