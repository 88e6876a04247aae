package hyenac.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.DirectedAcyclicGraph;

/**
 * A model as a dataflow graph in SSA form: nodes in a topological order, each value produced once.
 * Immutable; passes build new graphs with {@link Builder}. {@code probes} name values for observers
 * (tests, conformance, debugging) by their binding path in the DSL, e.g. {@code layers.2.mixer.q}.
 * {@code attrs} holds facts about the whole model that no node carries (its name, context, the operator
 * each layer was written with), as plain Longs and Strings; passes keep them.
 */
public final class Graph {
    private final List<Node> nodes;
    private final Map<Integer, Value> values;
    private final List<Integer> inputs;
    private final List<Integer> outputs;
    private final Map<String, Weight> weights;
    private final Map<String, Integer> probes;
    private final Map<String, Object> attrs;
    private final Map<Integer, Node> producers = new HashMap<>();

    private Graph(List<Node> nodes, Map<Integer, Value> values, List<Integer> inputs, List<Integer> outputs,
                  Map<String, Weight> weights, Map<String, Integer> probes, Map<String, Object> attrs) {
        this.nodes = List.copyOf(nodes);
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.probes = Collections.unmodifiableMap(new LinkedHashMap<>(probes));
        this.attrs = Collections.unmodifiableMap(new LinkedHashMap<>(attrs));
        for (Node n : nodes) for (int r : n.results()) producers.put(r, n);
    }

    public List<Node> nodes() { return nodes; }
    public Map<Integer, Value> values() { return values; }
    public Value value(int id) { return values.get(id); }
    public List<Integer> inputs() { return inputs; }
    public List<Integer> outputs() { return outputs; }
    public Map<String, Weight> weights() { return weights; }
    public Map<String, Integer> probes() { return probes; }
    public Map<String, Object> attrs() { return attrs; }

    /** The node that produces a value, or null for a graph input. */
    public Node producer(int value) { return producers.get(value); }

    /** The nodes reading a value, in order. */
    public List<Node> users(int value) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) if (n.operands().contains(value)) out.add(n);
        return out;
    }

    /**
     * The nodes that computing {@code wanted} needs, in graph order (a new list): the producers of the wanted values
     * and, through their operands, of everything those read, back to the {@code given} values (which are not
     * recomputed) or to values no node produces (the graph's inputs). Whether every wanted value is then computable
     * is the caller's check.
     */
    public List<Node> slice(Set<Integer> given, Collection<Integer> wanted) {
        Set<Node> needed = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Integer> todo = new ArrayDeque<>(wanted);
        while (!todo.isEmpty()) {
            int v = todo.pop();
            if (given.contains(v)) continue;
            Node p = producers.get(v);
            if (p != null && needed.add(p)) todo.addAll(p.operands());
        }
        List<Node> out = new ArrayList<>(needed.size());
        for (Node n : nodes) if (needed.contains(n)) out.add(n);
        return out;
    }

    /** The graph as a JGraphT DAG (an edge per operand); building it fails on a cycle. */
    public DirectedAcyclicGraph<Node, DefaultEdge> dag() {
        DirectedAcyclicGraph<Node, DefaultEdge> dag = new DirectedAcyclicGraph<>(DefaultEdge.class);
        nodes.forEach(dag::addVertex);
        for (Node n : nodes) {
            for (int operand : n.operands()) {
                Node p = producers.get(operand);
                if (p != null && !dag.containsEdge(p, n)) dag.addEdge(p, n);
            }
        }
        return dag;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.nodes.addAll(nodes);
        b.values.putAll(values);
        b.inputs.addAll(inputs);
        b.outputs.addAll(outputs);
        b.weights.putAll(weights);
        b.probes.putAll(probes);
        b.attrs.putAll(attrs);
        b.nextValue = values.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        b.nextNode = nodes.stream().mapToInt(Node::id).max().orElse(-1) + 1;
        return b;
    }

    /** Assembles a graph; ids are handed out in order so printing is deterministic. */
    public static final class Builder {
        final List<Node> nodes = new ArrayList<>();
        final Map<Integer, Value> values = new LinkedHashMap<>();
        final List<Integer> inputs = new ArrayList<>();
        final List<Integer> outputs = new ArrayList<>();
        final Map<String, Weight> weights = new LinkedHashMap<>();
        final Map<String, Integer> probes = new LinkedHashMap<>();
        final Map<String, Object> attrs = new LinkedHashMap<>();
        int nextValue;
        int nextNode;

        public int newValue(TensorType type) {
            int id = nextValue++;
            values.put(id, new Value(id, type));
            return id;
        }

        /** Keeps a value's id (used when translating from the checker's numbering). */
        public void value(int id, TensorType type) {
            values.put(id, new Value(id, type));
            nextValue = Math.max(nextValue, id + 1);
        }

        public int nextNodeId() { return nextNode++; }

        public Builder input(int value) { inputs.add(value); return this; }
        public Builder output(int value) { outputs.add(value); return this; }
        public Builder weight(Weight w) { weights.put(w.name(), w); return this; }
        public Builder removeWeight(String name) { weights.remove(name); return this; }
        public Builder probe(String name, int value) { probes.put(name, value); return this; }
        public Builder attr(String key, Object value) { attrs.put(key, value); return this; }

        public Builder add(Node n) {
            nodes.add(n);
            nextNode = Math.max(nextNode, n.id() + 1);
            return this;
        }

        public List<Node> nodes() { return nodes; }
        public Map<Integer, Value> values() { return values; }
        public Map<String, Integer> probes() { return probes; }
        public List<Integer> outputs() { return outputs; }

        public Graph build() { return new Graph(nodes, values, inputs, outputs, weights, probes, attrs); }
    }
}
