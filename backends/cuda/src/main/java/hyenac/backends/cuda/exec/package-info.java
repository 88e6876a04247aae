/**
 * Running kernel plans on a GPU. {@link CudaExecutor} interprets the plans the compiler's kernel pipeline makes
 * ({@link hyenac.ir.plan.Planner}): one memory pool per prepared shape, launches bound once, cuBLASLt GEMMs, cuFFT
 * transforms, CUDA graph replay, and the decode states of prefill and step. {@link CudaBackend} puts it behind
 * the runtime's {@code Backend}/{@code Session} contract; {@link CudaTarget} is {@code --target cuda}, found by
 * ServiceLoader through {@code META-INF/services/hyenac.runtime.exec.DeviceTarget}; {@link CarriedKernels} writes
 * the kernels an artifact carries and hands their PTX to the executor at load.
 *
 * <p>It stands apart from the bindings because it is the only part of the module that knows graphs, plans and
 * weights: it is built on {@link hyenac.backends.cuda.bindings} and is what the rest of hyenac (the command
 * line, conformance, bench) runs a model through. Its classes share package-private members among themselves;
 * what is public is what those users call.
 */
package hyenac.backends.cuda.exec;
