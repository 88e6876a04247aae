package hyenac.ir;

import java.util.List;

/** A named weight the graph reads: its stable name, dtype, shape and layout facts (e.g. tap order). */
public record Weight(String name, DType dtype, List<Long> shape, String layout) {
    public Weight { shape = List.copyOf(shape); }

    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }
}
