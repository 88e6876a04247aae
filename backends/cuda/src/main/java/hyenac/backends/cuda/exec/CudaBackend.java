package hyenac.backends.cuda.exec;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.cuda.bindings.CudaException;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.backends.cuda.bindings.DeviceInfo;
import hyenac.backends.cuda.bindings.Driver;
import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.BackendUnavailableException;
import hyenac.runtime.exec.Session;
import hyenac.runtime.weights.WeightStore;
import java.util.function.Supplier;

/**
 * The cuda backend: generation on GPU 0 through {@link CudaExecutor} (prefill, then recurrent steps on the device),
 * with the CPU backend's contract, so {@code Generator} samples from its logits exactly as on the CPU. An
 * artifact's carried PTX is handed to the executor when it fits the GPU ({@link CarriedKernels#seed}). Failures
 * surface as the runtime's {@link BackendException}s: no GPU is a {@link BackendUnavailableException}.
 */
public final class CudaBackend implements Backend {
    private final Precision precision;
    private final CarriedKernels carried;
    private final BiFunction<Graph, Lowering, Planner> planning;

    /**
     * {@code precision}: the artifact's, or null for the spec's dtype; {@code carried}: the kernels of an artifact
     * compiled for cuda, or null; {@code planning}: the compiler's kernel pipeline for a graph and a lowering.
     */
    CudaBackend(Precision precision, CarriedKernels carried, BiFunction<Graph, Lowering, Planner> planning) {
        this.precision = precision;
        this.carried = carried;
        this.planning = planning;
    }

    @Override public String name() { return CudaTarget.NAME; }

    @Override public Session open(Graph graph, WeightStore weights, int batch) {
        Precision p = precision != null ? precision : Kernels.precisionOf(graph);
        // planned for the GPU this runs on (its name finds hyenac tune's measurements; an artifact runs its stored choices)
        DeviceInfo gpu = call(() -> {
            Driver d = Driver.load();
            d.init();
            return d.deviceInfo(0);
        });
        CudaExecutor exec = call(() -> new CudaExecutor(planning.apply(graph, CudaTarget.lowering(p, gpu)), weights));
        String note;
        try {
            // The executor compiles lazily, at a kernel's first launch, so the cache can still be seeded now.
            note = carried == null ? "" : call(() -> {
                Driver d = Driver.load();
                // the plans a run makes: checked against an artifact's stored ones, so their kernels are the carried ones
                List<Plan> plans = List.of(exec.planner().plan(Phase.PARALLEL), exec.planner().plan(Phase.PREFILL), exec.planner().plan(Phase.STEP));
                return carried.seed(plans, exec.arch(), d.driverVersion(), KernelCache.atDefaultLocation(), ptx -> loads(d, ptx));
            });
        } catch (RuntimeException e) {
            exec.close();
            throw e;
        }
        int vocab = Math.toIntExact(graph.value(graph.outputs().getFirst()).type().channels());
        return new Session() {
            public int vocab() { return vocab; }
            public float[] prefill(long[] tokens, int length) { return call(() -> exec.prefill(tokens, batch, length)); }
            public float[] step(long[] tokens) { return call(() -> exec.step(tokens)); }

            public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                return call(() -> exec.run(batch, length, tokens, Map.of(), wanted));
            }

            public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
                return call(() -> exec.prefillAllPositions(tokens, batch, length, maxLength));
            }
            public String note() { return note; }
            public void close() { exec.close(); }
        };
    }

    /** Whether the driver loads a PTX image (JIT-compiling it for the GPU, in the executor's context, current here). */
    private static boolean loads(Driver d, byte[] ptx) {
        try {
            d.moduleUnload(d.moduleLoadData(ptx, "carried PTX"));
            return true;
        } catch (CudaException e) {
            return false;
        }
    }

    /** Runs a step of the executor, turning the CUDA stack's exceptions into the runtime's, which the CLI prints. */
    private static <T> T call(Supplier<T> step) {
        try {
            return step.get();
        } catch (CudaUnavailableException e) {
            throw new BackendUnavailableException(e.getMessage(), e);
        } catch (CudaException | KernelCompileException e) {
            throw new BackendException("cuda: " + e.getMessage(), e);
        } catch (UnsupportedOperationException e) {
            throw new BackendException("the cuda target cannot run this model yet: " + e.getMessage(), e);
        }
    }
}
