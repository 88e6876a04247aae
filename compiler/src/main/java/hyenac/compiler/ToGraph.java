package hyenac.compiler;

import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.EvalValue;
import hyenac.dsl.source.Span;
import hyenac.ir.DType;
import hyenac.ir.Dim;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Origin;
import hyenac.ir.TensorType;
import hyenac.ir.Weight;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Elaboration's last step: a checked model (layers instantiated, weights named, primitive applications
 * recorded by the checker) becomes the graph IR. Arguments become attributes; sources become origins.
 */
public final class ToGraph {
    private ToGraph() {}

    public static Graph of(Elaborated.Model m) {
        DType dtype = DType.of(m.dtype());
        Graph.Builder b = new Graph.Builder();
        for (Elaborated.Weight w : m.weights()) b.weight(new Weight(w.name(), DType.of(w.dtype()), w.shape(), w.layout()));
        int tokens = m.probes().get("tokens");
        b.value(tokens, new TensorType(DType.I64, List.of(Dim.B, Dim.L)));
        b.input(tokens);
        List<Elaborated.Node> all = new ArrayList<>();
        all.add(m.headNodes().getFirst());
        m.layers().forEach(l -> all.addAll(l.nodes()));
        all.addAll(m.headNodes().subList(1, m.headNodes().size()));
        for (Elaborated.Node n : all) {
            for (int r : n.outputs()) b.value(r, TensorType.activation(dtype, m.width(r)));
            b.add(new Node(b.nextNodeId(), n.op(), attrs(n.args()), n.inputs(), n.outputs(), n.weights(), n.path(), origins(n)));
        }
        b.output(m.probes().get("logits"));
        // What the nodes cannot say: the model's name and context, and which operator each layer was written as.
        b.attr("model", m.name()).attr("context", m.context());
        for (Elaborated.Layer l : m.layers()) b.attr("layers." + l.index() + ".mixer", l.mixer());
        m.probes().forEach((name, id) -> { if (!name.equals("tokens")) b.probe(name, id); });
        return b.build();
    }

    static Map<String, Object> attrs(Map<String, EvalValue> args) {
        Map<String, Object> out = new LinkedHashMap<>();
        args.forEach((k, v) -> put(out, k, v));
        return out;
    }

    /** Operator-valued arguments (a rope configuration) flatten to dotted keys: rope.base, rope.scale. */
    private static void put(Map<String, Object> out, String key, EvalValue v) {
        switch (v) {
            case EvalValue.Int i -> out.put(key, i.value());
            case EvalValue.Float f -> out.put(key, f.value());
            case EvalValue.Bool x -> out.put(key, x.value());
            case EvalValue.Str s -> out.put(key, s.value());
            case EvalValue.Enum e -> out.put(key, e.name());
            case EvalValue.Op op -> {
                out.put(key, op.template().name());
                for (var p : op.template().params()) {
                    EvalValue.Arg a = op.args().get(p.name());
                    EvalValue given = a != null ? a.value() : p.dflt();
                    if (given != null) put(out, key + "." + p.name(), given);
                }
            }
            default -> throw new IllegalArgumentException("argument " + key + " has no IR form: " + v.show());
        }
    }

    /** Where the user wrote it first, then the prelude line that implements it. */
    private static List<Origin> origins(Elaborated.Node n) {
        if (n.site() == null || n.site().equals(n.span())) return List.of(origin(n.span()));
        return List.of(origin(n.site()), origin(n.span()));
    }

    private static Origin origin(Span s) {
        return new Origin(s.file().name(), s.line(), s.column(), s.endLine(), s.endColumn());
    }
}
