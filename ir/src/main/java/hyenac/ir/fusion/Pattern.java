package hyenac.ir.fusion;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A kind of fused group. {@link FuseKernels} offers every node in graph order to each pattern in priority order
 * ({@link Patterns#STANDARD}); a pattern answers with the nodes of one group it would form there. It proposes only
 * free nodes and checks with {@link Context#schedulable} as it grows; the pass checks both again, so a pattern
 * cannot break the schedule. A pattern whose kernel writes only some of its values must also check that the
 * others are {@link Context#privateTo private} to the group.
 */
public interface Pattern {
    /** The kind of the groups it forms, e.g. {@code hyena_core}: a generator picks the group's kernel by it. */
    String kind();

    /** Whether the pattern applies to a run of this kind (most do to all; a decode step's GEMV epilogues only there). */
    default boolean runsIn(FuseKernels.Mode mode) { return true; }

    /**
     * Whether the pattern's kernel steps decode state itself, so that in a decode step it may take the nodes that keep
     * state, which otherwise run alone through their own step kernels ({@link Context#free} says so while it matches).
     */
    default boolean stepsState() { return false; }

    /** The nodes of one group formed at {@code node}, or empty when none forms there (a group has two nodes at least). */
    Optional<Set<Node>> match(Node node, Context ctx);

    /** What a pattern may ask the pass: the nodes that run, what is already grouped, what must stay in memory. */
    interface Context {
        Graph graph();

        /** The running node that produces a value, or null when the value comes from outside the run. */
        Node producer(int value);

        /** The running nodes that read a value, in graph order. */
        List<Node> users(int value);

        /** Whether a node runs and may still join a group (in none yet, not required to run alone by a pattern that steps no state). */
        boolean free(Node n);

        /** Whether a value must be materialised whoever reads it: a graph output, a value the caller wants. */
        boolean kept(int value);

        /** Whether the nodes can run as one kernel: no dependence leaves them and comes back, through other groups too. */
        boolean schedulable(Collection<Node> nodes);

        /** Whether a value lives only inside {@code nodes}: not kept, and read by no other running node. */
        default boolean privateTo(int value, Collection<Node> nodes) { return !kept(value) && nodes.containsAll(users(value)); }

        /** The channel count of a value. */
        default long width(int value) { return graph().value(value).type().channels(); }
    }
}
