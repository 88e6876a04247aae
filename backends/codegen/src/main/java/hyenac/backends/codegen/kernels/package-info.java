/**
 * The kernel generators, one class per family, written against the builder and therefore in any dialect:
 * {@link hyenac.backends.codegen.kernels.Pointwise elementwise ops and activations},
 * {@link hyenac.backends.codegen.kernels.RmsNorm}, {@link hyenac.backends.codegen.kernels.Embedding},
 * {@link hyenac.backends.codegen.kernels.Channels deinterleave, split, concat},
 * {@link hyenac.backends.codegen.kernels.CausalConv direct causal convolution and the fused Hyena core},
 * {@link hyenac.backends.codegen.kernels.Rope}, {@link hyenac.backends.codegen.kernels.Attention} (and, for bf16 at head dim
 * 64 or 128 in CUDA, {@link hyenac.backends.codegen.kernels.FlashAttention} on the tensor cores, through inline PTX),
 * {@link hyenac.backends.codegen.kernels.ModalFilter} and the {@link hyenac.backends.codegen.kernels.Decode decode
 * steps}; for the groups of the fusion pass ({@link hyenac.ir.fusion}), one kernel per group:
 * {@link hyenac.backends.codegen.kernels.HyenaCore}, {@code NormResidual} and {@code ElementwiseChain} (the last
 * two run a group's pointwise nodes per element through {@code ElementProgram}). {@link hyenac.backends.codegen.kernels.Kernels}
 * maps nodes and groups to them. Numerics follow the CPU reference kernels of {@code hyenac.backends.cpu}, which the
 * tests run them against.
 */
package hyenac.backends.codegen.kernels;
