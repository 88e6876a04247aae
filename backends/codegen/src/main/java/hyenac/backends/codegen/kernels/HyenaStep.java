package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.Precision;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseHyenaStep;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Plan;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The kernel of a hyena_step group ({@link FuseHyenaStep}), as {@link Decode#hyenaStep}: reading the input projection
 * (or the featurizer's output where the featurizer steps alone) and the nodes' states, writing y and the states.
 */
final class HyenaStep {
    private HyenaStep() {}

    static GroupKernel generate(Graph g, Group group, Precision p) {
        Node split = group.nodes(Primitive.DEINTERLEAVE).getFirst();
        Node gate = group.nodes().getLast();
        Node featurizer = group.nodes().stream().filter(n -> n.is(Primitive.CAUSAL_CONV) && n.results().getFirst() == (int) split.operands().getFirst())
                .findFirst().orElse(null);
        Node filter = group.nodes().stream().filter(n -> (n.is(Primitive.CAUSAL_CONV) || n.is(Primitive.MODAL_CONV)) && n != featurizer).findFirst()
                .orElseThrow();
        long channels = g.value(filter.operands().getFirst()).type().channels();
        Map<String, Binding> bindings = new LinkedHashMap<>();
        bindings.put("z", new Binding.Value(featurizer == null ? split.operands().getFirst() : featurizer.operands().getFirst()));
        CausalConv.Filter featureFilter = null;
        if (featurizer != null) {
            featureFilter = Kernels.filter(featurizer, 3 * channels);
            bindings.put("feature_h", new Binding.Weight(featurizer.weights().get("weight")));
            if (featureFilter.skip()) bindings.put("feature_skip", new Binding.Weight(featurizer.weights().get("skip")));
            if (featureFilter.len() > 1) bindings.put("feature_ring", new Binding.State(Decode.ringState(featurizer)));
        }
        Decode.Inner inner;
        if (filter.is(Primitive.CAUSAL_CONV)) {
            CausalConv.Filter f = Kernels.filter(filter, channels);
            inner = new Decode.Inner.Fir(f);
            bindings.put("h", new Binding.Weight(filter.weights().get("weight")));
            if (f.len() > 1) bindings.put("ring", new Binding.State(Decode.ringState(filter)));
        } else {
            inner = new Decode.Inner.Modal(channels, Math.toIntExact(filter.intAttr("modes")), filter.boolAttr("skip"));
            bindings.put("state", new Binding.State(Decode.modalState(filter)));
            bindings.put("log_poles", new Binding.Weight(filter.weights().get("log_poles")));
            bindings.put("residues", new Binding.Weight(filter.weights().get("residues")));
        }
        String skip = filter.weights().get("skip");
        if (skip != null) bindings.put("skip", new Binding.Weight(skip));
        bindings.put("y", new Binding.Value(gate.results().getFirst()));
        boolean rings = featureFilter != null && featureFilter.len() > 1 || inner instanceof Decode.Inner.Fir fir && fir.filter().len() > 1;
        if (rings) bindings.put("clock", new Binding.State(Plan.CLOCK));
        return new GroupKernel(Decode.hyenaStep(featureFilter, inner, HyenaCore.gateActivation(group), p), bindings);
    }
}
