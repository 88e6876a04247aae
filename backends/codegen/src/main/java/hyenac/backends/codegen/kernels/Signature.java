package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Kernel;
import hyenac.backends.codegen.KernelBuilder;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Var;
import java.util.ArrayList;
import java.util.List;

/** A {@link KernelBuilder} that also records what each parameter holds, for launchers and header comments. */
final class Signature {
    final KernelBuilder k;
    private final List<KernelParam> params = new ArrayList<>();

    Signature(String entry, int threadsPerBlock) { this.k = new KernelBuilder(entry, threadsPerBlock); }

    Var input(String name, Scalar element, String holds) { return param(name, CType.input(element), holds); }

    Var output(String name, Scalar element, String holds) { return param(name, CType.output(element), holds); }

    Var scalar(String name, Scalar type, String holds) { return param(name, type, holds); }

    private Var param(String name, CType type, String holds) {
        Var v = k.param(name, type);
        params.add(new KernelParam(name, type, holds));
        return v;
    }

    GeneratedKernel build(String name, Launch launch, List<String> about) {
        Kernel kernel = k.build();
        return new GeneratedKernel(name, kernel, launch, params, about);
    }

    /** "[B, L, 64]"-style shape text. */
    static String shape(Object... dims) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) b.append(i == 0 ? "" : ", ").append(dims[i]);
        return b.append(']').toString();
    }
}
