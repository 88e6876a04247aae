package hyenac.backends.codegen.cuda;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Dialect;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.MathFn;
import hyenac.backends.codegen.Stmt;
import hyenac.backends.codegen.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CUDA C++ as NVRTC and nvcc read it. Entry points are {@code extern "C"} so their symbols are the names
 * we chose; every kernel states its block size with {@code __launch_bounds__} so ptxas can budget registers.
 * Inline PTX (tensor-core products, matrix loads, asynchronous copies) is written with {@code asm}.
 */
public final class CudaDialect implements Dialect {
    public static final CudaDialect INSTANCE = new CudaDialect();

    /** Whether code for {@code arch} may use Hopper's warpgroup tensor cores (wgmma): sm_90 alone (later GPUs dropped them). */
    public static boolean warpgroupMma(String arch) { return arch.equals("sm_90") || arch.equals("compute_90"); }

    /**
     * The target a CUDA compiler is given for {@code arch}: sm_90's arch-specific variant sm_90a (which adds wgmma and
     * setmaxnreg; its code runs on compute capability 9.0 alone, the only one sm_90 names), else {@code arch} itself.
     */
    public static String compileTarget(String arch) { return warpgroupMma(arch) ? arch + "a" : arch; }

    private CudaDialect() {}

    @Override public String name() { return "cuda"; }

    /**
     * bf16 without {@code cuda_bf16.h}, which a GPU machine with only the driver and NVRTC does not have: a bf16
     * is the upper half of a float's bits; narrowing rounds to nearest even and keeps a NaN a NaN. Guarded, so
     * sources holding several kernels define it once; inline rather than static, so a kernel that uses only one
     * of the two conversions (the tensor-core attention narrows but never widens) draws no unused-function warning.
     */
    public static final String BF16_PRELUDE = """
            #ifndef HY_BF16_PRELUDE
            #define HY_BF16_PRELUDE
            typedef unsigned short hy_bf16;
            __device__ __forceinline__ float hy_bf16_to_float(hy_bf16 h) {
                return __uint_as_float(((unsigned int) h) << 16);
            }
            __device__ __forceinline__ hy_bf16 hy_float_to_bf16(float f) {
                unsigned int u = __float_as_uint(f);
                if ((u & 0x7fffffffu) > 0x7f800000u) return (hy_bf16) ((u >> 16) | 0x40u);
                u += 0x7fffu + ((u >> 16) & 1u);
                return (hy_bf16) (u >> 16);
            }
            #endif""";

    /**
     * Loads of 16, 8 and 4 bytes as raw bits, for {@link hyenac.backends.codegen.Scope#loadVector}. The streaming ones
     * read data used once (a GEMV's weights) past L1 ({@code ld.global.nc.L1::no_allocate}, sm_70 on), so L1 keeps
     * what the kernel reuses; their assembly is volatile, so that none moves above the kernel's wait for its
     * predecessors. A host compiler (the test emulator) takes the plain path, trapping where a GPU
     * would fault on a misaligned address.
     */
    public static final String VECTOR_LOAD_PRELUDE = """
            #ifndef HY_VECTOR_LOAD_PRELUDE
            #define HY_VECTOR_LOAD_PRELUDE
            struct __align__(16) hy_b128 { unsigned int x, y, z, w; };
            struct __align__(8) hy_b64 { unsigned int x, y; };
            #ifdef __CUDA_ARCH__
            #define HY_LOAD_BITS(T, p, n) return *static_cast<const T*>(p)
            #else
            #define HY_LOAD_BITS(T, p, n) \\
                if (reinterpret_cast<unsigned long long>(p) % (n) != 0) __builtin_trap(); \\
                T v; \\
                __builtin_memcpy(&v, p, n); \\
                return v
            #endif
            __device__ __forceinline__ hy_b128 hy_load_b128(const void* p) { HY_LOAD_BITS(hy_b128, p, 16); }
            __device__ __forceinline__ hy_b64 hy_load_b64(const void* p) { HY_LOAD_BITS(hy_b64, p, 8); }
            __device__ __forceinline__ unsigned int hy_load_b32(const void* p) { HY_LOAD_BITS(unsigned int, p, 4); }
            #if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 700
            __device__ __forceinline__ hy_b128 hy_stream_b128(const void* p) {
                hy_b128 v;
                asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
                    : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w) : "l"(p));
                return v;
            }
            __device__ __forceinline__ hy_b64 hy_stream_b64(const void* p) {
                hy_b64 v;
                asm volatile("ld.global.nc.L1::no_allocate.v2.u32 {%0, %1}, [%2];" : "=r"(v.x), "=r"(v.y) : "l"(p));
                return v;
            }
            __device__ __forceinline__ unsigned int hy_stream_b32(const void* p) {
                unsigned int v;
                asm volatile("ld.global.nc.L1::no_allocate.u32 %0, [%1];" : "=r"(v) : "l"(p));
                return v;
            }
            #else
            __device__ __forceinline__ hy_b128 hy_stream_b128(const void* p) { return hy_load_b128(p); }
            __device__ __forceinline__ hy_b64 hy_stream_b64(const void* p) { return hy_load_b64(p); }
            __device__ __forceinline__ unsigned int hy_stream_b32(const void* p) { return hy_load_b32(p); }
            #endif
            #endif""";

