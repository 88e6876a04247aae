package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * An OpenCL-flavoured dialect for tests only: it shows the builder and the generators carry nothing of
 * CUDA (the real OpenCL dialect comes with the OpenCL backend).
 */
final class ToyOpenClDialect implements Dialect {
    @Override public String name() { return "toy-opencl"; }

    @Override public List<String> preamble(Set<Scalar> used) {
        return used.contains(Scalar.BF16) ? List.of("typedef ushort bf16;") : List.of();
    }

    @Override public String kernelPrefix(int threadsPerBlock) {
        return "__kernel __attribute__((reqd_work_group_size(" + threadsPerBlock + ", 1, 1))) void";
    }

    @Override public String scalar(Scalar type) {
        return switch (type) {
            case INT64 -> "long";
            case BF16 -> "bf16";
            default -> type.name().toLowerCase(Locale.ROOT);
        };
    }

    @Override public String parameter(CType type, String name) {
        return switch (type) {
            case CType.Pointer p -> "__global " + (p.readOnly() ? "const " : "") + scalar(p.element()) + "*" + (p.restrict() ? " restrict " : " ") + name;
            case Scalar s -> scalar(s) + " " + name;
            case CType.Array a -> throw new IllegalArgumentException();
        };
    }

    @Override public String sharedArray(CType.Array type, String name) {
        return "__local " + scalar(type.element()) + " " + name + "[" + type.length() + "]";
    }

    @Override public String builtin(Expr.BuiltinKind kind, Expr.Axis axis, Scalar type) {
        String f = switch (kind) {
            case THREAD_INDEX -> "get_local_id";
            case BLOCK_INDEX -> "get_group_id";
            case BLOCK_SIZE -> "get_local_size";
            case GRID_SIZE -> "get_num_groups";
        };
        return "(" + scalar(type) + ")" + f + "(" + axis.ordinal() + ")";
    }

    @Override public String barrier() { return "barrier(CLK_LOCAL_MEM_FENCE | CLK_GLOBAL_MEM_FENCE);"; }

    @Override public String bf16ToFloat(String expr) { return "as_float((uint)(" + expr + ") << 16)"; }

    @Override public String floatToBf16(String expr) { return "bf16_round(" + expr + ")"; }

    @Override public String math(MathFn fn, Scalar type) { return fn.name().toLowerCase(Locale.ROOT); }

    @Override public String negInfinity(Scalar type) { return "-INFINITY"; }

    @Override public String unrollPragma() { return "__attribute__((opencl_unroll_hint))"; }

    @Override public int maxSharedBytes() { return 32 * 1024; }

    @Override public String int64Suffix() { return "L"; }
}
