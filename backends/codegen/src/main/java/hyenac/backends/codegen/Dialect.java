package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import java.util.List;
import java.util.Set;

/**
 * What differs between C-family GPU languages, and nothing else: how a kernel is declared, how types,
 * pointers and shared memory are spelled, where a thread is, how a block waits, how bf16 converts and how
 * math functions are named. Everything else (expressions, statements, layout) is the builder's.
 */
public interface Dialect {
    /** A short name, e.g. {@code cuda}. */
    String name();

    /** Lines every translation unit starts with, given the scalar types its kernels use (e.g. a bf16 header). */
    List<String> preamble(Set<Scalar> used);

    /** The declaration up to the entry's name, e.g. {@code extern "C" __global__ void __launch_bounds__(256)}. */
    String kernelPrefix(int threadsPerBlock);

    /** As {@link #kernelPrefix(int)}, asking for {@code minBlocks} resident blocks per multiprocessor where the dialect can say so (0: no ask). */
    default String kernelPrefix(int threadsPerBlock, int minBlocks) { return kernelPrefix(threadsPerBlock); }

    String scalar(Scalar type);

    /** A parameter declaration of a pointer or scalar, e.g. {@code const float* __restrict__ x}. */
    String parameter(CType type, String name);

    /** A shared-memory array declaration without the semicolon, e.g. {@code __shared__ float tile[256]}. */
    String sharedArray(CType.Array type, String name);

    /** A thread or block coordinate as a value of {@code type} (INT or INT64). */
    String builtin(Expr.BuiltinKind kind, Expr.Axis axis, Scalar type);

    /** The block-wide barrier statement, with its semicolon. */
    String barrier();

    /** The float value of a bf16 expression. */
    String bf16ToFloat(String expr);

    /** A float expression rounded to bf16 (to nearest, ties to even). */
    String floatToBf16(String expr);

    String math(MathFn fn, Scalar type);

    /** −∞ of a floating type. */
    String negInfinity(Scalar type);

    /** A line that asks the next loop to be unrolled, or null when the dialect has none. */
    String unrollPragma();

    /** The most static shared memory one block may declare. */
    int maxSharedBytes();

    /**
     * The most shared memory one block may use: a kernel whose arrays exceed {@link #maxSharedBytes} has them carved out
     * of one buffer of dynamic shared memory that each launch gives ({@link #dynamicSharedArrays}). The static limit
     * where the dialect has no dynamic shared memory.
     */
    default int maxDynamicSharedBytes() { return maxSharedBytes(); }

    /** Lines a translation unit needs before kernels whose shared arrays are dynamic (the buffer they are carved from). */
    default List<String> dynamicSharedPreamble() { return List.of(); }

    /**
     * Shared arrays carved out of dynamic shared memory as complete lines: {@code arrays} at byte {@code offsets} into one
     * buffer of {@code bytes} that each launch gives; each array is then indexed, and its elements' addresses taken, as a
     * static one's.
     */
    default List<String> dynamicSharedArrays(List<Var> arrays, List<Integer> offsets, int bytes) {
        throw new UnsupportedOperationException(name() + " has no dynamic shared memory");
    }

    /** An integer or floating literal. */
    default String literal(Expr.Lit lit) {
        return switch (lit.type()) {
            case INT -> Integer.toString(lit.value().intValue());
            case INT64 -> Long.toString(lit.value().longValue()) + int64Suffix();
            case FLOAT -> floating(Float.toString(lit.value().floatValue())) + "f";
            case DOUBLE -> floating(Double.toString(lit.value().doubleValue()));
            default -> throw new IllegalArgumentException("no literal of " + lit.type());
        };
    }

    /**
     * {@link Stmt.AwaitPredecessors} as lines. Nothing where kernels of one stream always run one after another,
     * as they do unless launched to overlap.
     */
    default List<String> awaitPredecessors() { return List.of(); }

    /** Whether the dialect renders inline PTX ({@link Stmt.Asm}), shared addresses and warp shuffles: CUDA does. */
    default boolean inlinePtx() { return false; }

    /**
     * An inline assembly statement, the call of its function, as lines (the first at the statement's indentation,
     * the rest continuing it), given its operands rendered as C expressions in order.
     */
    default List<String> inlineAsm(Stmt.Asm asm, List<String> outputs, List<String> inputs) {
        throw new UnsupportedOperationException(name() + " has no inline assembly");
    }

    /** The definition of the device function holding {@code asm}'s assembly, guarded so that a source may hold several kernels using it. */
    default List<String> asmFunction(Stmt.Asm asm) {
        throw new UnsupportedOperationException(name() + " has no inline assembly");
    }

    /** The shared-window address, as an int, of the shared-array element {@code element} (an lvalue). */
    default String sharedAddress(String element) {
        throw new UnsupportedOperationException(name() + " has no shared-window addresses");
    }

    /** {@code value} (an int or float) from lane (this lane XOR laneMask) of the warp. */
    default String shuffleXor(String value, Scalar type, int laneMask) {
        throw new UnsupportedOperationException(name() + " has no warp shuffles");
    }

    /** Lines a translation unit needs before kernels that use {@link Scope#loadVector} (none where loads are element by element). */
    default List<String> vectorLoadPreamble() { return List.of(); }

    /**
     * A {@link Stmt.VectorLoad} as lines: {@code targets} (float lvalues) from consecutive elements of type
     * {@code element} at {@code address} (a pointer expression). This portable form reads element by element; a
     * dialect with wide loads reads them in one access.
     */
    default List<String> vectorLoad(String address, Scalar element, List<String> targets, boolean streaming) {
        List<String> lines = new java.util.ArrayList<>();
        for (int j = 0; j < targets.size(); j++) {
            String e = "(" + address + ")[" + j + "]";
            lines.add(targets.get(j) + " = " + (element == Scalar.BF16 ? bf16ToFloat(e) : e) + ";");
        }
        return lines;
    }

    /** Lines a translation unit needs before kernels that use {@link Scope#storeVector} (none where stores are element by element). */
    default List<String> vectorStorePreamble() { return List.of(); }

    /**
     * A {@link Stmt.VectorStore} as lines: {@code values} (float expressions) narrowed to {@code element} and written to
     * consecutive elements at {@code address} (a pointer expression). This portable form writes element by element; a
     * dialect with wide stores writes them in one access.
     */
    default List<String> vectorStore(String address, Scalar element, List<String> values) {
        List<String> lines = new java.util.ArrayList<>();
        for (int j = 0; j < values.size(); j++) {
            lines.add("(" + address + ")[" + j + "] = " + (element == Scalar.BF16 ? floatToBf16(values.get(j)) : values.get(j)) + ";");
        }
        return lines;
    }

    /** The suffix of an int64 literal ({@code LL} in C99 where long is 32 bits). */
    String int64Suffix();

    /** Java's shortest round-trip spelling made C's: {@code 1.0E-6} → {@code 1.0e-06}, always with a point. */
    private static String floating(String java) {
        String s = java.replace("E", "e");
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e);
        if (!mantissa.contains(".")) mantissa += ".0";
        if (e < 0) return mantissa;
        String exp = s.substring(e + 1);
        boolean negative = exp.startsWith("-");
        String digits = negative ? exp.substring(1) : exp;
        if (digits.length() < 2) digits = "0" + digits;
        return mantissa + "e" + (negative ? "-" : "+") + digits;
    }
}
