package hyenac.ir.plan;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.Group;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a target gives the compiler's kernel pipeline: the algorithms it has for each convolution, their estimated
 * cost on its hardware, and the lowering of fused groups to kernels and library calls. The pipeline decides the
 * groups and the algorithms; the lowering writes the steps as told, over unplanned buffers (no slots yet).
 */
public interface Lowering {
    /** The target's name, as {@code --target} spells it. */
    String target();

    /**
     * The device whose costs this lowering models, by the name the device gives itself: where measurements taken on a
     * device ({@code hyenac tune}) apply.
     */
    default String device() { return target(); }

    /** The algorithms this target can compute node {@code n} with in {@code phase}; empty for a node that is not a convolution. */
    List<Algorithm> algorithms(Graph g, Node n, Phase phase);

    /** Estimated seconds for node {@code n} by {@code algorithm} at {@code shape} on this target's hardware. */
    double cost(Graph g, Node n, Algorithm algorithm, Shape shape);

    /**
     * The steps of {@code groups} (in order) for {@code phase}.
     *
     * @param algorithms the chosen algorithm per convolution node id
     * @param given      values loaded before a run
     * @param wanted     values read back after a run
     */
    Plan lower(Graph g, List<Group> groups, Map<Integer, Algorithm> algorithms, Phase phase, Set<Integer> given, Collection<Integer> wanted);
}
