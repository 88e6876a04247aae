package hyenac.dsl.check;

import hyenac.dsl.source.Span;
import java.util.List;
import java.util.Map;

/**
 * A checked model with every operator instantiated: its weights (named by binding path) and the
 * primitive applications of each layer, in order. The graph IR is built from this.
 */
public final class Elaborated {
    private Elaborated() {}

    /** A weight: its stable name, dtype, shape and layout facts; {@code span} is what declared it. */
    public record Weight(String name, String dtype, List<Long> shape, String layout, Span span) {
        public Weight { shape = List.copyOf(shape); }
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /**
     * One application of a primitive (or an elementwise arithmetic op: add, sub, mul, neg, scale).
     * Inputs and outputs are value ids; widths are per value id. {@code weights} maps the primitive's
     * weight roles ("weight", "bias", …) to the full weight names; an instance applied twice names the
     * same weights from both nodes. {@code site} is the user code it came from when {@code span} lies in
     * the prelude (null when there is none).
     */
    public record Node(int id, String op, Map<String, EvalValue> args, List<Integer> inputs, List<Integer> outputs,
                       Map<String, String> weights, String path, Span span, Span site) {
        public Node {
            args = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(args));
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            weights = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(weights));
        }
    }

    /** One layer: the block instance around the stripe's operator at this index. */
    public record Layer(int index, String block, String mixer, EvalValue.Op config, List<Weight> weights, List<Node> nodes,
                        Span span) {
        public Layer { weights = List.copyOf(weights); nodes = List.copyOf(nodes); }
        public long parameters() { return weights.stream().mapToLong(Weight::elements).sum(); }
    }

    /**
     * {@code probes} names values by binding path, e.g. {@code layers.2.mixer.q} for the {@code q} an
     * operator bound, {@code layers.2} for a layer's output, {@code embedding}, {@code final_norm},
     * {@code logits}: what tests and tools observe. Inputs of an instance bound twice keep the first name.
     */
    public record Model(String name, String doc, Span span, long vocab, long width, long context, String dtype,
                        List<Weight> embedding, List<Layer> layers, List<Weight> head, List<Node> headNodes,
                        Map<Integer, Long> widths, Map<String, Integer> probes) {
        public Model {
            embedding = List.copyOf(embedding);
            layers = List.copyOf(layers);
            head = List.copyOf(head);
            headNodes = List.copyOf(headNodes);
            probes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(probes));
        }

        public List<Weight> weights() {
            List<Weight> all = new java.util.ArrayList<>(embedding);
            layers.forEach(l -> all.addAll(l.weights()));
            all.addAll(head);
            return all;
        }

        public long parameters() { return weights().stream().mapToLong(Weight::elements).sum(); }

        public long width(int value) { return widths.getOrDefault(value, -1L); }
    }
}
