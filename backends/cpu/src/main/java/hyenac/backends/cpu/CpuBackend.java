package hyenac.backends.cpu;

import hyenac.ir.Graph;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.Session;
import hyenac.runtime.weights.WeightStore;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The CPU backend: the reference kernels in plain Java, the numerical oracle and the default without a GPU. */
public final class CpuBackend implements Backend {
    @Override public String name() { return "cpu"; }

    @Override public Session open(Graph graph, WeightStore weights, int batch) {
        CpuExecutor exec = new CpuExecutor(graph, weights);
        int vocab = Math.toIntExact(graph.value(graph.outputs().getFirst()).type().channels());
        return new Session() {
            public int vocab() { return vocab; }
            public float[] prefill(long[] tokens, int length) { return exec.prefill(tokens, batch, length); }
            public float[] step(long[] tokens) { return exec.step(tokens); }

            public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                return exec.run(batch, length, tokens, Map.of(), wanted);
            }

            // the CPU's KV caches grow as they fill: maxLength sizes nothing here
            public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
                return exec.prefill(tokens, batch, length, List.of()).get(graph.outputs().getFirst());
            }
        };
    }
}
