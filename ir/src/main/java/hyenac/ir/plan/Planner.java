package hyenac.ir.plan;

import hyenac.ir.Graph;
import java.util.Collection;
import java.util.Set;

/**
 * Makes the plans a backend runs: the compiler's kernel pipeline for one graph and target. Backends call it for
 * the phase and values a run needs and never fuse, select or plan memory themselves.
 */
public interface Planner {
    Graph graph();

    /** The plan that computes {@code wanted} from {@code given} (and the tokens) in {@code phase}. */
    Plan plan(Phase phase, Set<Integer> given, Collection<Integer> wanted);

    /** The plan of a phase as a model runs it: from the tokens to the graph's first output (the logits). */
    default Plan plan(Phase phase) { return plan(phase, Set.of(), java.util.List.of(graph().outputs().getFirst())); }
}
