package hyenac.ir.plan;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The one canonical text of a plan: deterministic (the same plan prints the same bytes), symbolic in the shape,
 * with the pool's offsets evaluated at one example shape when one is given. Every step names the nodes, model
 * path, DSL span and (for a convolution) the algorithm it implements.
 */
public final class PlanPrinter {
    private PlanPrinter() {}

    public static String print(Plan p) { return print(p, null); }

    public static String print(Plan p, Shape example) {
        StringBuilder s = new StringBuilder();
        s.append("plan ").append(p.phase().spelling()).append(" given ").append(ids(p.given().stream().sorted().toList()))
                .append(" wanted ").append(ids(p.wanted())).append('\n');
        s.append("  kernels ").append(p.kernels().size()).append('\n');
        for (Kernel k : p.kernels()) {
            s.append("    ").append(k.entry()).append("  ").append(k.name()).append("  grid (")
                    .append(k.grid().stream().map(Size::toString).collect(Collectors.joining(", "))).append(") block (")
                    .append(k.block().stream().map(String::valueOf).collect(Collectors.joining(", "))).append(")\n");
        }
        long[] at = example == null || p.slots().isEmpty() ? null : p.offsets(example);
        s.append("  pool ").append(p.slots().size()).append(" slots");
        if (at != null) s.append(", ").append(at[p.slots().size()]).append(" bytes at ").append(example);
        s.append('\n');
        for (int i = 0; i < p.slots().size(); i++) {
            s.append("    slot ").append(i).append("  ").append(p.slots().get(i)).append(" bytes");
            if (at != null) s.append("  @").append(at[i]);
            s.append('\n');
        }
        s.append("  buffers ").append(p.buffers().size()).append('\n');
        for (Buffer b : p.buffers()) {
            s.append("    ").append(b).append("  ").append(b.kind().name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(b.name())
                    .append("  ").append(b.element().spelling()).append('[').append(b.elements()).append(']');
            if (b.slot() >= 0) s.append("  slot ").append(b.slot());
            s.append('\n');
        }
        s.append("  steps ").append(p.steps().size()).append('\n');
        for (int i = 0; i < p.steps().size(); i++) {
            Step st = p.steps().get(i);
            s.append("    ").append(i).append("  ").append(st.once() ? "once " : "").append(describe(st)).append("    ; ").append(st.site())
                    .append('\n');
        }
        return s.toString();
    }

    /** A step without its site: "launch ENTRY(args)", "gemm …", "fft …", "copy …". */
    public static String describe(Step st) {
        return switch (st) {
            case Step.Launch l -> "launch " + l.kernel() + l.args().stream().map(Arg::toString).collect(Collectors.joining(", ", "(", ")"));
            case Step.Gemm g -> "gemm m=" + g.m() + " n=" + g.n() + " k=" + g.k() + " x=b" + g.x() + " w=b" + g.w()
                    + (g.bias() < 0 ? "" : " bias=b" + g.bias()) + " -> b" + g.y();
            case Step.Fft f -> "fft " + (f.forward() ? "r2c" : "c2r") + " n=" + f.n() + " batch=" + f.batch() + " b" + f.in() + " -> b" + f.out();
            case Step.Copy c -> "copy " + c.count() + " x " + c.bytes() + " bytes b" + c.src() + "+" + c.srcOffset() + " (stride " + c.srcStride()
                    + ") -> b" + c.dst() + "+" + c.dstOffset() + " (stride " + c.dstStride() + ")";
        };
    }

    private static String ids(List<Integer> values) {
        return values.stream().map(v -> "%" + v).collect(Collectors.joining(" ", "{", "}"));
    }
}
