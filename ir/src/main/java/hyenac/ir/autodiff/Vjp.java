package hyenac.ir.autodiff;

/**
 * The vector-Jacobian product of one primitive: given the gradients of a node's results (through {@link Backward}),
 * it emits the nodes that compute the gradients of its operands and of its weights.
 */
@FunctionalInterface
public interface Vjp {
    void apply(Backward b);
}
