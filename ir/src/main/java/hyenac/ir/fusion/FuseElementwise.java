package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive.Fusion;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Elementwise chains: connected pointwise ops over values of one width, computed in one pass per element
 * (b, t, c). A deinterleave or split may open a chain, its operand read in place (channel c of result j of a
 * deinterleave by n is channel n·c + j of the operand), so Hyena-LI's q, k, v never go through memory as a
 * whole. Grown from a seed to the pointwise producers and readers of its members, as far as the schedule allows.
 */
public final class FuseElementwise implements Pattern {
    public static final String KIND = "elementwise";

    @Override public String kind() { return KIND; }

    /** Whether a node is computed per element from the same element of its operands ({@link Fusion#POINTWISE}). */
    public static boolean pointwise(Node n) { return n.primitive().fusion() == Fusion.POINTWISE; }

    /** Whether a node can be a member of a per-element program: pointwise, or a channel selection opening it. */
    static boolean member(Node n) { return pointwise(n) || n.primitive().fusion() == Fusion.CHANNEL_SELECT; }

    /** The width of the elements a member computes: its results' channels. */
    static long width(Node n, Context ctx) { return ctx.width(n.results().getFirst()); }

    @Override public Optional<Set<Node>> match(Node seed, Context ctx) {
        if (!member(seed)) return Optional.empty();
        long width = width(seed, ctx);
        Set<Node> group = new LinkedHashSet<>(List.of(seed));
        Deque<Node> todo = new ArrayDeque<>(group);
        while (!todo.isEmpty()) {
            for (Node next : neighbours(todo.pop(), ctx)) {
                if (group.contains(next) || !ctx.free(next) || !member(next) || width(next, ctx) != width) continue;
                Set<Node> grown = new LinkedHashSet<>(group);
                grown.add(next);
                if (!ctx.schedulable(grown)) continue;
                group = grown;
                todo.add(next);
            }
        }
        return group.size() >= 2 ? Optional.of(group) : Optional.empty();
    }

    /**
     * Producers of a pointwise node's operands, and pointwise readers of a node's results. A channel selection's
     * operand is read in place from memory, so nothing joins through it (and a selection joins only as a producer).
     */
    private static List<Node> neighbours(Node n, Context ctx) {
        List<Node> out = new ArrayList<>();
        if (pointwise(n)) {
            for (int v : n.operands()) {
                Node p = ctx.producer(v);
                if (p != null) out.add(p);
            }
        }
        for (int r : n.results()) for (Node u : ctx.users(r)) if (pointwise(u)) out.add(u);
        return out;
    }
}
