package hyenac.compiler.artifact;

import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import java.util.Collection;
import java.util.EnumMap;
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

    /** @throws ArtifactException naming the first stored plan that differs from the pipeline's, and where */
    static Planner check(String artifact, String builtBy, Map<Phase, String> json, KernelPipeline fresh) {
        Map<Phase, Plan> stored = new EnumMap<>(Phase.class);
        for (var e : json.entrySet()) {
            String entry = Executable.PLANS_DIR + e.getKey().spelling() + ".json";
            String ours = PlanJson.write(fresh.plan(e.getKey()));
            if (!ours.equals(e.getValue())) {
                throw new ArtifactException(artifact + ": entry " + entry + " differs from the " + e.getKey().spelling() + " plan hyenac "
                        + Executable.hyenacVersion() + " makes of the embedded spec for " + fresh.lowering().target() + " (first at line "
                        + Executable.firstDifference(e.getValue(), ours) + "): the artifact was built by hyenac " + builtBy
                        + ", or edited; compile it again with this hyenac");
            }
            try {
                stored.put(e.getKey(), PlanJson.read(e.getValue()));
            } catch (IllegalArgumentException ex) {
                throw new ArtifactException(artifact + ": entry " + entry + " is " + ex.getMessage(), ex);
            }
        }
        return new StoredPlans(fresh, stored);
    }

    @Override public Graph graph() { return fresh.graph(); }

    @Override public Plan plan(Phase phase, Set<Integer> given, Collection<Integer> wanted) {
        Plan p = stored.get(phase);
        if (p != null && p.given().equals(Set.copyOf(given)) && p.wanted().equals(java.util.List.copyOf(wanted))) return p;
        return fresh.plan(phase, given, wanted);
    }
}
