package hyenac.backends.codegen;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A built kernel: dialect-independent, rendered to source by {@link #render}. {@code minBlocks}: how many blocks
 * should fit on one multiprocessor at once (the compiler budgets registers for it), 0 for no ask.
 */
public record Kernel(String entry, int threadsPerBlock, int minBlocks, List<Var> params, List<Var> shared, List<Stmt> body) {
    public Kernel {
        params = List.copyOf(params);
        shared = List.copyOf(shared);
        body = List.copyOf(body);
    }

    /** Bytes of shared memory the block declares. */
    public int sharedBytes() {
        return shared.stream().mapToInt(v -> ((CType.Array) v.type()).bytes()).sum();
    }

    /** The scalar types that appear anywhere in the kernel (a dialect's preamble may depend on them, e.g. bf16). */
    public Set<CType.Scalar> scalarsUsed() {
        Set<CType.Scalar> used = EnumSet.noneOf(CType.Scalar.class);
        for (Var v : params) add(used, v.type());
        for (Var v : shared) add(used, v.type());
        CWriter.visit(body, e -> add(used, e.type()));
        return used;
    }

    /** Whether the body reads memory with {@link Scope#loadVector} (a dialect may need helpers for it). */
    public boolean usesVectorLoads() { return CWriter.anyStatement(body, s -> s instanceof Stmt.VectorLoad); }

    /** The kernel's source in a dialect: preamble, then the definition. */
    public String render(Dialect dialect) {
        if (sharedBytes() > dialect.maxSharedBytes()) {
            throw new IllegalStateException(entry + " declares " + sharedBytes() + " bytes of shared memory; " + dialect.name()
                    + " allows " + dialect.maxSharedBytes());
        }
        return new CWriter(dialect).kernel(this);
    }

    private static void add(Set<CType.Scalar> used, CType t) {
        switch (t) {
            case CType.Scalar s -> used.add(s);
            case CType.Pointer p -> used.add(p.element());
            case CType.Array a -> used.add(a.element());
        }
    }
}
