package hyenac.backends.codegen;

import java.util.List;

/** A statement of a kernel body; built through {@link Scope}, rendered by {@link CWriter}. */
public sealed interface Stmt {

    /** A local: {@code const float x = …;}, {@code float acc = …;} or a private array {@code float acc[8];}. */
    record Declare(Var var, Expr init) implements Stmt {}

    enum AssignOp {
        SET("="), ADD("+="), SUB("-="), MUL("*="), DIV("/=");

        public final String symbol;

        AssignOp(String symbol) { this.symbol = symbol; }
    }

    record Assign(Expr target, AssignOp op, Expr value) implements Stmt {}

    record If(Expr cond, List<Stmt> then, List<Stmt> otherwise) implements Stmt {
        public If {
            then = List.copyOf(then);
            otherwise = List.copyOf(otherwise);
        }
    }

    /** {@code for (type var = init; cond; update) body}, optionally asking the compiler to unroll it. */
    record For(Var var, Expr init, Expr cond, Assign update, List<Stmt> body, boolean unroll) implements Stmt {
        public For { body = List.copyOf(body); }
    }

    record Return() implements Stmt {}

    /** Every thread of the block waits here; shared (and global) writes before it are visible after it. */
    record Barrier() implements Stmt {}

    /**
     * Lets the kernel launched after this one start (its blocks take free room and wait), then waits until the
     * kernels launched before this one have finished and their writes are visible. With it a launch may overlap its
     * predecessor's tail (CUDA's programmatic dependent launch); without such a launch it costs nothing. Every kernel
     * has exactly one, at the top level of its body: first, unless the kernel does work before it that reads nothing
     * a predecessor writes and writes nothing a predecessor reads (a GEMV prefetching its weights).
     */
    record AwaitPredecessors() implements Stmt {}

    /**
     * Inline assembly (PTX in CUDA) for what C cannot say: tensor-core products, matrix loads, asynchronous copies.
     * Operands are numbered in order, outputs first: {@code %0} is the first output. An output is written
     * ({@code =}) or read and written ({@code +}); its constraint letter follows from its type. {@code sideEffects}
     * keeps the statement where it is and never removed (anything touching memory); {@code memory} also tells the
     * compiler that memory it holds in registers may have changed.
     *
     * <p>The assembly lives in a device function named {@code function} (outputs by reference, inputs by value),
     * defined once before the kernel under an include guard of the same name, and the statement calls it: the one
     * place an instruction is spelled, and the one a CPU emulator replaces (it defines the guard and its own function).
     * Every use of one function name must have the same template and operands.
     */
    record Asm(String function, String template, List<AsmOperand> outputs, List<AsmOperand> inputs, boolean sideEffects, boolean memory)
            implements Stmt {
        public Asm {
            outputs = List.copyOf(outputs);
            inputs = List.copyOf(inputs);
        }

        /** Whether {@code other} may share this one's function: the same template, flags and operand kinds and types. */
        public boolean sameFunction(Asm other) {
            return function.equals(other.function) && template.equals(other.template) && sideEffects == other.sideEffects && memory == other.memory
                    && shape(outputs).equals(shape(other.outputs)) && shape(inputs).equals(shape(other.inputs));
        }

        private static List<String> shape(List<AsmOperand> operands) {
            return operands.stream().map(o -> o.mode() + " " + o.value().type()).toList();
        }
    }

    enum AsmMode { WRITE, READ_WRITE, READ }

    record AsmOperand(AsmMode mode, Expr value) {}

    /**
     * {@code targets.size()} consecutive elements of global memory from {@code pointer[index]}, read as one aligned
     * access of 4, 8 or 16 bytes and widened to float into {@code targets} in order; {@code streaming} for data read
     * once (see {@link Scope#loadVector}).
     */
    record VectorLoad(Expr pointer, Expr index, List<Expr> targets, boolean streaming) implements Stmt {
        public VectorLoad { targets = List.copyOf(targets); }

        /** Bytes the access reads. */
        public int bytes() { return targets.size() * ((CType.Pointer) pointer.type()).element().bytes(); }
    }

    /**
     * {@code values} (floats) narrowed to the element type of global memory and written to consecutive elements from
     * {@code pointer[index]} as one aligned access of 4, 8 or 16 bytes (see {@link Scope#storeVector}).
     */
    record VectorStore(Expr pointer, Expr index, List<Expr> values) implements Stmt {
        public VectorStore { values = List.copyOf(values); }

        /** Bytes the access writes. */
        public int bytes() { return values.size() * ((CType.Pointer) pointer.type()).element().bytes(); }
    }

    record Comment(String text) implements Stmt {}

    record Blank() implements Stmt {}
}
