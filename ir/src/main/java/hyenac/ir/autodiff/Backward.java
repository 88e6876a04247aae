package hyenac.ir.autodiff;

import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.TensorType;
import hyenac.ir.Weight;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Vjp} sees of one forward node while the backward graph is built: the node, its operands, the
 * gradients of its results, and ways to emit nodes and hand gradients to operands and weights. Gradients that
 * reach a value or weight more than once are summed with {@code add}.
 */
public final class Backward {
    private final Graph forward;
    private final Graph.Builder builder;
    private final Map<Integer, Integer> grads;
    private final Map<String, Integer> weightGrads;
    private Node node;

    Backward(Graph forward, Graph.Builder builder, Map<Integer, Integer> grads, Map<String, Integer> weightGrads) {
        this.forward = forward;
        this.builder = builder;
        this.grads = grads;
        this.weightGrads = weightGrads;
    }

    void at(Node n) { this.node = n; }

    public Node node() { return node; }

    /** Operand i of the node (a forward value). */
    public int x(int i) { return node.operands().get(i); }

    /** The gradient of result i, or -1 when nothing downstream depends on it. */
    public int dy(int i) { return grads.getOrDefault(node.results().get(i), -1); }

    /** The gradient of result i, zeros where nothing depends on it (for VJPs that need every part). */
    public int dyOrZeros(int i) {
        int g = dy(i);
        return g >= 0 ? g : emit(Primitive.ZEROS_LIKE, Map.of(), List.of(node.results().get(i)), Map.of(), gradType(node.results().get(i)));
    }

    /** The weight name bound to a role of the node, or null. */
    public String weight(String role) { return node.weights().get(role); }

    /** The gradient's type of an activation: its shape, in fp32 (training is fp32). */
    public TensorType gradType(int value) {
        return new TensorType(DType.FP32, type(value).dims());
    }

    public TensorType type(int value) { return builder.values().get(value).type(); }

    /** The type of the gradient of a weight: its shape, fp32. */
    public TensorType weightGradType(String role) {
        Weight w = forward.weights().get(weight(role));
        return new TensorType(DType.FP32, w.shape().stream().map(Dim::of).toList());
    }

    /** Emits a node with the given results' types, carrying the forward node's path and origins; returns the first result. */
    public int emit(Primitive op, Map<String, Object> attrs, List<Integer> operands, Map<String, String> weights, TensorType... results) {
        return emitAll(op, attrs, operands, weights, results).getFirst();
    }

    public List<Integer> emitAll(Primitive op, Map<String, Object> attrs, List<Integer> operands, Map<String, String> weights,
                                 TensorType... results) {
        List<Integer> ids = new ArrayList<>();
        for (TensorType t : results) ids.add(builder.newValue(t));
        builder.add(new Node(builder.nextNodeId(), op.op(), new LinkedHashMap<>(attrs), operands, ids, weights, node.path(), node.origins()));
        return ids;
    }

    /** Adds {@code grad} to the gradient of operand i (graph inputs such as tokens take none). */
    public void addGrad(int operand, int grad) {
        int v = x(operand);
        if (forward.inputs().contains(v)) return;
        grads.merge(v, grad, (a, b) -> emit(Primitive.ADD, Map.of(), List.of(a, b), Map.of(), gradType(v)));
    }

    /** Adds {@code grad} to the gradient of the weight bound to {@code role} (a tied weight gathers from every use). */
    public void addWeightGrad(String role, int grad) {
        String name = weight(role);
        TensorType t = weightGradType(role);
        weightGrads.merge(name, grad, (a, b) -> emit(Primitive.ADD, Map.of(), List.of(a, b), Map.of(), t));
    }
}
