package hyenac.compiler.kernels;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses each convolution's algorithm among those the target has, by the target's cost estimate at a reference
 * shape ({@link KernelPipeline#reference}). Ties go to the target's first offer.
 */
public final class SelectAlgorithms {
    /** A choice and the costs it was made from, in seconds by algorithm. */
    public record Choice(Node node, Algorithm algorithm, Map<Algorithm, Double> costs) {}

    private SelectAlgorithms() {}

    /** Each convolution of {@code groups}, costed at {@code at}. */
    public static List<Choice> run(Graph g, List<Group> groups, Phase phase, Shape at, Lowering target) { return run(g, groups, phase, at, target, null); }

    /**
     * As {@link #run(Graph, List, Phase, Shape, Lowering)}, but {@code preferred} (when not null) is chosen wherever the
     * target offers it, whatever it costs: to measure one algorithm against another on the same plans.
     */
    public static List<Choice> run(Graph g, List<Group> groups, Phase phase, Shape at, Lowering target, Algorithm preferred) {
        List<Choice> out = new java.util.ArrayList<>();
        for (Group group : groups) {
            for (Node n : group.nodes()) {
                List<Algorithm> offered = target.algorithms(g, n, phase);
                if (offered.isEmpty()) continue;
                Map<Algorithm, Double> costs = new LinkedHashMap<>();
                Algorithm best = null;
                for (Algorithm a : offered) {
                    double c = target.cost(g, n, a, at);
                    costs.put(a, c);
                    if (best == null || c < costs.get(best)) best = a;
                }
                out.add(new Choice(n, preferred != null && offered.contains(preferred) ? preferred : best, costs));
            }
        }
        return out;
    }
}
