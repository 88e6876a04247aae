package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds one kernel: its entry point, parameters, shared arrays and body.
 * <pre>
 *   KernelBuilder k = new KernelBuilder("scale_fp32", 256);
 *   Var x = k.param("x", CType.input(FLOAT));
 *   ...
 *   Scope body = k.body();
 *   body.when(i.ge(n), Scope::exit);
 *   Kernel kernel = k.build();
 * </pre>
 * Shared arrays are declared here, at kernel scope, because OpenCL allows local memory nowhere else.
 */
public final class KernelBuilder {
    private final String entry;
    private final int threadsPerBlock;
    private final Names names = new Names(null);
    private final List<Var> params = new ArrayList<>();
    private final List<Var> shared = new ArrayList<>();
    private final Scope body = new Scope(names.child());
    private int minBlocks;
    private boolean built;

    /** {@code threadsPerBlock}: the block size every launch uses (the dialect may pass it on as a launch bound). */
    public KernelBuilder(String entry, int threadsPerBlock) {
        this.entry = Names.check(entry);
        if (threadsPerBlock <= 0) throw new IllegalArgumentException("threads per block must be positive, got " + threadsPerBlock);
        this.threadsPerBlock = threadsPerBlock;
    }

    /** A parameter: a pointer to global memory or an int, int64, float or double scalar. */
    public Var param(String name, CType type) {
        requireOpen();
        if (type instanceof CType.Array) throw new IllegalArgumentException("arrays cannot be parameters");
        if (type instanceof Scalar s && !s.isNumeric()) throw new IllegalArgumentException("scalar parameters must be numbers, got " + s);
        if (type instanceof CType.Pointer p && p.space() != CType.Space.GLOBAL) throw new IllegalArgumentException("pointer parameters point to global memory");
        Var v = new Var(names.declare(name), type, false);
        params.add(v);
        return v;
    }

    /** An array in the block's shared memory. */
    public Var shared(String name, Scalar element, int length) { return shared(name, element, length, element.bytes()); }

    /** An array in the block's shared memory aligned to {@code align} bytes (16 for 16-byte copies into it). */
    public Var shared(String name, Scalar element, int length, int align) {
        requireOpen();
        Var v = new Var(names.declare(name), new CType.Array(element, length, CType.Space.SHARED, align), true);
        shared.add(v);
        return v;
    }

    /**
     * Asks the compiler to fit {@code blocks} blocks on one multiprocessor at once (in CUDA, the second
     * argument of {@code __launch_bounds__}): it then budgets registers for that, spilling if it must.
     */
    public KernelBuilder minBlocksPerMultiprocessor(int blocks) {
        requireOpen();
        if (blocks < 1) throw new IllegalArgumentException("at least one block, got " + blocks);
        this.minBlocks = blocks;
        return this;
    }

    public Scope body() {
        requireOpen();
        return body;
    }

    /** The kernel, waiting for its predecessors first unless its body says where ({@link Stmt.AwaitPredecessors}). */
    public Kernel build() {
        requireOpen();
        built = true;
        List<Stmt> stmts = body.statements();
        long atTop = stmts.stream().filter(s -> s instanceof Stmt.AwaitPredecessors).count();
        boolean nested = stmts.stream().anyMatch(s -> !(s instanceof Stmt.AwaitPredecessors)
                && CWriter.anyStatement(List.of(s), inner -> inner instanceof Stmt.AwaitPredecessors));
        // in a branch or a loop some threads could pass it by, or pass it twice
        if (nested || atTop > 1) throw new IllegalStateException(entry + " must wait for its predecessors once, at the top level of its body");
        if (atTop == 0) {
            List<Stmt> first = new ArrayList<>(stmts.size() + 1);
            first.add(new Stmt.AwaitPredecessors());
            first.addAll(stmts);
            stmts = first;
        }
        return new Kernel(entry, threadsPerBlock, minBlocks, params, shared, stmts);
    }

    private void requireOpen() {
        if (built) throw new IllegalStateException("kernel " + entry + " is already built");
    }
}
