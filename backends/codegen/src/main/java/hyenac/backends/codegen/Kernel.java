package hyenac.backends.codegen;

import java.util.ArrayList;
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

    /**
     * Bytes of dynamic shared memory each launch must give: where the arrays together exceed what the dialect allows
     * statically, they are carved out of one buffer ({@link #sharedOffsets}), whose size this is; else 0.
     */
    public int dynamicSharedBytes(Dialect dialect) {
        if (sharedBytes() <= dialect.maxSharedBytes()) return 0;
        return sharedOffsets().getLast() + ((CType.Array) shared.getLast().type()).bytes();
    }

    /**
     * Where each shared array starts in one buffer holding them all, in order: aligned as it asks, and to at least 16
     * bytes, so that 16-byte copies and vector accesses into it stay aligned wherever it lands.
     */
    public List<Integer> sharedOffsets() {
        List<Integer> offsets = new ArrayList<>();
        int end = 0;
        for (Var v : shared) {
            CType.Array a = (CType.Array) v.type();
            int align = Math.max(a.align(), 16);
            int start = (end + align - 1) / align * align;
            offsets.add(start);
            end = start + a.bytes();
        }
        return offsets;
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
        int bytes = Math.max(sharedBytes(), dynamicSharedBytes(dialect));
        if (bytes > dialect.maxDynamicSharedBytes()) {
            throw new IllegalStateException(entry + " needs " + bytes + " bytes of shared memory per block; " + dialect.name() + " allows at most "
                    + dialect.maxDynamicSharedBytes());
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
