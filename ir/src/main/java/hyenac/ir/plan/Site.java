package hyenac.ir.plan;

import hyenac.ir.Origin;
import java.util.List;

/**
 * Where a step comes from: the graph nodes it implements, their model path, the DSL spans, and for a convolution
 * the algorithm the selection pass chose (null for other work).
 */
public record Site(List<Integer> nodes, String ops, String path, List<Origin> origins, Algorithm algorithm) {
    public Site {
        nodes = List.copyOf(nodes);
        origins = List.copyOf(origins);
    }

    @Override public String toString() {
        return ops + (path.isEmpty() ? "" : " " + path) + (algorithm == null ? "" : " [" + algorithm.spelling() + "]")
                + (origins.isEmpty() ? "" : " @ " + origins.getFirst());
    }
}
