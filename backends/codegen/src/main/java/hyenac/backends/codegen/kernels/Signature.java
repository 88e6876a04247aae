package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Kernel;
import hyenac.backends.codegen.KernelBuilder;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Var;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /** Inputs x0, x1, … of shape [B, L, C], one per value and bound to it, in the order of {@code values}. */
    List<Var> valueInputs(Graph g, List<Integer> values, Scalar element, Map<String, Binding> bindings) {
        List<Var> x = new ArrayList<>();
        for (int k = 0; k < values.size(); k++) {
            int v = values.get(k);
            x.add(input("x" + k, element, "input " + shape("B", "L", g.value(v).type().channels())));
            bindings.put("x" + k, new Binding.Value(v));
        }
        return x;
    }

    /** Scalars by0, by1, …: the factors of an {@link ElementProgram}'s scale nodes, each bound to its attribute {@code by}. */
    List<Var> scaleFactors(List<Node> scales, Map<String, Binding> bindings) {
        List<Var> by = new ArrayList<>();
        for (int k = 0; k < scales.size(); k++) {
            by.add(scalar("by" + k, Scalar.DOUBLE, "the factor of scale " + k + " (attribute `by`)"));
            bindings.put("by" + k, new Binding.Real(scales.get(k).floatAttr("by")));
        }
        return by;
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
