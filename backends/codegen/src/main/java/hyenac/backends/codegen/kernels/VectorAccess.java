package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * 16-byte accesses for the bandwidth-bound kernels (elementwise, normalisation): a thread reads and writes a whole
 * vector of {@link #lanes} elements at once, where a row of [B, L, C] splits into whole vectors. Every buffer a plan
 * launches a kernel on starts 256-byte aligned (pool slots at {@code Plan.ALIGNMENT}, weights, constants and states in
 * allocations of their own), so a vector at an element index that is a multiple of the lanes is aligned when C is too;
 * otherwise a kernel keeps its scalar form.
 */
final class VectorAccess {
    private VectorAccess() {}

    static final int BYTES = 16;

    /** Elements in one 16-byte vector: 8 in bf16, 4 in fp32. */
    static int lanes(Precision p) { return BYTES / p.storage().bytes(); }

    /** Whether rows of {@code width} elements split into whole, aligned vectors. */
    static boolean fits(long width, Precision p) { return width % lanes(p) == 0; }

    /** A private float array of {@code n} elements, {@code float name[n];}, filled by a vector load or an unrolled loop. */
    static Var array(Scope s, String name, int n) { return s.array(name, Scalar.FLOAT, n); }

    /** Elements {@code from} … {@code from + n − 1} of an array, as a vector access takes them. */
    static List<Expr> elements(Var array, Expr from, int n) {
        List<Expr> out = new ArrayList<>();
        for (int j = 0; j < n; j++) out.add(array.at(from.add(j)));
        return out;
    }

    /** All elements of an array of {@code n}. */
    static List<Expr> elements(Var array, int n) { return elements(array, Expr.lit(0), n); }
}
