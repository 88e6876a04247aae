package hyenac.runtime.exec;

import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;

/** A device that runs graphs: the CPU oracle, or a GPU through a {@link DeviceTarget}. */
public interface Backend {
    /** A short name, as {@code --target} spells it. */
    String name();

    /** Prepares a graph with its weights for generation on batches of {@code batch} sequences. */
    Session open(Graph graph, WeightStore weights, int batch);
}
