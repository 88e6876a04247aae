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

    /** Whether the body writes memory with {@link Scope#storeVector}. */
    public boolean usesVectorStores() { return CWriter.anyStatement(body, s -> s instanceof Stmt.VectorStore); }

    /**
     * The assembly functions the body calls, one statement standing for each name, in first-use order; fails when one
     * name is used with two different templates or operand lists (its single definition would be wrong for one of them).
     */
    public List<Stmt.Asm> asmFunctions() {
        java.util.Map<String, Stmt.Asm> byName = new java.util.LinkedHashMap<>();
        CWriter.visitStatements(body, s -> {
            if (!(s instanceof Stmt.Asm a)) return;
            Stmt.Asm first = byName.putIfAbsent(a.function(), a);
            if (first != null && !first.sameFunction(a)) {
                throw new IllegalStateException(entry + " uses assembly function " + a.function() + " with two different forms: `" + first.template()
                        + "` and `" + a.template() + "`");
            }
        });
        return List.copyOf(byName.values());
    }

    /** The kernel's source in a dialect: preamble, the assembly functions it calls, then the definition. */
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