    @Override public List<String> vectorLoadPreamble() { return VECTOR_LOAD_PRELUDE.lines().toList(); }

    /** One load of the raw bits into {@code hy_v}, then each element widened: a bf16 is the upper half of a float's bits. */
    @Override public List<String> vectorLoad(String address, Scalar element, List<String> targets, boolean streaming) {
        int bytes = targets.size() * element.bytes();
        String type = switch (bytes) {
            case 16 -> "hy_b128";
            case 8 -> "hy_b64";
            case 4 -> "unsigned int";
            default -> throw new IllegalArgumentException("no " + bytes + "-byte loads");
        };
        List<String> lines = new ArrayList<>();
        lines.add("{");
        lines.add("    const " + type + " hy_v = hy_" + (streaming ? "stream" : "load") + "_b" + bytes * 8 + "(" + address + ");");
        String[] fields = {"x", "y", "z", "w"};
        for (int j = 0; j < targets.size(); j++) {
            int word = j * element.bytes() / 4;
            String bits = bytes == 4 ? "hy_v" : "hy_v." + fields[word];
            String value = element == Scalar.FLOAT ? "__uint_as_float(" + bits + ")"
                    : j % 2 == 0 ? "__uint_as_float(" + bits + " << 16)" : "__uint_as_float(" + bits + " & 0xffff0000u)";
            lines.add("    " + targets.get(j) + " = " + value + ";");
        }
        lines.add("}");
        return lines;
    }

    /**
     * Stores of 16, 8 and 4 bytes of raw bits, for {@link hyenac.backends.codegen.Scope#storeVector}; a host compiler
     * (the test emulator) traps where a GPU would fault on a misaligned address.
     */
    public static final String VECTOR_STORE_PRELUDE = """
            #ifndef HY_VECTOR_STORE_PRELUDE
            #define HY_VECTOR_STORE_PRELUDE
            struct __align__(16) hy_w128 { unsigned int x, y, z, w; };
            struct __align__(8) hy_w64 { unsigned int x, y; };
            #ifdef __CUDA_ARCH__
            #define HY_STORE_BITS(T, p, v) *static_cast<T*>(p) = v
            #else
            #define HY_STORE_BITS(T, p, v) \\
                if (reinterpret_cast<unsigned long long>(p) % sizeof(T) != 0) __builtin_trap(); \\
                __builtin_memcpy(p, &v, sizeof(T))
            #endif
            __device__ __forceinline__ void hy_store_b128(void* p, unsigned int x, unsigned int y, unsigned int z, unsigned int w) {
                const hy_w128 v = {x, y, z, w};
                HY_STORE_BITS(hy_w128, p, v);
            }
            __device__ __forceinline__ void hy_store_b64(void* p, unsigned int x, unsigned int y) {
                const hy_w64 v = {x, y};
                HY_STORE_BITS(hy_w64, p, v);
            }
            __device__ __forceinline__ void hy_store_b32(void* p, unsigned int x) { HY_STORE_BITS(unsigned int, p, x); }
            #endif""";

