/**
 * The CPU reference kernels: every primitive of the language in plain Java, the numerical oracle the other
 * backends are checked against (SEMANTICS.md beside the repository is the contract).
 *
 * <p>Conventions shared by every kernel:
 * <ul>
 *   <li>Static methods over {@code float[]} with explicit dimensions; they return new arrays and never
 *       modify their inputs. Activations are channel-last [batch, length, channels], row-major: element
 *       (b, t, c) is at {@code (b·length + t)·channels + c}. Per-head tensors are [batch, length, heads·headDim].</li>
 *   <li>Storage is fp32; long sums (dot products, convolutions, RMS, softmax) accumulate in double and each
 *       output is rounded once. FFTs run in double.</li>
 *   <li>Loops over independent rows or channels use threads when the work is large; every output has a
 *       fixed order of arithmetic, so results are bitwise the same with or without threads.</li>
 * </ul>
 *
 * <p>Primitives: {@link hyenac.backends.cpu.Linear linear}, {@link hyenac.backends.cpu.Conv causal_conv}
 * (with {@link hyenac.backends.cpu.Fir}), {@link hyenac.backends.cpu.ModalFilter modal_conv},
 * {@link hyenac.backends.cpu.Norm rmsnorm}, {@link hyenac.backends.cpu.Channels deinterleave, split, concat},
 * {@link hyenac.backends.cpu.Activation gelu, silu, relu, identity}, {@link hyenac.backends.cpu.Attention
 * causal_attention} with {@link hyenac.backends.cpu.Rope rope}, {@link hyenac.backends.cpu.Elementwise add,
 * sub, mul, scale}. Recurrent (decode) forms: {@link hyenac.backends.cpu.FirState},
 * {@link hyenac.backends.cpu.ModalState}, {@link hyenac.backends.cpu.KvCache}. Our own {@link hyenac.backends.cpu.Fft}.
 */
package hyenac.backends.cpu;
