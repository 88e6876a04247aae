package hyenac.ir.plan;

import hyenac.ir.DType;
import java.util.List;

/**
 * A generated kernel a plan launches, device-neutral: the backend compiles {@code code} with its own compiler
 * and launches {@code entry} on the grid.
 *
 * @param entry   the symbol to launch, unique per distinct code
 * @param name    the generator that wrote it, e.g. {@code hyena_core}
 * @param dialect the source dialect, e.g. {@code cuda}
 * @param code    the source that compiles (what caches key on)
 * @param params  the parameters in order
 * @param grid    blocks in x, y, z as formulas over the shape
 * @param block   threads per block in x, y, z
 */
public record Kernel(String entry, String name, String dialect, String code, List<Param> params, List<Size> grid, List<Integer> block) {
    public Kernel {
        params = List.copyOf(params);
        grid = List.copyOf(grid);
        block = List.copyOf(block);
        if (grid.size() != 3 || block.size() != 3) throw new IllegalArgumentException("a grid and a block have three dimensions");
    }

    /** A kernel parameter: a pointer to {@code element} (read-only or written), or a scalar of a C type. */
    public record Param(String name, Type type, DType element, boolean readOnly) {
        public enum Type { POINTER, INT, LONG, FLOAT, DOUBLE }

        public boolean pointer() { return type == Type.POINTER; }

        @Override public String toString() {
            return pointer() ? (readOnly ? "const " : "") + element.spelling() + "* " + name : type.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
        }
    }
}
