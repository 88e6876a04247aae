package hyenac.compiler.passes;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes nodes whose results nothing reads and that are not outputs. Probes do not keep values
 * alive: a probe whose value is gone is dropped.
 */
public final class EliminateDeadCode implements Pass {
    @Override public String name() { return "EliminateDeadCode"; }

    @Override public Graph run(Graph g) {
        List<Node> kept = g.slice(Set.of(), g.outputs());
        Graph.Builder b = g.toBuilder();
        b.nodes().clear();
        kept.forEach(b::add);
        Set<Integer> defined = new HashSet<>(g.inputs());
        kept.forEach(n -> defined.addAll(n.results()));
        b.values().keySet().retainAll(defined);
        b.probes().values().retainAll(defined);
        return b.build();
    }
}
