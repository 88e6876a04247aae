/**
 * Kernel source generation: one typed C99 kernel builder with thin dialects.
 *
 * <p>Emitting source, compiling it and launching it are three separate interfaces:
 * <ul>
 *   <li><b>emit</b>: {@link hyenac.backends.codegen.KernelBuilder} builds a {@link hyenac.backends.codegen.Kernel}
 *       from typed {@link hyenac.backends.codegen.Expr expressions} and {@link hyenac.backends.codegen.Scope scoped}
 *       statements; a {@link hyenac.backends.codegen.Dialect} renders it (CUDA now, OpenCL later on the same builder).
 *       What C cannot say (tensor-core products, matrix loads, asynchronous copies) is typed inline PTX
 *       ({@link hyenac.backends.codegen.Ptx}), which only a dialect with inline PTX renders.
 *       The generators in {@code kernels} turn graph nodes and fusion groups into {@link hyenac.backends.codegen.KernelSource}s:
 *       text with a header naming the nodes and DSL lines served, plus the launch rule and arguments.</li>
 *   <li><b>compile</b>: {@code cache.KernelCompiler} (nvcc here, NVRTC in the CUDA backend) behind
 *       {@code cache.KernelCache}, keyed by the SHA-256 of code, options and architecture.</li>
 *   <li><b>launch</b>: the backends' business; they evaluate {@link hyenac.backends.codegen.Launch} for B and L
 *       and bind the arguments in the order {@link hyenac.backends.codegen.KernelSource#params()} gives.</li>
 * </ul>
 *
 * <p>Conventions of the generated kernels: activations are channel-last [B, L, C], element (b, t, c) at
 * {@code (b·L + t)·C + c}, indices in 64-bit; storage bf16 or fp32 ({@link hyenac.backends.codegen.Precision}),
 * arithmetic fp32 (fp64 where the reference's precision matters cheaply: RoPE angles, the modal recurrence and
 * filter); filters fp32. Channel counts, taps, heads and epsilons are compiled in; B, L and positions are
 * arguments. This module knows the IR, not the DSL, and nothing of CUDA's runtime.
 */
package hyenac.backends.codegen;
