package hyenac.compiler.kernels;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses each convolution's algorithm among those the target has: by what {@code hyenac tune} measured on the
 * device the target plans for, where every candidate was measured at the reference shape ({@link KernelPipeline#reference}),
 * else by the target's cost estimate there. Ties go to the target's first offer.
 */
public final class SelectAlgorithms {
    /** Why a choice was made. */
    public enum Basis {
        /** The target's cost model. */
        MODEL,
        /** {@code hyenac tune}'s measurements on the device. */
        MEASURED,
        /** {@code -Dhyenac.algorithm}, whatever the costs. */
        PREFERRED,
        /** An artifact's stored plan, which is run as it was compiled. */
        STORED
    }

    /** A choice, why, and the costs it was weighed against in seconds by algorithm (measured ones when measured). */
    public record Choice(Node node, Algorithm algorithm, Basis basis, Map<Algorithm, Double> costs) {}

    /**
     * What the selection goes by besides the cost model: measurements, an algorithm preferred wherever offered (null:
     * none), and per phase the algorithms an artifact's stored plans chose, by node id.
     */
    public record Guides(Tuning tuning, Algorithm preferred, Map<Phase, Map<Integer, Algorithm>> stored) {
        public static final Guides NONE = new Guides(Tuning.none(), null, Map.of());

        public Guides {
            stored = Map.copyOf(stored);
        }

        Map<Integer, Algorithm> stored(Phase phase) { return stored.getOrDefault(phase, Map.of()); }
    }

    private SelectAlgorithms() {}

    /** Each convolution of {@code groups}, by the cost model at {@code at}. */
    public static List<Choice> run(Graph g, List<Group> groups, Phase phase, Shape at, Lowering target) {
        return run(g, groups, phase, at, target, Guides.NONE);
    }

    /**
     * Each convolution of {@code groups}: the algorithm an artifact stored for it, else the one {@code -Dhyenac.algorithm}
     * prefers where offered, else the fastest measured on the target's device, else the cheapest by the cost model at {@code at}.
     */
    public static List<Choice> run(Graph g, List<Group> groups, Phase phase, Shape at, Lowering target, Guides guides) {
        List<Choice> out = new ArrayList<>();
        for (Group group : groups) {
            for (Node n : group.nodes()) {
                List<Algorithm> offered = target.algorithms(g, n, phase);
                if (offered.isEmpty()) continue;
                Map<Algorithm, Double> costs = new LinkedHashMap<>();
                for (Algorithm a : offered) costs.put(a, target.cost(g, n, a, at));
                Optional<Tuning.Entry> measured = offered.size() < 2 ? Optional.empty()
                        : guides.tuning().find(target.device(), Tuning.key(g, n, at)).filter(e -> e.seconds().keySet().containsAll(offered));
                Algorithm stored = guides.stored(phase).get(n.id());
                if (stored != null && offered.contains(stored)) {
                    out.add(new Choice(n, stored, Basis.STORED, costs));
                } else if (guides.preferred() != null && offered.contains(guides.preferred())) {
                    out.add(new Choice(n, guides.preferred(), Basis.PREFERRED, costs));
                } else if (measured.isPresent()) {
                    Map<Algorithm, Double> times = new LinkedHashMap<>();
                    for (Algorithm a : offered) times.put(a, measured.get().seconds().get(a));
                    out.add(new Choice(n, cheapest(times), Basis.MEASURED, times));
                } else {
                    out.add(new Choice(n, cheapest(costs), Basis.MODEL, costs));
                }
            }
        }
        return out;
    }

    /** The first of the least (the map keeps the target's order of offers). */
    private static Algorithm cheapest(Map<Algorithm, Double> costs) {
        Algorithm best = null;
        for (var e : costs.entrySet()) if (best == null || e.getValue() < costs.get(best)) best = e.getKey();
        return best;
    }
}
