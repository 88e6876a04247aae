package hyenac.ir.autodiff;

import hyenac.ir.TensorType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vector-Jacobian product of every differentiable primitive, keyed by the primitive's name: the one place each
 * is defined. Each emits gradient primitives (see {@link hyenac.ir.Ops}) that the backends implement.
 */
public final class Vjps {
    private Vjps() {}

    private static final Map<String, Vjp> TABLE = new LinkedHashMap<>();

    public static Optional<Vjp> of(String op) { return Optional.ofNullable(TABLE.get(op)); }

    public static java.util.Set<String> differentiable() { return java.util.Collections.unmodifiableSet(TABLE.keySet()); }

    private static void def(String op, Vjp vjp) { TABLE.put(op, vjp); }

    static {
        // Embedding: a scatter-add of the rows into the table; tokens take no gradient.
        def("embedding", b -> b.addWeightGrad("weight",
                b.emit("embedding_grad", b.node().attrs(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("weight"))));
        // The tied unembedding and linear: logits = x·Eᵀ reads embedding.weight as a linear without bias.
        def("unembed", Vjps::linear);
        def("linear", Vjps::linear);
        // Causal convolutions: the input's gradient is the correlation with the same filter; the filter's own
        // parameters (taps, MR's decay rates, the skip) get theirs from dy and the input.
        def("causal_conv", b -> {
            Map<String, String> weights = b.node().weights();
            b.addGrad(0, b.emit("causal_conv_grad_input", b.node().attrs(), List.of(b.dy(0)), weights, b.gradType(b.x(0))));
            List<TensorType> types = new ArrayList<>(List.of(b.weightGradType("weight")));
            if (b.weight("decay") != null) types.add(b.weightGradType("decay"));
            List<Integer> params = b.emitAll("causal_conv_grad_params", b.node().attrs(), List.of(b.dy(0), b.x(0)), weights,
                    types.toArray(TensorType[]::new));
            b.addWeightGrad("weight", params.get(0));
            if (b.weight("decay") != null) b.addWeightGrad("decay", params.get(1));
            skip(b);
        });
        // Hyena-LI: the gradient reaches the poles (log λ, or their rates ρ once parametrised) and residues through the
        // materialised filter.
        def("modal_conv", b -> {
            Map<String, String> weights = b.node().weights();
            String poles = b.weight(ParametriseDecay.POLE_RATES) != null ? ParametriseDecay.POLE_RATES : ParametriseDecay.LOG_POLES;
            b.addGrad(0, b.emit("modal_conv_grad_input", b.node().attrs(), List.of(b.dy(0)), weights, b.gradType(b.x(0))));
            List<Integer> params = b.emitAll("modal_conv_grad_params", b.node().attrs(), List.of(b.dy(0), b.x(0)), weights,
                    b.weightGradType(poles), b.weightGradType("residues"));
            b.addWeightGrad(poles, params.get(0));
            b.addWeightGrad("residues", params.get(1));
            skip(b);
        });
        def("rmsnorm", b -> {
            b.addGrad(0, b.emit("rmsnorm_grad_input", b.node().attrs(), List.of(b.dy(0), b.x(0)), b.node().weights(), b.gradType(b.x(0))));
            b.addWeightGrad("scale", b.emit("rmsnorm_grad_scale", b.node().attrs(), List.of(b.dy(0), b.x(0)), Map.of(),
                    b.weightGradType("scale")));
        });
        // Channel reshuffles: each one's gradient is its inverse.
        def("deinterleave", b -> b.addGrad(0, b.emit("interleave", Map.of(), allResultGrads(b), Map.of(), b.gradType(b.x(0)))));
        def("split", b -> b.addGrad(0, b.emit("concat", Map.of(), allResultGrads(b), Map.of(), b.gradType(b.x(0)))));
        def("concat", b -> {
            long start = 0;
            for (int i = 0; i < b.node().operands().size(); i++) {
                long width = b.type(b.x(i)).channels();
                b.addGrad(i, b.emit("slice", Map.of("start", start, "width", width), List.of(b.dy(0)), Map.of(), b.gradType(b.x(i))));
                start += width;
            }
        });
        def("add", b -> {
            b.addGrad(0, b.dy(0));
            b.addGrad(1, b.dy(0));
        });
        def("sub", b -> {
            b.addGrad(0, b.dy(0));
            b.addGrad(1, b.emit("neg", Map.of(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(1))));
        });
        def("mul", b -> {
            b.addGrad(0, b.emit("mul", Map.of(), List.of(b.dy(0), b.x(1)), Map.of(), b.gradType(b.x(0))));
            b.addGrad(1, b.emit("mul", Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.gradType(b.x(1))));
        });
        def("scale", b -> b.addGrad(0, b.emit("scale", b.node().attrs(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(0)))));
        def("neg", b -> b.addGrad(0, b.emit("neg", Map.of(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(0)))));
        def("identity", b -> b.addGrad(0, b.dy(0)));
        for (String act : List.of("gelu", "silu", "relu")) {
            def(act, b -> b.addGrad(0, b.emit("activation_grad", Map.of("activation", act), List.of(b.dy(0), b.x(0)), Map.of(),
                    b.gradType(b.x(0)))));
        }
        // Attention recomputes its softmax from q, k, v (RoPE included) rather than keeping it.
        def("causal_attention", b -> {
            List<Integer> d = b.emitAll("causal_attention_grad", b.node().attrs(), List.of(b.dy(0), b.x(0), b.x(1), b.x(2)), Map.of(),
                    b.gradType(b.x(0)), b.gradType(b.x(1)), b.gradType(b.x(2)));
            for (int i = 0; i < 3; i++) b.addGrad(i, d.get(i));
        });
    }

    private static void linear(Backward b) {
        b.addGrad(0, b.emit("linear_grad_input", Map.of(), List.of(b.dy(0)), Map.of("weight", b.weight("weight")), b.gradType(b.x(0))));
        b.addWeightGrad("weight", b.emit("linear_grad_weight", Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("weight")));
        if (b.weight("bias") != null) b.addWeightGrad("bias", b.emit("sum_rows", Map.of(), List.of(b.dy(0)), Map.of(), b.weightGradType("bias")));
    }

    private static void skip(Backward b) {
        if (b.weight("skip") != null) {
            b.addWeightGrad("skip", b.emit("skip_grad", Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("skip")));
        }
    }

    private static List<Integer> allResultGrads(Backward b) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < b.node().results().size(); i++) out.add(b.dyOrZeros(i));
        return out;
    }

}
