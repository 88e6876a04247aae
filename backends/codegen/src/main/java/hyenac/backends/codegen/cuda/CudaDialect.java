package hyenac.backends.codegen.cuda;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Dialect;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.MathFn;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CUDA C++ as NVRTC and nvcc read it. Entry points are {@code extern "C"} so their symbols are the names
 * we chose; every kernel states its block size with {@code __launch_bounds__} so ptxas can budget registers.
 */
public final class CudaDialect implements Dialect {
    public static final CudaDialect INSTANCE = new CudaDialect();

    private CudaDialect() {}

    @Override public String name() { return "cuda"; }

    @Override public List<String> preamble(Set<Scalar> used) {
        return used.contains(Scalar.BF16) ? List.of("#include <cuda_bf16.h>") : List.of();
    }

    @Override public String kernelPrefix(int threadsPerBlock) {
        return "extern \"C\" __global__ void __launch_bounds__(" + threadsPerBlock + ")";
    }

    @Override public String scalar(Scalar type) {
        return switch (type) {
            case VOID -> "void";
            case BOOL -> "bool";
            case INT -> "int";
            case INT64 -> "long long";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            case BF16 -> "__nv_bfloat16";
        };
    }

    @Override public String parameter(CType type, String name) {
        return switch (type) {
            case CType.Pointer p -> (p.readOnly() ? "const " : "") + scalar(p.element()) + "*" + (p.restrict() ? " __restrict__ " : " ") + name;
            case Scalar s -> scalar(s) + " " + name;
            case CType.Array a -> throw new IllegalArgumentException("arrays are not parameters");
        };
    }

    @Override public String sharedArray(CType.Array type, String name) {
        return "__shared__ " + scalar(type.element()) + " " + name + "[" + type.length() + "]";
    }

    @Override public String builtin(Expr.BuiltinKind kind, Expr.Axis axis, Scalar type) {
        String base = switch (kind) {
            case THREAD_INDEX -> "threadIdx";
            case BLOCK_INDEX -> "blockIdx";
            case BLOCK_SIZE -> "blockDim";
            case GRID_SIZE -> "gridDim";
        };
        // unsigned in CUDA; cast so that index arithmetic stays signed
        return "(" + scalar(type) + ")" + base + "." + axis.name().toLowerCase(Locale.ROOT);
    }

    @Override public String barrier() { return "__syncthreads();"; }

    @Override public String bf16ToFloat(String expr) { return "__bfloat162float(" + expr + ")"; }

    @Override public String floatToBf16(String expr) { return "__float2bfloat16_rn(" + expr + ")"; }

    @Override public String math(MathFn fn, Scalar type) {
        // the intrinsics nvcc never contracts into an FMA
        if (fn == MathFn.MUL_RN) return type == Scalar.FLOAT ? "__fmul_rn" : "__dmul_rn";
        String base = fn.name().toLowerCase(Locale.ROOT);
        return type == Scalar.FLOAT ? base + "f" : base;
    }

    @Override public String negInfinity(Scalar type) {
        // no INFINITY macro under NVRTC without headers: build −∞ from its bits
        return type == Scalar.FLOAT ? "__int_as_float(0xff800000)" : "__longlong_as_double(0xfff0000000000000LL)";
    }

    @Override public String unrollPragma() { return "#pragma unroll"; }

    @Override public int maxSharedBytes() { return 48 * 1024; }

    @Override public String int64Suffix() { return "LL"; }
}