    @Override public List<String> vectorStorePreamble() { return VECTOR_STORE_PRELUDE.lines().toList(); }

    /**
     * Each 32-bit word packed (a float's bits, or two bf16 rounded as a scalar store rounds them, the first in the low
     * half), then one store of the words.
     */
    @Override public List<String> vectorStore(String address, Scalar element, List<String> values) {
        int bytes = values.size() * element.bytes();
        if (bytes != 4 && bytes != 8 && bytes != 16) throw new IllegalArgumentException("no " + bytes + "-byte stores");
        List<String> lines = new ArrayList<>();
        lines.add("{");
        List<String> words = new ArrayList<>();
        for (int w = 0; w < bytes / 4; w++) {
            String bits = element == Scalar.FLOAT ? "__float_as_uint(" + values.get(w) + ")"
                    : "(unsigned int) " + floatToBf16(values.get(2 * w)) + " | (unsigned int) " + floatToBf16(values.get(2 * w + 1)) + " << 16";
            lines.add("    const unsigned int hy_w" + w + " = " + bits + ";");
            words.add("hy_w" + w);
        }
        lines.add("    hy_store_b" + bytes * 8 + "(" + address + ", " + String.join(", ", words) + ");");
        lines.add("}");
        return lines;
    }

    /** What the code of a kernel that waits for its predecessors holds (see {@link #awaitsPredecessors}). */
    private static final String GRID_WAIT = "griddepcontrol.wait;";

    /**
     * Programmatic dependent launch (sm_90 on): the wait for the previous grids, then the trigger that lets the next one
     * launch. Triggering only once running keeps one grid waiting at a time: a trigger before the wait would let every
     * later grid of the stream launch at once, and their waiting blocks would take the running grid's places on the
     * multiprocessors. Older GPUs have neither, and run every launch after the previous one, so there it is nothing.
     */
    @Override public List<String> awaitPredecessors() {
        return List.of("#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900",
                "asm volatile(\"" + GRID_WAIT + "\" ::: \"memory\");",
                "asm volatile(\"griddepcontrol.launch_dependents;\" ::: \"memory\");",
                "#endif");
    }

    /**
     * Whether kernel source waits for its predecessors, so that it may be launched to overlap them: every kernel this
     * version generates does; one carried by an artifact from before it does not, and must start after them.
     */
    public static boolean awaitsPredecessors(String code) { return code.contains(GRID_WAIT); }

    @Override public List<String> preamble(Set<Scalar> used) {
        return used.contains(Scalar.BF16) ? BF16_PRELUDE.lines().toList() : List.of();
    }

    @Override public String kernelPrefix(int threadsPerBlock) { return kernelPrefix(threadsPerBlock, 0); }

    @Override public String kernelPrefix(int threadsPerBlock, int minBlocks) {
        return "extern \"C\" __global__ void __launch_bounds__(" + threadsPerBlock + (minBlocks > 0 ? ", " + minBlocks : "") + ")";
    }

