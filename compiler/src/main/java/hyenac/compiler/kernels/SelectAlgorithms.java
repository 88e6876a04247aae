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
 * shape (a decode step: one token). Ties go to the target's first offer.
 */
public final class SelectAlgorithms {
    /** A choice and the costs it was made from, in seconds by algorithm. */
    public record Choice(Node node, Algorithm algorithm, Map<Algorithm, Double> costs) {}

    private final Shape reference;

    /** {@code reference}: the shape a parallel pass or prefill is judged at (e.g. one sequence of 8192 tokens). */
    public SelectAlgorithms(Shape reference) { this.reference = reference; }

    public Shape reference(Phase phase) {
        return phase == Phase.STEP ? new Shape(reference.batch(), 1, reference.length()) : reference;
    }

    public List<Choice> run(Graph g, List<Group> groups, Phase phase, Lowering target) {
        Shape at = reference(phase);
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
                out.add(new Choice(n, best, costs));
            }
        }
        return out;
    }
}
