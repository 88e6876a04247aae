package hyenac.ir.autodiff;

import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.TensorType;
import hyenac.ir.Weight;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode differentiation of a forward graph: appends the masked next-token cross-entropy of its logits
 * and, node by node in reverse order, each primitive's {@link Vjps vector-Jacobian product}. The result is a
 * training graph with inputs (tokens [B, L], targets [B, L], mask [B, L]) and outputs the loss, then the gradient
 * of every weight in declaration order; probes name them {@code loss} and {@code grad.WEIGHT}.
 */
public final class Autodiff {
    private Autodiff() {}

    public static final String LOSS = "loss";
    public static final String GRAD = "grad.";
    /** Graph attribute marking a training graph. */
    public static final String TRAINING = "training";

    public static Graph differentiate(Graph forward) {
        if (Boolean.TRUE.equals(forward.attrs().get(TRAINING))) throw new IllegalArgumentException("the graph is already a training graph");
        Graph.Builder b = forward.toBuilder();
        int logits = forward.outputs().getFirst();
        Node head = forward.producer(logits);
        int targets = b.newValue(new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        int mask = b.newValue(new TensorType(DType.FP32, List.of(Dim.B, Dim.L)));
        b.input(targets).input(mask);
        int loss = b.newValue(new TensorType(DType.FP32, List.of(Dim.of(1))));
        b.add(new Node(b.nextNodeId(), Primitive.CROSS_ENTROPY.op(), Map.of(), List.of(logits, targets, mask), List.of(loss), Map.of(), LOSS, head.origins()));

        Map<Integer, Integer> grads = new HashMap<>();
        Map<String, Integer> weightGrads = new LinkedHashMap<>();
        int dLogits = b.newValue(new TensorType(DType.FP32, forward.value(logits).type().dims()));
        b.add(new Node(b.nextNodeId(), Primitive.CROSS_ENTROPY_GRAD.op(), Map.of(), List.of(logits, targets, mask), List.of(dLogits), Map.of(), LOSS,
                head.origins()));
        grads.put(logits, dLogits);

        Backward backward = new Backward(forward, b, grads, weightGrads);
        for (Node n : forward.nodes().reversed()) {
            if (n.results().stream().noneMatch(grads::containsKey)) continue;
            Primitive p = n.primitive();
            Vjp vjp = Vjps.of(p).orElseThrow(() -> new IllegalArgumentException("`" + p + "` has no vector-Jacobian product"
                    + (p.differentiable() ? "" : ": " + p.whyNotDifferentiable())));
            backward.at(n);
            vjp.apply(backward);
        }

        b.outputs().clear();
        b.output(loss).probe(LOSS, loss);
        for (Weight w : forward.weights().values()) {
            Integer g = weightGrads.get(w.name());
            if (g != null) b.output(g).probe(GRAD + w.name(), g);
        }
        b.attr(TRAINING, true);
        return b.build();
    }

    /** The weight whose gradient a probe name holds, or null. */
    public static String weightOfGradProbe(String probe) {
        return probe.startsWith(GRAD) ? probe.substring(GRAD.length()) : null;
    }
}