    @Override public String scalar(Scalar type) {
        return switch (type) {
            case VOID -> "void";
            case BOOL -> "bool";
            case INT -> "int";
            case INT64 -> "long long";
            case FLOAT -> "float";
            case DOUBLE -> "double";
            case BF16 -> "hy_bf16";
            case B32 -> "unsigned int";
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
        String align = type.align() > type.element().bytes() ? "__align__(" + type.align() + ") " : "";
        return "__shared__ " + align + scalar(type.element()) + " " + name + "[" + type.length() + "]";
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

    @Override public String bf16ToFloat(String expr) { return "hy_bf16_to_float(" + expr + ")"; }

    @Override public String floatToBf16(String expr) { return "hy_float_to_bf16(" + expr + ")"; }

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

    /** An H100's opt-in limit per block (227 KiB), for rendering without a device; the executor checks the device's own. */
    @Override public int maxDynamicSharedBytes() { return 227 * 1024; }

    /** The most alignment a dynamic shared array may ask: what wgmma's 128-byte swizzle needs. */
    private static final int DYNAMIC_SHARED_ALIGN = 1024;

    /**
     * The one buffer of dynamic shared memory, which every kernel's starts at: declared at file scope, once per translation
     * unit, aligned for any array carved from it. Guarded, so that the CPU emulator's shim, which defines the guard first,
     * brings its own.
     */
    private static final String DYNAMIC_SHARED_PRELUDE = """
            #ifndef HY_DYNAMIC_SHARED
            #define HY_DYNAMIC_SHARED
            extern __shared__ __align__(%d) unsigned char hy_dynamic_shared[];
            #endif""".formatted(DYNAMIC_SHARED_ALIGN);

    @Override public List<String> dynamicSharedPreamble() { return DYNAMIC_SHARED_PRELUDE.lines().toList(); }

    /** The line that opens a kernel's dynamic shared arrays; the executor reads the bytes from it ({@link #dynamicSharedBytes}). */
    private static final String DYNAMIC_SHARED_LINE = "// %d bytes of dynamic shared memory, given at launch";
    private static final Pattern DYNAMIC_SHARED_BYTES = Pattern.compile("^\\s*" + DYNAMIC_SHARED_LINE.replace("%d", "(\\d+)") + "$", Pattern.MULTILINE);

    /** That line, then each array as a pointer into the buffer: indexing and {@code &a[i]} read as they do on a static array. */
    @Override public List<String> dynamicSharedArrays(List<Var> arrays, List<Integer> offsets, int bytes) {
        List<String> lines = new ArrayList<>(List.of(DYNAMIC_SHARED_LINE.formatted(bytes)));
        for (int i = 0; i < arrays.size(); i++) {
            CType.Array a = (CType.Array) arrays.get(i).type();
            if (a.align() > DYNAMIC_SHARED_ALIGN) {
                throw new IllegalArgumentException("shared array " + arrays.get(i).name() + " asks " + a.align() + "-byte alignment; dynamic shared memory gives at most "
                        + DYNAMIC_SHARED_ALIGN);
            }
            String type = scalar(a.element());
            String at = offsets.get(i) == 0 ? "hy_dynamic_shared" : "hy_dynamic_shared + " + offsets.get(i);
            lines.add(type + "* const " + arrays.get(i).name() + " = reinterpret_cast<" + type + "*>(" + at + ");");
        }
        return lines;
    }

    /**
     * The bytes of dynamic shared memory each launch of the kernel {@code code} defines must give, as its source says: 0 where its
     * shared arrays are static (every kernel within {@link #maxSharedBytes}, and every kernel from before dynamic shared memory).
     */
    public static int dynamicSharedBytes(String code) {
        Matcher m = DYNAMIC_SHARED_BYTES.matcher(code);
        if (!m.find()) return 0;
        int bytes = Integer.parseInt(m.group(1));
        if (m.find()) throw new IllegalArgumentException("the source defines several kernels with dynamic shared memory: whose bytes a launch gives is ambiguous");
        return bytes;
    }

    @Override public String int64Suffix() { return "LL"; }

    @Override public boolean inlinePtx() { return true; }

    /** A call of the statement's assembly function: outputs are lvalues, bound to its reference parameters. */
    @Override public List<String> inlineAsm(Stmt.Asm asm, List<String> outputs, List<String> inputs) {
        List<String> args = new ArrayList<>(outputs);
        args.addAll(inputs);
        return wrapped(asm.function() + "(", args, ");");
    }

    /**
     * {@code __device__ __forceinline__ void hy_…(float& o0, …, unsigned int i0, …) { asm(…); }} under an include guard
     * named as the function in capitals: kernels that share a source define it once, and the CPU emulator's shim, which
     * defines the guard first, brings its own.
     */
    @Override public List<String> asmFunction(Stmt.Asm asm) {
        List<String> params = new ArrayList<>(), outs = new ArrayList<>(), ins = new ArrayList<>();
        for (int i = 0; i < asm.outputs().size(); i++) {
            params.add(operandType(asm.outputs().get(i).value().type()) + "& o" + i);
            outs.add("o" + i);
        }
        for (int i = 0; i < asm.inputs().size(); i++) {
            params.add(operandType(asm.inputs().get(i).value().type()) + " i" + i);
            ins.add("i" + i);
        }
        String guard = asm.function().toUpperCase(Locale.ROOT);
        List<String> lines = new ArrayList<>(List.of("#ifndef " + guard, "#define " + guard));
        List<String> head = wrapped("__device__ __forceinline__ void " + asm.function() + "(", params, ") {");
        for (int i = 0; i < head.size(); i++) lines.add((i == 0 ? "" : "        ") + head.get(i));
        List<String> body = asmStatement(asm, outs, ins);
        for (int i = 0; i < body.size(); i++) lines.add((i == 0 ? "    " : "            ") + body.get(i));
        lines.add("}");
        lines.add("#endif");
        return lines;
    }

    /** A parameter of an assembly function: the operand's scalar type, or an untyped address for a global pointer. */
    private String operandType(CType type) {
        return switch (type) {
            case CType.Pointer p -> "const void*";
            case Scalar s -> scalar(s);
            case CType.Array a -> throw new IllegalArgumentException("no assembly operands of " + a);
        };
    }

    /** {@code head + args + tail}, the arguments filling lines of up to 100 characters (the caller indents the continuations). */
    private static List<String> wrapped(String head, List<String> args, String tail) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder(head);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i) + (i + 1 < args.size() ? "," : tail);
            if (i == 0) {
                line.append(arg);
            } else if (line.length() + 1 + arg.length() > 100) {
                lines.add(line.toString());
                line = new StringBuilder(arg);
            } else {
                line.append(' ').append(arg);
            }
        }
        if (args.isEmpty()) line.append(tail);
        lines.add(line.toString());
        return lines;
    }

    /** The {@code asm} statement itself, over operands already named. */
    private List<String> asmStatement(Stmt.Asm asm, List<String> outputs, List<String> inputs) {
        List<String> outs = new ArrayList<>(), ins = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            Stmt.AsmOperand o = asm.outputs().get(i);
            outs.add("\"" + (o.mode() == Stmt.AsmMode.WRITE ? "=" : "+") + constraint(o.value().type()) + "\"(" + outputs.get(i) + ")");
        }
        for (int i = 0; i < inputs.size(); i++) ins.add("\"" + constraint(asm.inputs().get(i).value().type()) + "\"(" + inputs.get(i) + ")");
        String head = "asm" + (asm.sideEffects() ? " volatile" : "") + "(\"" + asm.template() + "\"";
        String clobber = asm.memory() ? " : \"memory\"" : "";
        if (outs.isEmpty() && ins.isEmpty()) return List.of(head + " :::" + clobber.substring(2) + ");");
        List<String> lines = new ArrayList<>(List.of(head, (": " + String.join(", ", outs)).strip()));
        if (!ins.isEmpty() || !clobber.isEmpty()) lines.add((": " + String.join(", ", ins)).strip() + clobber);
        lines.set(lines.size() - 1, lines.getLast() + ");");
        // a short statement reads best on one line
        String one = String.join(" ", lines);
        return one.length() <= 100 ? List.of(one) : lines;
    }

    /** The register class of an operand: 32-bit int or raw bits "r", 64-bit int or address "l", float "f", double "d". */
    private static String constraint(CType type) {
        return switch (type) {
            case CType.Pointer p -> "l";
            case Scalar s when s == Scalar.INT || s == Scalar.B32 -> "r";
            case Scalar s when s == Scalar.INT64 -> "l";
            case Scalar s when s == Scalar.FLOAT -> "f";
            case Scalar s when s == Scalar.DOUBLE -> "d";
            default -> throw new IllegalArgumentException("no assembly operands of " + type);
        };
    }

    @Override public String sharedAddress(String element) {
        return "(int)__cvta_generic_to_shared(&" + element + ")";
    }

    @Override public String shuffleXor(String value, Scalar type, int laneMask) {
        return "__shfl_xor_sync(0xffffffffu, " + value + ", " + laneMask + ")";
    }
}
