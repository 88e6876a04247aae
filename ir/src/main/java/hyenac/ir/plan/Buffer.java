package hyenac.ir.plan;

import hyenac.ir.DType;

/**
 * Memory a plan's steps read or write.
 *
 * @param id       its index in the plan's buffer list
 * @param kind     what it holds and who owns it
 * @param name     a graph value ({@code %12}), a weight or state name, or a scratch name ({@code n7.spectra})
 * @param element  the element type kernels read it as
 * @param elements how many elements, as a formula over the shape
 * @param slot     its slot in the pool ({@link Plan#slots()}), or -1 for memory the pool does not hold (weights,
 *                 constants, states) or before memory is planned
 */
public record Buffer(int id, Kind kind, String name, DType element, Size elements, int slot) {
    public enum Kind {
        /** A graph value, by {@code %id}. */
        VALUE,
        /** A temporary of one group's steps. */
        SCRATCH,
        /** Written once when the plan is prepared (a filter's spectrum) and read by every run. */
        PREPARED,
        /** The [B, L] token ids, int64. */
        TOKENS,
        /** A weight of the store, uploaded in this element type. */
        WEIGHT,
        /** Constant data: the weight store's buffer of this name where it has one, else {@link Plan#constants()}'s values. */
        CONSTANT,
        /** Decode state kept across runs: a FIR ring, a modal state, a KV cache, the decode clock. */
        STATE;

        /** Whether the plan's memory pool holds buffers of this kind. */
        public boolean pooled() { return this == VALUE || this == SCRATCH || this == PREPARED || this == TOKENS; }
    }

    public Size bytes() { return elements.times(element.bytes); }

    public Buffer inSlot(int newSlot) { return new Buffer(id, kind, name, element, elements, newSlot); }

    /** The graph value id of a VALUE buffer. */
    public int valueId() {
        if (kind != Kind.VALUE) throw new IllegalStateException(name + " is not a graph value");
        return Integer.parseInt(name.substring(1));
    }

    @Override public String toString() { return "b" + id; }
}
