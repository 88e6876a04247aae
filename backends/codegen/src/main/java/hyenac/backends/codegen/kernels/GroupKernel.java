package hyenac.backends.codegen.kernels;

import java.util.Map;

/** A generator's kernel for a fused group and its bindings there, before {@link Kernels} ties it to the group's nodes. */
record GroupKernel(GeneratedKernel kernel, Map<String, Binding> bindings) {}
