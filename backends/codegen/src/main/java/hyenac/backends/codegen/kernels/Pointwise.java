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
 * Elementwise kernels over [B, L, C]: add, sub, mul of two tensors; scale, neg and the activations of one, computed in
 * fp32 (scale in fp64, as the reference rounds s·x once). One thread per 16-byte vector of every operand where rows split
 * into them ({@link VectorAccess}), else one per element.
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
        String formula = switch (op) {
            case ADD -> "y = a + b";
            case SUB -> "y = a - b";
            case MUL -> "y = a * b";
            case SCALE -> "y = by * a (in fp64, rounded once)";
            case NEG -> "y = -a";
            default -> "y = " + Activations.formula(op, "a");
        };
        if (VectorAccess.fits(channels, p)) {
            int lanes = VectorAccess.lanes(p);
            Var v = globalIndex(s, THREADS, "v");
            s.when(v.ge(rows.mul(channels / lanes)), Scope::exit);
            Var i = s.let("i", v.mul(lanes));
            Var va = VectorAccess.array(s, "va", lanes);
            s.loadVector(a, i, VectorAccess.elements(va, lanes), true);
            Var vb = binary ? VectorAccess.array(s, "vb", lanes) : null;
            if (binary) s.loadVector(b, i, VectorAccess.elements(vb, lanes), true);
            Var vy = VectorAccess.array(s, "vy", lanes);
            s.unrolled("j", lit(0), lit(lanes), (j, body) -> body.set(vy.at(j), apply(op, va.at(j), binary ? vb.at(j) : null, by).cast(Scalar.FLOAT)));
            s.storeVector(y, i, VectorAccess.elements(vy, lanes));
            return sig.build(op.op(), Launch.linear(Extent.rows().times(channels / lanes).ceilDiv(THREADS), THREADS),
                    List.of(formula + ", elementwise over " + shape + "; one thread per " + lanes + " elements, 16-byte loads and stores."));
        }
        Var i = globalIndex(s, THREADS);
        s.when(i.ge(rows.mul(channels)), Scope::exit);
        Var va = s.let("va", load(a, i));
        Var vb = binary ? s.let("vb", load(b, i)) : null;
        s.store(y, i, apply(op, va, vb, by));
        return sig.build(op.op(), Launch.linear(Extent.rows().times(channels).ceilDiv(THREADS), THREADS),
                List.of(formula + ", elementwise over " + shape + "; one thread per element."));
    }

    /** The op at one element: a and b float values (b null for a unary op); scale's product in fp64. */
    private static Expr apply(Primitive op, Expr a, Expr b, Var by) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case SCALE -> by.mul(a.cast(Scalar.DOUBLE));
            case NEG -> a.neg();
            default -> Activations.apply(op, a);
        };
    }

    /** {@code const long long i = blockIdx.x · threads + threadIdx.x}: the thread's element in a linear grid. */
    static Var globalIndex(Scope s, int threads) { return globalIndex(s, threads, "i"); }

    static Var globalIndex(Scope s, int threads, String name) {
        return s.let(name, blockIdx(Axis.X).cast(Scalar.INT64).mul(lit(threads)).add(threadIdx(Axis.X)));
    }
}
