package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.Precision;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseHyenaCore;
import hyenac.ir.fusion.Group;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel of a hyena_core group ({@link FuseHyenaCore}): deinterleave, k ⊙ v, the causal convolution, the
 * optional activation of q and the gate, as {@link CausalConv#hyenaCore} (direct) or {@link BlockedConv#core} (two-stage
 * blocked on the tensor cores), reading z and writing y only.
 */
public final class HyenaCore {
    private HyenaCore() {}

    /** The group's convolution. */
    static Node conv(Group group) { return group.nodes(Primitive.CAUSAL_CONV).getFirst(); }

    /** The activation q goes through before gating, identity when q gates directly. */
    static Primitive gateActivation(Group group) {
        return group.nodes().stream().map(Node::primitive).filter(Primitive::activation).findFirst().orElse(Primitive.IDENTITY);
    }

    /** {@code blocked}: the convolution by the two-stage blocked algorithm on the tensor cores ({@link BlockedConv}), else direct. */
    static GroupKernel generate(Graph g, Group group, Precision p, boolean blocked) {
        Node conv = conv(group);
        Node split = group.nodes(Primitive.DEINTERLEAVE).getFirst();
        Node gate = group.nodes().getLast();
        CausalConv.Filter f = Kernels.filter(conv, g.value(conv.operands().getFirst()).type().channels());
        Map<String, Binding> bindings = new LinkedHashMap<>();
        bindings.put("z", new Binding.Value(split.operands().getFirst()));
        bindings.put("h", new Binding.Weight(conv.weights().get("weight")));
        if (f.skip()) bindings.put("skip", new Binding.Weight(conv.weights().get("skip")));
        bindings.put("y", new Binding.Value(gate.results().getFirst()));
        GeneratedKernel k = blocked ? BlockedConv.core(f, gateActivation(group), p) : CausalConv.hyenaCore(f, gateActivation(group), p);
        return new GroupKernel(k, bindings);
    }
}
