package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Nodes that run as one kernel (or one library call), in graph order.
 *
 * @param kind         the pattern that formed it ({@link Pattern#kind()}), or {@link #SINGLE} for a node alone
 * @param nodes        its nodes in graph order
 * @param inputs       the values it reads from memory, in the order its nodes first read them (graph inputs included)
 * @param materialised the values it writes to memory, in the order its nodes produce them: a single node writes all
 *                     its results; a fused group only those read outside it, kept by the caller or leaving the graph
 */
public record Group(String kind, List<Node> nodes, List<Integer> inputs, List<Integer> materialised) {
    /** The kind of a node that no pattern fused: it runs through its own kernels or library call. */
    public static final String SINGLE = "single";

    public Group {
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        materialised = List.copyOf(materialised);
        if (nodes.isEmpty()) throw new IllegalArgumentException("an empty group");
        if (kind.equals(SINGLE) && nodes.size() != 1) throw new IllegalArgumentException("a single group holds one node, not " + nodes.size());
    }

    /** A node alone: it reads its operands and writes all its results. */
    public static Group single(Node n) {
        return new Group(SINGLE, List.of(n), n.operands().stream().distinct().toList(), n.results());
    }

    public boolean fused() { return !kind.equals(SINGLE); }

    /** The node of a single group. */
    public Node node() {
        if (fused()) throw new IllegalStateException("a " + kind + " group has " + nodes.size() + " nodes");
        return nodes.getFirst();
    }

    /** Values produced and read only inside the group: they get no buffer. */
    public List<Integer> internal() {
        List<Integer> out = new ArrayList<>();
        for (Node n : nodes) for (int r : n.results()) if (!materialised.contains(r)) out.add(r);
        return out;
    }

    /**
     * The group without {@code first}, a node whose results only the rest reads: the group that runs after it when a
     * target computes {@code first} apart (its results, in memory then, become inputs). A Hyena core's featurizer, for
     * a core algorithm whose kernels read z.
     */
    public Group without(Node first) {
        if (!nodes.contains(first) || nodes.size() < 3) throw new IllegalArgumentException(first.op() + " cannot leave " + this);
        List<Node> rest = nodes.stream().filter(n -> n != first).toList();
        List<Integer> in = new ArrayList<>();
        for (Node n : rest) {
            for (int v : n.operands()) {
                boolean inside = rest.stream().anyMatch(m -> m.results().contains(v));
                if (!inside && !in.contains(v)) in.add(v);
            }
        }
        if (materialised.stream().anyMatch(first.results()::contains)) throw new IllegalArgumentException(first.op() + "'s results leave " + this);
        return new Group(kind, rest, in, materialised);
    }

    /** The group's nodes of one primitive, in graph order. */
    public List<Node> nodes(Primitive p) { return nodes.stream().filter(n -> n.is(p)).toList(); }

    /** "hyena_core [deinterleave, mul, causal_conv, mul] reads %4 writes %10". */
    @Override public String toString() {
        return kind + " " + nodes.stream().map(Node::op).collect(Collectors.joining(", ", "[", "]")) + " reads " + ids(inputs) + " writes "
                + ids(materialised);
    }

    private static String ids(List<Integer> values) {
        return values.isEmpty() ? "-" : values.stream().map(v -> "%" + v).collect(Collectors.joining(" "));
    }
}
