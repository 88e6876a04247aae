package hyenac.backends.codegen.kernels;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseGemv;
import java.util.List;

/**
 * The graph nodes one GEMV computes, by role: a lone projection, or a {@link FuseGemv} group. {@code projections} in
 * the kernel's order: W0 is the one the activation applies to.
 *
 * @param spec        what the kernel computes
 * @param x           the value both projections read
 * @param projections the linear (or unembed) nodes, W0 first
 * @param residual    the value added last, or -1
 * @param y           the value written
 */
public record GemvGroup(Gemv.Spec spec, int x, List<Node> projections, int residual, int y) {
    public GemvGroup { projections = List.copyOf(projections); }

    public static GemvGroup of(Graph g, List<Node> nodes) {
        List<Node> projections = nodes.stream().filter(FuseGemv::projection).toList();
        Node act = nodes.stream().filter(n -> n.primitive().activation()).findFirst().orElse(null);
        Node add = nodes.stream().filter(n -> n.is(Primitive.ADD)).findFirst().orElse(null);
        if (projections.isEmpty() || projections.size() > 2) throw new IllegalArgumentException("a GEMV computes one or two projections, not " + nodes);
        if (act != null && projections.size() == 2 && act.operands().getFirst() != (int) projections.getFirst().results().getFirst()) {
            projections = List.of(projections.get(1), projections.get(0));
        }
        Node first = projections.getFirst();
        int x = first.operands().getFirst();
        long n = g.value(first.results().getFirst()).type().channels(), k = g.value(x).type().channels();
        int y = nodes.getLast().results().getFirst();
        int residual = -1;
        if (add != null) {
            // the add's operand that no node of the group computes
            for (int v : add.operands()) if (nodes.stream().noneMatch(m -> m.results().contains(v))) residual = v;
            if (residual < 0) throw new IllegalArgumentException("the add of " + nodes + " has no operand from outside the group");
        }
        Gemv.Spec spec = new Gemv.Spec(n, k, projections.size(), first.weights().get("bias") != null,
                act == null ? Primitive.IDENTITY : act.primitive(), add != null);
        return new GemvGroup(spec, x, projections, residual, y);
    }
}
