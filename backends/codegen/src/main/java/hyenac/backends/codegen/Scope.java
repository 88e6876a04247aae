package hyenac.backends.codegen;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Stmt.AssignOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A block of statements with its own names. Nested blocks ({@link #when}, {@link #loop}) are filled by
 * callbacks, so the Java nesting mirrors the C nesting and indentation follows by itself.
 */
public final class Scope {
    private final Names names;
    private final List<Stmt> stmts = new ArrayList<>();

    Scope(Names names) { this.names = names; }

    List<Stmt> statements() { return List.copyOf(stmts); }

    /** A constant local, {@code const T name = init;}, of the initialiser's type. */
    public Var let(String name, Expr init) {
        Scalar t = Expr.scalar(init);
        if (t == Scalar.VOID) throw new Expr.TypeError("cannot declare a void value");
        Var v = new Var(names.declare(name), t, false);
        stmts.add(new Stmt.Declare(v, init));
        return v;
    }

    /** A mutable local, {@code T name = init;}; the initialiser must convert to T without loss. */
    public Var var(String name, Scalar type, Expr init) {
        requireAssignable(type, init);
        Var v = new Var(names.declare(name), type, true);
        stmts.add(new Stmt.Declare(v, init));
        return v;
    }

    /** A per-thread array, {@code T name[length];} (uninitialised: fill it before reading). */
    public Var array(String name, Scalar type, int length) {
        Var v = new Var(names.declare(name), new CType.Array(type, length, CType.Space.PRIVATE), true);
        stmts.add(new Stmt.Declare(v, null));
        return v;
    }

    public void set(Expr target, Expr value) { update(target, AssignOp.SET, value); }

    /** {@code target += value}. */
    public void inc(Expr target, Expr value) { update(target, AssignOp.ADD, value); }

    public void update(Expr target, AssignOp op, Expr value) { stmts.add(assign(target, op, value)); }

    /** {@code pointer[index] = value}, converting a float or double value to the element type (bf16: round to nearest even). */
    public void store(Expr pointer, Expr index, Expr value) {
        Expr target = pointer.at(index);
        set(target, Expr.toStorage((Scalar) target.type(), value));
    }

    public void when(Expr cond, Consumer<Scope> then) { when(cond, then, null); }

    public void when(Expr cond, Consumer<Scope> then, Consumer<Scope> otherwise) {
        if (Expr.scalar(cond) != Scalar.BOOL) throw new Expr.TypeError("a condition must be boolean, got " + cond.type());
        Scope t = nested();
        then.accept(t);
        List<Stmt> e = List.of();
        if (otherwise != null) {
            Scope o = nested();
            otherwise.accept(o);
            e = o.statements();
        }
        stmts.add(new Stmt.If(cond, t.statements(), e));
    }

    /** {@code for (T name = from; name < to; name += step)}, T the wider integer type of from and to. */
    public void loop(String name, Expr from, Expr to, Expr step, BiConsumer<Var, Scope> body) {
        loop(name, from, to, step, false, body);
    }

    /** As {@link #loop}, asking the compiler to unroll it (for short loops with constant bounds). */
    public void unrolled(String name, Expr from, Expr to, BiConsumer<Var, Scope> body) {
        loop(name, from, to, Expr.lit(1), true, body);
    }

    private void loop(String name, Expr from, Expr to, Expr step, boolean unroll, BiConsumer<Var, Scope> body) {
        Scalar t = Scalar.promote(Expr.scalar(from), Expr.scalar(to));
        if (!t.isInteger()) throw new Expr.TypeError("loop bounds must be integers, got " + from.type() + " and " + to.type());
        loop(name, t, from, v -> v.lt(to), AssignOp.ADD, step, unroll, body);
    }

    /** The general form: {@code for (T name = init; cond(name); name op= step)}. */
    public void loop(String name, Scalar type, Expr init, Function<Var, Expr> cond, AssignOp op, Expr step,
                     BiConsumer<Var, Scope> body) {
        loop(name, type, init, cond, op, step, false, body);
    }

    private void loop(String name, Scalar type, Expr init, Function<Var, Expr> cond, AssignOp op, Expr step, boolean unroll,
                      BiConsumer<Var, Scope> body) {
        requireAssignable(type, init);
        Names inner = names.child();
        Var v = new Var(inner.declare(name), type, true);
        Expr c = cond.apply(v);
        if (Expr.scalar(c) != Scalar.BOOL) throw new Expr.TypeError("a loop condition must be boolean, got " + c.type());
        Scope s = new Scope(inner.child());
        body.accept(v, s);
        stmts.add(new Stmt.For(v, init, c, assign(v, op, step), s.statements(), unroll));
    }

    /** {@code return;} (leaving the kernel; only before or after every barrier of the block). */
    public void exit() { stmts.add(new Stmt.Return()); }

    public void barrier() { stmts.add(new Stmt.Barrier()); }

    /** See {@link Stmt.AwaitPredecessors}: where a kernel waits for its predecessors when it does not at its start. */
    public void awaitPredecessors() { stmts.add(new Stmt.AwaitPredecessors()); }

    /**
     * Inline assembly in the device function {@code function} (see {@link Stmt.Asm}): {@code template} names operand
     * i as {@code %i}, outputs first then inputs, and must use every operand. Outputs are assignable scalars; inputs
     * are scalars or global pointers (an {@link Expr#offset}). Only dialects with inline assembly can render it
     * ({@link Dialect#inlineAsm}). Function names start with {@code hy_}, which no generator's own names use.
     */
    public void asm(String function, String template, List<Expr> writes, List<Expr> readWrites, List<Expr> reads, boolean sideEffects,
                    boolean memory) {
        if (!function.startsWith("hy_")) throw new IllegalArgumentException("an assembly function's name starts with hy_, got " + function);
        Names.identifier(function);
        if (template.isBlank() || template.chars().anyMatch(c -> c == '"' || c == '\\' || c == '\n' || c < 0x20 || c > 0x7e)) {
            throw new IllegalArgumentException("an assembly template is one printable ASCII line without quotes or backslashes: " + template);
        }
        List<Stmt.AsmOperand> outs = new ArrayList<>();
        for (Expr w : writes) outs.add(new Stmt.AsmOperand(Stmt.AsmMode.WRITE, w));
        for (Expr rw : readWrites) outs.add(new Stmt.AsmOperand(Stmt.AsmMode.READ_WRITE, rw));
        for (Stmt.AsmOperand o : outs) {
            requireLvalue(o.value());
            if (!asmType(o.value().type())) throw new Expr.TypeError("no assembly operands of " + o.value().type());
        }
        List<Stmt.AsmOperand> ins = new ArrayList<>();
        for (Expr r : reads) {
            if (!asmType(r.type())) throw new Expr.TypeError("no assembly operands of " + r.type());
            ins.add(new Stmt.AsmOperand(Stmt.AsmMode.READ, r));
        }
        int n = outs.size() + ins.size();
        boolean[] used = new boolean[n];
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("%(\\d+)").matcher(template);
        while (m.find()) {
            int i = Integer.parseInt(m.group(1));
            if (i >= n) throw new IllegalArgumentException("assembly operand %" + i + " does not exist (" + n + " operands): " + template);
            used[i] = true;
        }
        for (int i = 0; i < n; i++) {
            if (!used[i]) throw new IllegalArgumentException("assembly operand %" + i + " is never used: " + template);
        }
        stmts.add(new Stmt.Asm(function, template, outs, ins, sideEffects, memory));
    }

    /**
     * {@code targets.size()} consecutive elements of a global float or bf16 array from {@code pointer[index]}, read as
     * one access of 4, 8 or 16 bytes (a GPU moves 16 bytes per thread in one instruction) and widened to float into
     * {@code targets}, float lvalues, in order. The access must be aligned to its size: {@code index} a multiple of
     * the count and the array so aligned (plan buffers start 256-byte aligned); a misaligned wide load faults on a GPU,
     * and in the emulator. {@code streaming}: each element is read once, so the dialect may keep it out of the cache
     * that holds what the kernel reuses.
     */
    public void loadVector(Expr pointer, Expr index, List<Expr> targets, boolean streaming) {
        if (!(pointer.type() instanceof CType.Pointer p && p.space() == CType.Space.GLOBAL)) {
            throw new Expr.TypeError("a vector load reads global memory, got " + pointer.type());
        }
        if (p.element() != Scalar.FLOAT && p.element() != Scalar.BF16) throw new Expr.TypeError("vector loads widen float or bf16 elements, not " + p.element());
        if (!Expr.scalar(index).isInteger()) throw new Expr.TypeError("an index must be an integer, got " + index.type());
        int bytes = targets.size() * p.element().bytes();
        if (bytes != 4 && bytes != 8 && bytes != 16) {
            throw new IllegalArgumentException("a vector load reads 4, 8 or 16 bytes, not " + targets.size() + " " + p.element() + " elements");
        }
        for (Expr t : targets) {
            requireLvalue(t);
            if (t.type() != Scalar.FLOAT) throw new Expr.TypeError("a vector load widens to float, not into a " + t.type());
        }
        stmts.add(new Stmt.VectorLoad(pointer, index, targets, streaming));
    }

    /**
     * {@code values} written to consecutive elements of a global float or bf16 array from {@code pointer[index]} as one
     * access of 4, 8 or 16 bytes, each converted as {@link #store} converts it (bf16: rounded to nearest even), so the
     * bits are those of {@code values.size()} scalar stores. Aligned as {@link #loadVector} is.
     */
    public void storeVector(Expr pointer, Expr index, List<Expr> values) {
        if (!(pointer.type() instanceof CType.Pointer p && p.space() == CType.Space.GLOBAL && !p.readOnly())) {
            throw new Expr.TypeError("a vector store writes writable global memory, got " + pointer.type());
        }
        if (p.element() != Scalar.FLOAT && p.element() != Scalar.BF16) throw new Expr.TypeError("vector stores narrow to float or bf16, not " + p.element());
        if (!Expr.scalar(index).isInteger()) throw new Expr.TypeError("an index must be an integer, got " + index.type());
        int bytes = values.size() * p.element().bytes();
        if (bytes != 4 && bytes != 8 && bytes != 16) {
            throw new IllegalArgumentException("a vector store writes 4, 8 or 16 bytes, not " + values.size() + " " + p.element() + " elements");
        }
        List<Expr> floats = new ArrayList<>();
        for (Expr v : values) {
            if (!Expr.scalar(v).isNumeric()) throw new Expr.TypeError("a vector store narrows numbers, not a " + v.type());
            floats.add(Expr.cast(Scalar.FLOAT, v));
        }
        stmts.add(new Stmt.VectorStore(pointer, index, floats));
    }

    private static boolean asmType(CType t) {
        return t instanceof CType.Pointer p && p.space() == CType.Space.GLOBAL
                || t instanceof Scalar s && (s == Scalar.INT || s == Scalar.INT64 || s == Scalar.FLOAT || s == Scalar.DOUBLE || s == Scalar.B32);
    }

    /** A line comment; say why, briefly. */
    public void comment(String text) {
        for (String line : text.split("\n")) stmts.add(new Stmt.Comment(line));
    }

    public void blank() { stmts.add(new Stmt.Blank()); }

    private Scope nested() { return new Scope(names.child()); }

    private static Stmt.Assign assign(Expr target, AssignOp op, Expr value) {
        requireLvalue(target);
        Scalar t = (Scalar) target.type();
        if (op != AssignOp.SET && !t.isNumeric()) throw new Expr.TypeError("`" + op.symbol + "` needs a number, not " + t);
        requireAssignable(t, value);
        return new Stmt.Assign(target, op, value);
    }

    private static void requireLvalue(Expr target) {
        boolean lvalue = switch (target) {
            case Var v -> v.mutable() && v.type() instanceof Scalar;
            case Expr.Index i -> i.writable();
            default -> false;
        };
        if (!lvalue) throw new Expr.TypeError("cannot assign to " + target);
    }

    /**
     * Whether a value may be stored in a T without an explicit conversion: the same type, or a widening
     * (int → int64 / float / double, int64 → double, float → double). Anything lossy needs a cast.
     */
    static void requireAssignable(Scalar to, Expr value) {
        Scalar from = Expr.scalar(value);
        boolean ok = from == to
                || from == Scalar.INT && (to == Scalar.INT64 || to.isFloating())
                || from == Scalar.INT64 && to == Scalar.DOUBLE
                || from == Scalar.FLOAT && to == Scalar.DOUBLE;
        if (!ok) throw new Expr.TypeError("cannot store a " + from + " in a " + to + " without an explicit conversion");
    }
}
