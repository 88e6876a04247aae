package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records what elaboration produces: value ids and their widths, each primitive application as a node,
 * the weights declared, and probes (values by binding path). Nodes and weights are collected per part
 * (each layer, then the head) between calls to {@link #startPart()}.
 */
final class Recorder {
    private int nextValue;
    private int nextNode;
    private final Map<Integer, Long> widths = new HashMap<>();
    private final Map<String, Integer> probes = new LinkedHashMap<>();
    private List<Elaborated.Node> nodes = new ArrayList<>();
    private Map<String, Elaborated.Weight> weights = new LinkedHashMap<>();

    int newValue(long width) {
        int id = nextValue++;
        widths.put(id, width);
        return id;
    }

    /** A node with the next id, recorded by the caller. */
    Elaborated.Node node(String op, Map<String, EvalValue> args, List<Integer> inputs, List<Integer> outputs,
                         Map<String, String> weights, String path, Span span, Span site) {
        return new Elaborated.Node(nextNode++, op, args, inputs, outputs, weights, path, span, site);
    }

    /** Records a node in the current part. */
    void record(String op, Map<String, EvalValue> args, List<Integer> inputs, List<Integer> outputs,
                Map<String, String> weights, String path, Span span, Span site) {
        nodes.add(node(op, args, inputs, outputs, weights, path, span, site));
    }

    /** Records a weight in the current part; an instance applied twice declares it once. */
    void weight(Elaborated.Weight w) {
        weights.putIfAbsent(w.name(), w);
    }

    void startPart() {
        nodes = new ArrayList<>();
        weights = new LinkedHashMap<>();
    }

    List<Elaborated.Node> nodes() {
        return nodes;
    }

    List<Elaborated.Weight> weights() {
        return List.copyOf(weights.values());
    }

    void probe(String name, int value) {
        probes.put(name, value);
    }

    /** A tensor bound inside an instance; an instance applied twice keeps the first. */
    void probe(String path, Ast.Ident name, EvalValue v) {
        if (v instanceof EvalValue.Tensor t && !path.isEmpty()) probes.putIfAbsent(WeightNaming.child(path, name.name()), t.id());
    }

    Map<Integer, Long> widths() {
        return Map.copyOf(widths);
    }

    Map<String, Integer> probes() {
        return probes;
    }
}
