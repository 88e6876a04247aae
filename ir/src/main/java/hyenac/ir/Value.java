package hyenac.ir;

/** A tensor flowing along the graph's edges: produced by exactly one node (or a graph input). */
public record Value(int id, TensorType type) {
    @Override public String toString() { return "%" + id; }
}
