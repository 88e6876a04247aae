package hyenac.ir;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * The graph as deterministic text, one node per line:
 * <pre>
 *   %7: [B, L, 192] fp32 = linear(%5) {features = 192, bias = false} [weight = layers.0.mixer.proj_in.weight]  # sh2-tiny.hyena:13:11
 * </pre>
 */
public final class Printer {
    private Printer() {}

    public static String print(Graph g) {
        StringBuilder b = new StringBuilder();
        b.append("graph(").append(g.inputs().stream().map(i -> "%" + i + ": " + g.value(i).type()).collect(Collectors.joining(", "))).append(") {\n");
        for (Node n : g.nodes()) {
            b.append("  ").append(n.results().stream().map(r -> "%" + r + ": " + g.value(r).type()).collect(Collectors.joining(", ")));
            b.append(" = ").append(n.op()).append('(').append(n.operands().stream().map(o -> "%" + o).collect(Collectors.joining(", "))).append(')');
            if (!n.attrs().isEmpty()) b.append(' ').append(attrs(n.attrs()));
            if (!n.weights().isEmpty()) {
                b.append(" [").append(n.weights().entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", "))).append(']');
            }
            if (!n.origins().isEmpty()) {
                b.append("  # ").append(n.origins().stream().map(Origin::toString).collect(Collectors.joining(" via ")));
            }
            b.append('\n');
        }
        b.append("  return ").append(g.outputs().stream().map(o -> "%" + o).collect(Collectors.joining(", "))).append("\n}\n");
        return b.toString();
    }

    static String attrs(Map<String, Object> attrs) {
        return attrs.entrySet().stream().map(e -> e.getKey() + " = " + show(e.getValue())).collect(Collectors.joining(", ", "{", "}"));
    }

    private static String show(Object v) {
        return v instanceof String s ? s : v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15 ? String.format("%.1f", d) : String.valueOf(v);
    }
}
