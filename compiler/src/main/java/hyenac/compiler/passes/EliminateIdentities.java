package hyenac.compiler.passes;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Canonicalisation: {@code identity(x)} and {@code scale(x, by = 1)} are x. Uses, outputs and probes
 * of their results are redirected to the operand (the Evo 2 MLPs after layer 0 apply `identity`).
 */
public final class EliminateIdentities implements Pass {
    @Override public String name() { return "EliminateIdentities"; }

    @Override public Graph run(Graph g) {
        Map<Integer, Integer> replace = new HashMap<>();
        Graph.Builder b = g.toBuilder();
        b.nodes().clear();
        for (Node n : g.nodes()) {
            List<Integer> operands = n.operands().stream().map(o -> replace.getOrDefault(o, o)).toList();
            boolean trivial = n.is(Primitive.IDENTITY) || n.is(Primitive.SCALE) && n.floatAttr("by") == 1.0;
            if (trivial) {
                replace.put(n.results().getFirst(), operands.getFirst());
                continue;
            }
            b.add(n.withOperands(operands));
        }
        Rewrites.redirect(b, replace);
        return b.build();
    }
}
