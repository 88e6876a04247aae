package hyenac.compiler.passes;

import hyenac.ir.Graph;
import java.util.List;
import java.util.Map;

/** Shared bookkeeping of passes that replace values: outputs and probes follow the replacement. */
final class Rewrites {
    private Rewrites() {}

    static void redirect(Graph.Builder b, Map<Integer, Integer> replace) {
        if (replace.isEmpty()) return;
        List<Integer> outs = b.outputs().stream().map(o -> replace.getOrDefault(o, o)).toList();
        b.outputs().clear();
        b.outputs().addAll(outs);
        b.probes().replaceAll((name, v) -> replace.getOrDefault(v, v));
        b.values().keySet().removeAll(replace.keySet());
    }
}
