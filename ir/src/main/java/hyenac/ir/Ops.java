package hyenac.ir;

import java.util.Map;

/**
 * The primitive set of the IR and how many operands and results each takes (-1: any, at least one).
 * Small on purpose: everything the DSL builds lowers to these.
 */
public final class Ops {
    private Ops() {}

    public record Arity(int operands, int results) {}

    public static final Map<String, Arity> ALL = Map.ofEntries(
            Map.entry("embedding", new Arity(1, 1)),
            Map.entry("unembed", new Arity(1, 1)),
            Map.entry("linear", new Arity(1, 1)),
            Map.entry("causal_conv", new Arity(1, 1)),
            Map.entry("modal_conv", new Arity(1, 1)),
            Map.entry("rmsnorm", new Arity(1, 1)),
            Map.entry("deinterleave", new Arity(1, -1)),
            Map.entry("split", new Arity(1, -1)),
            Map.entry("concat", new Arity(-1, 1)),
            Map.entry("causal_attention", new Arity(3, 1)),
            Map.entry("add", new Arity(2, 1)),
            Map.entry("sub", new Arity(2, 1)),
            Map.entry("mul", new Arity(2, 1)),
            Map.entry("scale", new Arity(1, 1)),
            Map.entry("neg", new Arity(1, 1)),
            Map.entry("identity", new Arity(1, 1)),
            Map.entry("gelu", new Arity(1, 1)),
            Map.entry("silu", new Arity(1, 1)),
            Map.entry("relu", new Arity(1, 1)),
            // Training: the loss and the primitives that vector-Jacobian products emit (hyenac.ir.autodiff.Vjps).
            Map.entry("cross_entropy", new Arity(3, 1)),
            Map.entry("cross_entropy_grad", new Arity(3, 1)),
            Map.entry("zeros_like", new Arity(1, 1)),
            Map.entry("linear_grad_input", new Arity(1, 1)),
            Map.entry("linear_grad_weight", new Arity(2, 1)),
            Map.entry("sum_rows", new Arity(1, 1)),
            Map.entry("embedding_grad", new Arity(2, 1)),
            Map.entry("causal_conv_grad_input", new Arity(1, 1)),
            Map.entry("causal_conv_grad_params", new Arity(2, -1)),
            Map.entry("modal_conv_grad_input", new Arity(1, 1)),
            Map.entry("modal_conv_grad_params", new Arity(2, 2)),
            Map.entry("skip_grad", new Arity(2, 1)),
            Map.entry("rmsnorm_grad_input", new Arity(2, 1)),
            Map.entry("rmsnorm_grad_scale", new Arity(2, 1)),
            Map.entry("interleave", new Arity(-1, 1)),
            Map.entry("slice", new Arity(1, 1)),
            Map.entry("activation_grad", new Arity(2, 1)),
            Map.entry("causal_attention_grad", new Arity(4, 3)));

    /** Ops whose result is a pure function of their operands and attributes (no weights): CSE may merge them. */
    public static boolean isPure(Node n) {
        return n.weights().isEmpty();
    }
}
