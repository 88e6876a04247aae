package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.blockIdx;
import static hyenac.backends.codegen.Expr.lit;
import static hyenac.backends.codegen.Expr.load;
import static hyenac.backends.codegen.Expr.threadIdx;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.Expr.Axis;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Primitive;
import java.util.List;

/**
 * Elementwise kernels over [B, L, C]: add, sub, mul of two tensors; scale, neg and the activations of one.
 * One thread per element, computed in fp32 (scale in fp64, as the reference rounds s·x once).
 */
public final class Pointwise {
    private Pointwise() {}

    public static final int THREADS = 256;
    /** The pointwise primitives ({@link Primitive.Fusion#POINTWISE}). */
    public static boolean handles(Primitive op) { return op.fusion() == Primitive.Fusion.POINTWISE; }

    public static GeneratedKernel generate(Primitive op, long channels, Precision p) {
        if (!handles(op)) throw new IllegalArgumentException("not an elementwise op: " + op);
        Scalar st = p.storage();
        String shape = Signature.shape("B", "L", channels);
        Signature sig = new Signature(op + "_c" + channels + "_" + p.suffix(), THREADS);
        boolean binary = op.operands() == 2;
        Var a = sig.input("a", st, "first operand " + shape);
        Var b = binary ? sig.input("b", st, "second operand " + shape) : null;
        Var y = sig.output("y", st, "result " + shape);
        Var rows = sig.scalar("rows", Scalar.INT64, "B*L");
        Var by = op == Primitive.SCALE ? sig.scalar("by", Scalar.DOUBLE, "the factor (attribute `by`)") : null;

        Scope s = sig.k.body();
        Var i = globalIndex(s, THREADS);
        s.when(i.ge(rows.mul(channels)), Scope::exit);
        Var va = s.let("va", load(a, i));
        Expr result = switch (op) {
            case ADD -> va.add(s.let("vb", load(b, i)));
            case SUB -> va.sub(s.let("vb", load(b, i)));
            case MUL -> va.mul(s.let("vb", load(b, i)));
            case SCALE -> by.mul(va.cast(Scalar.DOUBLE));
            case NEG -> va.neg();
            default -> Activations.apply(op, va);
        };
        s.store(y, i, result);
        String formula = switch (op) {
            case ADD -> "y = a + b";
            case SUB -> "y = a - b";
            case MUL -> "y = a * b";
            case SCALE -> "y = by * a (in fp64, rounded once)";
            case NEG -> "y = -a";
            default -> "y = " + Activations.formula(op, "a");
        };
        return sig.build(op.op(), Launch.linear(Extent.rows().times(channels).ceilDiv(THREADS), THREADS),
                List.of(formula + ", elementwise over " + shape + "; one thread per element."));
    }

    /** {@code const long long i = blockIdx.x · threads + threadIdx.x}: the thread's element in a linear grid. */
    static Var globalIndex(Scope s, int threads) { return globalIndex(s, threads, "i"); }

    static Var globalIndex(Scope s, int threads, String name) {
        return s.let(name, blockIdx(Axis.X).cast(Scalar.INT64).mul(lit(threads)).add(threadIdx(Axis.X)));
    }
}
