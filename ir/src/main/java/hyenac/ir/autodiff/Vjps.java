package hyenac.ir.autodiff;

import static hyenac.ir.Primitive.*;

import hyenac.ir.Primitive;
import hyenac.ir.TensorType;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The vector-Jacobian product of every differentiable primitive ({@link Primitive#differentiable()}): the one place
 * each is defined. Each emits gradient primitives ({@link Primitive.Form#TRAINING}) that the CPU backend implements.
 */
public final class Vjps {
    private Vjps() {}

    private static final Map<Primitive, Vjp> TABLE = new EnumMap<>(Primitive.class);

    public static Optional<Vjp> of(Primitive p) { return Optional.ofNullable(TABLE.get(p)); }

    private static void def(Primitive p, Vjp vjp) {
        if (!p.differentiable()) throw new IllegalStateException(p + " is marked not differentiable (" + p.whyNotDifferentiable() + ") but has a VJP");
        TABLE.put(p, vjp);
    }

    static {
        // Embedding: a scatter-add of the rows into the table; tokens take no gradient.
        def(EMBEDDING, b -> b.addWeightGrad("weight",
                b.emit(EMBEDDING_GRAD, b.node().attrs(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("weight"))));
        // The tied unembedding and linear: logits = x·Eᵀ reads embedding.weight as a linear without bias.
        def(UNEMBED, Vjps::linear);
        def(LINEAR, Vjps::linear);
        // Causal convolutions: the input's gradient is the correlation with the same filter; the filter's own
        // parameters (taps, MR's decay rates, the skip) get theirs from dy and the input.
        def(CAUSAL_CONV, b -> {
            Map<String, String> weights = b.node().weights();
            b.addGrad(0, b.emit(CAUSAL_CONV_GRAD_INPUT, b.node().attrs(), List.of(b.dy(0)), weights, b.gradType(b.x(0))));
            List<TensorType> types = new ArrayList<>(List.of(b.weightGradType("weight")));
            if (b.weight("decay") != null) types.add(b.weightGradType("decay"));
            List<Integer> params = b.emitAll(CAUSAL_CONV_GRAD_PARAMS, b.node().attrs(), List.of(b.dy(0), b.x(0)), weights,
                    types.toArray(TensorType[]::new));
            b.addWeightGrad("weight", params.get(0));
            if (b.weight("decay") != null) b.addWeightGrad("decay", params.get(1));
            skip(b);
        });
        // Hyena-LI: the gradient reaches the poles (log λ, or their rates ρ once parametrised) and residues through the
        // materialised filter.
        def(MODAL_CONV, b -> {
            Map<String, String> weights = b.node().weights();
            String poles = b.weight(ParametriseDecay.POLE_RATES) != null ? ParametriseDecay.POLE_RATES : ParametriseDecay.LOG_POLES;
            b.addGrad(0, b.emit(MODAL_CONV_GRAD_INPUT, b.node().attrs(), List.of(b.dy(0)), weights, b.gradType(b.x(0))));
            List<Integer> params = b.emitAll(MODAL_CONV_GRAD_PARAMS, b.node().attrs(), List.of(b.dy(0), b.x(0)), weights,
                    b.weightGradType(poles), b.weightGradType("residues"));
            b.addWeightGrad(poles, params.get(0));
            b.addWeightGrad("residues", params.get(1));
            skip(b);
        });
        def(RMSNORM, b -> {
            b.addGrad(0, b.emit(RMSNORM_GRAD_INPUT, b.node().attrs(), List.of(b.dy(0), b.x(0)), b.node().weights(), b.gradType(b.x(0))));
            b.addWeightGrad("scale", b.emit(RMSNORM_GRAD_SCALE, b.node().attrs(), List.of(b.dy(0), b.x(0)), Map.of(),
                    b.weightGradType("scale")));
        });
        // Channel reshuffles: each one's gradient is its inverse.
        def(DEINTERLEAVE, b -> b.addGrad(0, b.emit(INTERLEAVE, Map.of(), allResultGrads(b), Map.of(), b.gradType(b.x(0)))));
        def(SPLIT, b -> b.addGrad(0, b.emit(CONCAT, Map.of(), allResultGrads(b), Map.of(), b.gradType(b.x(0)))));
        def(CONCAT, b -> {
            long start = 0;
            for (int i = 0; i < b.node().operands().size(); i++) {
                long width = b.type(b.x(i)).channels();
                b.addGrad(i, b.emit(SLICE, Map.of("start", start, "width", width), List.of(b.dy(0)), Map.of(), b.gradType(b.x(i))));
                start += width;
            }
        });
        def(ADD, b -> {
            b.addGrad(0, b.dy(0));
            b.addGrad(1, b.dy(0));
        });
        def(SUB, b -> {
            b.addGrad(0, b.dy(0));
            b.addGrad(1, b.emit(NEG, Map.of(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(1))));
        });
        def(MUL, b -> {
            b.addGrad(0, b.emit(MUL, Map.of(), List.of(b.dy(0), b.x(1)), Map.of(), b.gradType(b.x(0))));
            b.addGrad(1, b.emit(MUL, Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.gradType(b.x(1))));
        });
        def(SCALE, b -> b.addGrad(0, b.emit(SCALE, b.node().attrs(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(0)))));
        def(NEG, b -> b.addGrad(0, b.emit(NEG, Map.of(), List.of(b.dy(0)), Map.of(), b.gradType(b.x(0)))));
        def(IDENTITY, b -> b.addGrad(0, b.dy(0)));
        for (Primitive act : List.of(GELU, SILU, RELU)) {
            def(act, b -> b.addGrad(0, b.emit(ACTIVATION_GRAD, Map.of("activation", act.op()), List.of(b.dy(0), b.x(0)), Map.of(),
                    b.gradType(b.x(0)))));
        }
        // Attention recomputes its softmax from q, k, v (RoPE included) rather than keeping it.
        def(CAUSAL_ATTENTION, b -> {
            List<Integer> d = b.emitAll(CAUSAL_ATTENTION_GRAD, b.node().attrs(), List.of(b.dy(0), b.x(0), b.x(1), b.x(2)), Map.of(),
                    b.gradType(b.x(0)), b.gradType(b.x(1)), b.gradType(b.x(2)));
            for (int i = 0; i < 3; i++) b.addGrad(i, d.get(i));
        });
    }

    private static void linear(Backward b) {
        b.addGrad(0, b.emit(LINEAR_GRAD_INPUT, Map.of(), List.of(b.dy(0)), Map.of("weight", b.weight("weight")), b.gradType(b.x(0))));
        b.addWeightGrad("weight", b.emit(LINEAR_GRAD_WEIGHT, Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("weight")));
        if (b.weight("bias") != null) b.addWeightGrad("bias", b.emit(SUM_ROWS, Map.of(), List.of(b.dy(0)), Map.of(), b.weightGradType("bias")));
    }

    private static void skip(Backward b) {
        if (b.weight("skip") != null) {
            b.addWeightGrad("skip", b.emit(SKIP_GRAD, Map.of(), List.of(b.dy(0), b.x(0)), Map.of(), b.weightGradType("skip")));
        }
    }

    private static List<Integer> allResultGrads(Backward b) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < b.node().results().size(); i++) out.add(b.dyOrZeros(i));
        return out;
    }

}
