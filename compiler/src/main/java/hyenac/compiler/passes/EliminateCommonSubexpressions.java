package hyenac.compiler.passes;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges pure nodes that compute the same op with the same attributes on the same operands. Nodes
 * that read weights are left alone: two applications of one shared instance are rare, and merging
 * them needs no pass to be correct.
 */
public final class EliminateCommonSubexpressions implements Pass {
    @Override public String name() { return "EliminateCommonSubexpressions"; }

    private record Key(String op, Map<String, Object> attrs, List<Integer> operands) {}

    @Override public Graph run(Graph g) {
        Map<Key, Node> seen = new HashMap<>();
        Map<Integer, Integer> replace = new HashMap<>();
        Graph.Builder b = g.toBuilder();
        b.nodes().clear();
        for (Node n : g.nodes()) {
            Node node = n.withOperands(n.operands().stream().map(o -> replace.getOrDefault(o, o)).toList());
            if (node.weights().isEmpty()) { // a pure function of its operands and attributes
                Key key = new Key(node.op(), node.attrs(), node.operands());
                Node first = seen.putIfAbsent(key, node);
                if (first != null) {
                    for (int i = 0; i < node.results().size(); i++) replace.put(node.results().get(i), first.results().get(i));
                    continue;
                }
            }
            b.add(node);
        }
        Rewrites.redirect(b, replace);
        return b.build();
    }
}
