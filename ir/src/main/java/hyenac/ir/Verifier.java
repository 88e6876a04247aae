package hyenac.ir;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Structural and type checks of a graph. A failure is a compiler bug, never a user error (the
 * checker has already reported those), so {@link #verify} throws with every problem listed.
 */
public final class Verifier {
    private Verifier() {}

    public static void verify(Graph g, String after) {
        List<String> problems = problems(g);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("IR verification failed" + (after == null ? "" : " after " + after) + ":\n  "
                    + String.join("\n  ", problems));
        }
    }

    public static List<String> problems(Graph g) {
        List<String> out = new ArrayList<>();
        Set<Integer> defined = new HashSet<>(g.inputs());
        Set<Integer> nodeIds = new HashSet<>();
        for (int in : g.inputs()) if (g.value(in) == null) out.add("input %" + in + " has no type");
        for (Node n : g.nodes()) {
            String where = "node " + n.id() + " (" + n.op() + ")";
            if (!nodeIds.add(n.id())) out.add(where + ": duplicate node id");
            Primitive p = Primitive.find(n.op()).orElse(null);
            int before = out.size();
            if (p == null) {
                out.add(where + ": unknown op");
            } else {
                if (p.operands() != Primitive.ANY && n.operands().size() != p.operands()) out.add(where + ": takes " + p.operands() + " operands, has " + n.operands().size());
                if (p.results() != Primitive.ANY && n.results().size() != p.results()) out.add(where + ": makes " + p.results() + " results, has " + n.results().size());
                if (n.operands().isEmpty() || n.results().isEmpty()) out.add(where + ": needs operands and results");
                for (String a : n.attrs().keySet()) {
                    if (!p.attributes().contains(a)) out.add(where + ": attribute " + a + " is not one of " + p + "'s " + p.attributes());
                }
                for (Primitive.WeightRole role : p.weights()) {
                    if (!role.optional() && !n.weights().containsKey(role.name())) out.add(where + ": binds no " + role.name() + " weight");
                }
                for (String role : n.weights().keySet()) {
                    if (p.weight(role).isEmpty()) out.add(where + ": " + p + " has no weight role " + role);
                }
            }
            for (int operand : n.operands()) {
                if (!defined.contains(operand)) out.add(where + ": operand %" + operand + " is used before it is defined");
            }
            for (int r : n.results()) {
                if (g.value(r) == null) out.add(where + ": result %" + r + " has no type");
                if (!defined.add(r)) out.add(where + ": result %" + r + " is defined twice");
            }
            for (var w : n.weights().entrySet()) {
                if (!g.weights().containsKey(w.getValue())) out.add(where + ": weight " + w.getKey() + " = " + w.getValue() + " is not declared");
            }
            // a type rule may read any operand, attribute or weight its primitive has: only well-formed nodes get one
            if (p != null && out.size() == before) out.addAll(TypeRules.check(g, n).stream().map(problem -> where + ": " + problem).toList());
        }
        for (int o : g.outputs()) if (!defined.contains(o)) out.add("output %" + o + " is never defined");
        for (var p : g.probes().entrySet()) {
            if (!defined.contains(p.getValue())) out.add("probe " + p.getKey() + " names %" + p.getValue() + ", which is not defined");
        }
        return out;
    }
}
