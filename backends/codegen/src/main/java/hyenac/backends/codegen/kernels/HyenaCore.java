package hyenac.backends.codegen.kernels;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Finds the gate-conv-gate pattern of Hyena-SE and MR in a graph:
 * <pre>
 *   q, k, v = deinterleave(z, n = 3)
 *   s = k * v                      (mul)
 *   c = causal_conv(s)             (a direct-length filter)
 *   y = q * c   or   act(q) * c    (mul, act one of gelu / silu / relu / identity)
 * </pre>
 * where nothing else reads q, k, v, s, c or act(q), so one kernel reading z and writing y replaces them all
 * ({@link CausalConv#hyenaCore}).
 */
public final class HyenaCore {
    private HyenaCore() {}

    /** One occurrence; {@code activation} is null when q gates directly. */
    public record Match(Node deinterleave, Node product, Node conv, Node activation, Node gate) {
        /** The nodes the fused kernel implements: deinterleave, product, convolution, activation (if any), gate. */
        public List<Node> nodes() {
            List<Node> out = new ArrayList<>(List.of(deinterleave, product, conv));
            if (activation != null) out.add(activation);
            out.add(gate);
            return out;
        }

        public String gateActivation() { return activation == null ? "identity" : activation.op(); }
    }

    private static final Set<String> ACTIVATIONS = Set.of("identity", "gelu", "silu", "relu");

    public static List<Match> find(Graph g) {
        List<Match> out = new ArrayList<>();
        for (Node gate : g.nodes()) {
            if (!gate.op().equals("mul")) continue;
            Match m = at(g, gate, 0, 1);
            if (m == null) m = at(g, gate, 1, 0);
            if (m != null) out.add(m);
        }
        return out;
    }

    /** The pattern with the convolution at operand {@code convAt} of the gate and q's side at {@code qAt}. */
    private static Match at(Graph g, Node gate, int convAt, int qAt) {
        Node conv = g.producer(gate.operands().get(convAt));
        if (conv == null || !conv.op().equals("causal_conv") || conv.intAttr("len") > CausalConv.MAX_TAPS) return null;
        Node product = g.producer(conv.operands().getFirst());
        if (product == null || !product.op().equals("mul")) return null;
        Node split = g.producer(product.operands().getFirst());
        if (split == null || !split.op().equals("deinterleave") || split.results().size() != 3) return null;
        List<Integer> qkv = split.results();
        if (!Set.copyOf(product.operands()).equals(Set.of(qkv.get(1), qkv.get(2)))) return null;
        int qSide = gate.operands().get(qAt);
        Node activation = null;
        if (qSide != qkv.get(0)) {
            activation = g.producer(qSide);
            if (activation == null || !ACTIVATIONS.contains(activation.op()) || activation.operands().getFirst() != (int) qkv.get(0)) return null;
        }
        Node qReader = activation != null ? activation : gate;
        boolean private_ = onlyReader(g, qkv.get(0), qReader) && onlyReader(g, qkv.get(1), product) && onlyReader(g, qkv.get(2), product)
                && onlyReader(g, product.results().getFirst(), conv) && onlyReader(g, conv.results().getFirst(), gate)
                && (activation == null || onlyReader(g, activation.results().getFirst(), gate));
        return private_ ? new Match(split, product, conv, activation, gate) : null;
    }

    private static boolean onlyReader(Graph g, int value, Node reader) {
        return !g.outputs().contains(value) && g.users(value).equals(List.of(reader));
    }
}
