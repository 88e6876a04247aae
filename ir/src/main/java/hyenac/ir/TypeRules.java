package hyenac.ir;

import java.util.ArrayList;
import java.util.List;

/** Shape rules per op, stated once: what the verifier checks and what shape inference relies on. */
final class TypeRules {
    private TypeRules() {}

    static List<String> check(Graph g, Node n) {
        List<String> out = new ArrayList<>();
        if (n.operands().isEmpty() || n.results().isEmpty()) return out;
        Value in = g.value(n.operands().getFirst());
        Value res = g.value(n.results().getFirst());
        if (in == null || res == null) return out;
        long c = in.type().channels();
        long rc = res.type().channels();
        switch (n.op()) {
            case "linear" -> {
                Weight w = g.weights().get(n.weights().get("weight"));
                if (w != null && (w.shape().get(0) != rc || w.shape().get(1) != c)) {
                    out.add("weight " + w.name() + " " + w.shape() + " does not map " + c + " to " + rc + " channels");
                }
            }
            case "causal_conv", "modal_conv", "rmsnorm", "identity", "gelu", "silu", "relu", "neg", "scale" -> {
                if (c != rc) out.add("keeps the width, but maps " + c + " to " + rc);
            }
            case "add", "sub", "mul", "causal_attention" -> {
                for (int operand : n.operands()) {
                    Value v = g.value(operand);
                    if (v != null && v.type().channels() != rc) out.add("operand %" + operand + " has width " + v.type().channels() + ", result " + rc);
                }
            }
            case "deinterleave", "split" -> {
                for (int r : n.results()) {
                    Value v = g.value(r);
                    if (v != null && v.type().channels() * n.results().size() != c) out.add("result %" + r + " is not 1/" + n.results().size() + " of " + c);
                }
            }
            default -> { }
        }
        return out;
    }
}
