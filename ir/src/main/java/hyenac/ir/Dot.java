package hyenac.ir;

import java.util.stream.Collectors;

/** Graphviz DOT export: one box per node, edges labelled with the tensor type they carry. */
public final class Dot {
    private Dot() {}

    public static String export(Graph g, String name) {
        StringBuilder b = new StringBuilder();
        b.append("digraph \"").append(escape(name)).append("\" {\n");
        b.append("  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n");
        for (int in : g.inputs()) b.append("  in").append(in).append(" [shape=ellipse, label=\"input %").append(in).append("\"];\n");
        for (Node n : g.nodes()) {
            String label = n.op() + (n.path().isEmpty() ? "" : "\\n" + escape(n.path()))
                    + (n.attrs().isEmpty() ? "" : "\\n" + escape(Printer.attrs(n.attrs())));
            b.append("  n").append(n.id()).append(" [label=\"").append(label).append("\"");
            if (!n.weights().isEmpty()) b.append(", style=filled, fillcolor=\"#e8f0ff\"");
            b.append("];\n");
        }
        for (Node n : g.nodes()) {
            for (int operand : n.operands()) {
                Node p = g.producer(operand);
                String from = p == null ? "in" + operand : "n" + p.id();
                b.append("  ").append(from).append(" -> n").append(n.id())
                        .append(" [label=\"").append(escape(g.value(operand).type().toString())).append("\"];\n");
            }
        }
        for (int o : g.outputs()) {
            Node p = g.producer(o);
            b.append("  out").append(o).append(" [shape=ellipse, label=\"output %").append(o).append("\"];\n");
            if (p != null) b.append("  n").append(p.id()).append(" -> out").append(o).append(";\n");
        }
        return b.append("}\n").toString();
    }

    private static String escape(String s) {
        return s.chars().mapToObj(c -> c == '"' ? "\\\"" : c == '\\' ? "\\\\" : String.valueOf((char) c)).collect(Collectors.joining());
    }
}
