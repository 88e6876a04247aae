package hyenac.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation: a primitive applied to operand values, producing result values. {@code op} is the
 * primitive's name as graphs print it ({@link #primitive()} gives the primitive itself). Attributes are
 * plain Longs, Doubles, Booleans and Strings. {@code weights} maps the op's weight roles to weight
 * names. Nodes are immutable and identified by {@code id} (JGraphT keys vertices by equality, and two
 * applications of the same op must stay two vertices).
 */
public record Node(int id, String op, Map<String, Object> attrs, List<Integer> operands, List<Integer> results,
                   Map<String, String> weights, String path, List<Origin> origins) {
    public Node {
        attrs = Collections.unmodifiableMap(new LinkedHashMap<>(attrs));
        operands = List.copyOf(operands);
        results = List.copyOf(results);
        weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        origins = List.copyOf(origins);
    }

    /** The primitive this node applies; an op that names none fails (the verifier reports such a node first). */
    public Primitive primitive() { return Primitive.of(op); }

    /** Whether this node applies {@code p}; false for an op that names no primitive. */
    public boolean is(Primitive p) { return op.equals(p.op()); }

    public long intAttr(String name) { return ((Number) attrs.get(name)).longValue(); }
    public double floatAttr(String name) { return ((Number) attrs.get(name)).doubleValue(); }
    public boolean boolAttr(String name) { return Boolean.TRUE.equals(attrs.get(name)); }
    public String stringAttr(String name) { return (String) attrs.get(name); }

    public Node withOperands(List<Integer> newOperands) {
        return new Node(id, op, attrs, newOperands, results, weights, path, origins);
    }

    public Node withAttrs(Map<String, Object> newAttrs) {
        return new Node(id, op, newAttrs, operands, results, weights, path, origins);
    }

    @Override public boolean equals(Object o) { return o instanceof Node n && n.id == id; }
    @Override public int hashCode() { return Integer.hashCode(id); }
}
