package hyenac.backends.codegen.kernels;

import java.util.List;
import java.util.Map;

/**
 * A generator's kernel for a fused group and its bindings there, before {@link Kernels} ties it to the group's nodes;
 * {@code prepare}: the kernels that write its {@link Binding.Prepared} data once, in order.
 */
record GroupKernel(GeneratedKernel kernel, Map<String, Binding> bindings, List<GroupKernel> prepare) {
    GroupKernel(GeneratedKernel kernel, Map<String, Binding> bindings) { this(kernel, bindings, List.of()); }
}
