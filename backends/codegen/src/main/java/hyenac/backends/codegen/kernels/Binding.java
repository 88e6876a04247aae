package hyenac.backends.codegen.kernels;

/**
 * What a parameter of a fused group's kernel takes at one group: the kernel's code is shared by every group of
 * the same shape, the bindings are the group's own. Sizes (B·L, L, B) are the launcher's, as for every kernel.
 */
public sealed interface Binding {
    /** The buffer of graph value {@code id}. */
    record Value(int id) implements Binding {}

    /** A weight, by name. */
    record Weight(String name) implements Binding {}

    /** A real scalar (an op's attribute, e.g. scale's factor). */
    record Real(double value) implements Binding {}

    /** A decode state, by name (a node's ring or modal state, the decode clock), for the kernels that step it. */
    record State(String name) implements Binding {}

    /**
     * Data of this group that its preparation kernels ({@link FusedKernel#prepare}) write once, when a plan is prepared,
     * and every run reads: {@code elements} of the parameter's type, named for the group (a filter's spectrum).
     */
    record Prepared(String name, long elements) implements Binding {}

    /** Constant data by name (a twiddle table), the same wherever the name is bound: the weights' buffer of that name, else these values. */
    record Constant(String name, float[] values) implements Binding {}
}
