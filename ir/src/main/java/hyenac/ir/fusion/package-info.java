/**
 * Fusion: grouping the nodes of a graph into kernels, by pattern kind. {@link hyenac.ir.fusion.FuseKernels} takes a
 * graph (the nodes that run, the values that must stay in memory) and returns an ordered list of
 * {@link hyenac.ir.fusion.Group}s; each group is one kernel or one library call, and says which of its values are
 * materialised (written to memory) and which live only inside it. The {@link hyenac.ir.fusion.Pattern}s are tried in
 * the priority order of {@link hyenac.ir.fusion.Patterns#STANDARD}: the gate-conv-gate Hyena core, the residual add
 * with the RMSNorm after it, in a decode step a projection with its epilogue (a GEMV), elementwise chains; whatever
 * no pattern takes runs alone.
 *
 * <p>Why here, in {@code ir}: the groups are the first layer of the kernel/plan IR, and every consumer of the plan
 * needs them without depending on another: the code generator emits one kernel per group ({@code backends/codegen}),
 * the CUDA executor launches them ({@code backends/cuda}) and {@code hyenac explain --kernels} prints them
 * ({@code compiler}, which the backends must not depend on, and whose tests the code generator's depend on).
 * {@code ir} is the one module all three see. Patterns are structural (ops, operands, users, widths); how a
 * group's kernel computes (tiling, algorithms) stays with the generator.
 *
 * <p>Rules every grouping keeps: a group never breaks a data dependence or the topological order (running groups
 * in list order runs every node after its operands' producers); a value read outside its group, a graph output
 * or a value the caller keeps is materialised; a fused group has at least two nodes.
 */
package hyenac.ir.fusion;
