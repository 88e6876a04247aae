package hyenac.backends.codegen;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The identifiers of one kernel, scope by scope. A name must be a plain C identifier that no supported
 * dialect reserves (nor starts with {@code hy_}, the dialects' prefix), and may not shadow a visible one (sibling
 * scopes may reuse names).
 */
final class Names {
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    /** C99 keywords, CUDA's and OpenCL C's additions, and the builtins a dialect may spell. */
    private static final Set<String> RESERVED = Set.of(
            "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
            "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
            "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "bool",
            "true", "false", "half", "uchar", "ushort", "uint", "ulong", "kernel", "global", "local", "constant", "private",
            "threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize", "min", "max", "exp", "log", "sqrt", "erf", "erfc",
            "sin", "cos", "fabs", "fmax", "fmin", "new", "delete", "this", "class", "template", "namespace", "using",
            "operator", "asm", "INFINITY", "NAN");

    private final Names parent;
    private final Set<String> declared = new HashSet<>();

    Names(Names parent) { this.parent = parent; }

    Names child() { return new Names(this); }

    String declare(String name) {
        check(name);
        if (visible(name)) throw new IllegalArgumentException("`" + name + "` is already declared in an enclosing scope");
        declared.add(name);
        return name;
    }

    /** A name a generator gives (a kernel, a variable): an {@link #identifier} not starting with {@code hy_}. */
    static String check(String name) {
        identifier(name);
        // the dialects' helpers and their locals (hy_bf16, hy_v) and the assembly functions (hy_mma_…) are named hy_…
        if (name.startsWith("hy_")) throw new IllegalArgumentException("`" + name + "`: names starting with hy_ are the dialects' own");
        return name;
    }

    /** A plain C identifier that no supported dialect reserves (an assembly function's hy_… name included). */
    static String identifier(String name) {
        if (!IDENTIFIER.matcher(name).matches()) throw new IllegalArgumentException("`" + name + "` is not a plain C identifier");
        if (RESERVED.contains(name)) throw new IllegalArgumentException("`" + name + "` is reserved in C, CUDA or OpenCL");
        return name;
    }

    private boolean visible(String name) {
        return declared.contains(name) || parent != null && parent.visible(name);
    }
}
