package hyenac.ir;

import java.util.List;
import java.util.stream.Collectors;

/** A tensor's dtype and symbolic shape, e.g. {@code [B, L, 4096] bf16}. */
public record TensorType(DType dtype, List<Dim> dims) {
    public TensorType { dims = List.copyOf(dims); }

    /** Activations: [B, L, channels]. */
    public static TensorType activation(DType dtype, long channels) {
        return new TensorType(dtype, List.of(Dim.B, Dim.L, Dim.of(channels)));
    }

    /** The last (channel) dimension. */
    public long channels() { return dims.getLast().size(); }

    @Override public String toString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "] ")) + dtype.spelling();
    }
}
