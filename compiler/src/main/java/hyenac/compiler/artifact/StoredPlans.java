package hyenac.compiler.artifact;

import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import hyenac.ir.plan.Step;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * An artifact's stored kernel plans, run instead of planning again once the kernel pipeline is found to make the
 * same ones from the embedded spec. Plans for other values than a model run's (checks asking for intermediate
 * values) come from the pipeline.
 */
final class StoredPlans implements Planner {
    private final KernelPipeline fresh;
    private final Map<Phase, Plan> stored;

    private StoredPlans(KernelPipeline fresh, Map<Phase, Plan> stored) {
        this.fresh = fresh;
        this.stored = stored;
    }

    /**
     * The stored plans, once {@code pipeline} makes the same ones from the embedded spec with the algorithms they chose
     * (measurements or a device's costs may choose others now; an artifact runs as it was compiled).
     *
     * @throws ArtifactException naming the first stored plan that differs from the pipeline's, and where
     */
    static Planner check(String artifact, String builtBy, Map<Phase, String> json, KernelPipeline pipeline) {
        Map<Phase, Plan> stored = new EnumMap<>(Phase.class);
        for (var e : json.entrySet()) {
            String entry = Executable.PLANS_DIR + e.getKey().spelling() + ".json";
            try {
                stored.put(e.getKey(), PlanJson.read(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new ArtifactException(artifact + ": entry " + entry + " is " + ex.getMessage(), ex);
            }
        }
        KernelPipeline fresh = pipeline.withStored(choices(pipeline.graph(), stored));
        for (var e : json.entrySet()) {
            String entry = Executable.PLANS_DIR + e.getKey().spelling() + ".json";
            String ours = PlanJson.write(fresh.plan(e.getKey()));
            if (!ours.equals(e.getValue())) {
                throw new ArtifactException(artifact + ": entry " + entry + " differs from the " + e.getKey().spelling() + " plan hyenac "
                        + Executable.hyenacVersion() + " makes of the embedded spec for " + fresh.lowering().target() + " (first at line "
                        + Executable.firstDifference(e.getValue(), ours) + "): the artifact was built by hyenac " + builtBy
                        + ", or edited; compile it again with this hyenac");
            }
        }
        return new StoredPlans(fresh, stored);
    }

    /** Per phase, the algorithm each step's convolution ran by: a step's site records its last convolution's. */
    private static Map<Phase, Map<Integer, Algorithm>> choices(Graph g, Map<Phase, Plan> plans) {
        Map<Integer, Node> nodes = new HashMap<>();
        for (Node n : g.nodes()) nodes.put(n.id(), n);
        Map<Phase, Map<Integer, Algorithm>> out = new EnumMap<>(Phase.class);
        plans.forEach((phase, plan) -> {
            Map<Integer, Algorithm> chosen = new HashMap<>();
            for (Step step : plan.steps()) {
                Algorithm a = step.site().algorithm();
                if (a == null) continue;
                step.site().nodes().stream().map(nodes::get)
                        .filter(n -> n != null && (n.is(Primitive.CAUSAL_CONV) || n.is(Primitive.MODAL_CONV)))
                        .reduce((first, second) -> second).ifPresent(n -> chosen.put(n.id(), a));
            }
            out.put(phase, chosen);
        });
        return out;
    }

    @Override public Graph graph() { return fresh.graph(); }

    @Override public Plan plan(Phase phase, Set<Integer> given, Collection<Integer> wanted) {
        Plan p = stored.get(phase);
        if (p != null && p.given().equals(Set.copyOf(given)) && p.wanted().equals(java.util.List.copyOf(wanted))) return p;
        return fresh.plan(phase, given, wanted);
    }
}
