package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.lit;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Stmt.AssignOp;
import hyenac.backends.codegen.Var;
import java.util.function.BinaryOperator;

/** The block-wide reduction the generated kernels share: one value per thread, combined in a tree in shared memory. */
final class BlockReduce {
    private BlockReduce() {}

    /**
     * Stores each thread's {@code value} at {@code buffer[tid]} and combines the slots pairwise with {@code op}, the
     * stride halving from {@code threads / 2}, a barrier after each step. Returns {@code buffer[0]}, which then holds
     * the block's result for every thread to read. {@code threads} is the block size, a power of two, and
     * {@code buffer} has a slot per thread; a caller that writes the buffer again needs a barrier after reading the
     * result. {@code holds} names the result in the generated comment ("the row's sum of squares").
     */
    static Expr tree(Scope s, Var buffer, Var tid, int threads, Expr value, BinaryOperator<Expr> op, String holds) {
        if (Integer.bitCount(threads) != 1) throw new IllegalArgumentException("a tree reduction needs a power-of-two block, not " + threads);
        s.comment("Tree reduction over the block; " + buffer.name() + "[0] ends up holding " + holds + ".");
        s.set(buffer.at(tid), value);
        s.barrier();
        s.loop("stride", Scalar.INT, lit(threads / 2), v -> v.gt(0), AssignOp.DIV, lit(2), (stride, body) -> {
            body.when(tid.lt(stride), then -> then.set(buffer.at(tid), op.apply(buffer.at(tid), buffer.at(tid.add(stride)))));
            body.barrier();
        });
        return buffer.at(0);
    }
}
