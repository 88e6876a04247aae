package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Negation and the binary operators on evaluated operands: exact integer arithmetic, finite floats,
 * list concatenation and repetition, and elementwise tensor operations (recorded as nodes).
 */
final class Arithmetic {
    private final Reporter reporter;
    private final Recorder recorder;
    private final WeightNaming naming;

    Arithmetic(Reporter reporter, Recorder recorder, WeightNaming naming) {
        this.reporter = reporter;
        this.recorder = recorder;
        this.naming = naming;
    }

    EvalValue negate(EvalValue v, Ast.Neg n) {
        return switch (v) {
            case EvalValue.Int i -> {
                if (i.value() == Long.MIN_VALUE) {
                    reporter.report(Code.HY0309, n.span(), "`" + n.span().text() + "`");
                    yield EvalValue.Unknown.ANY;
                }
                yield new EvalValue.Int(-i.value());
            }
            case EvalValue.Float f -> new EvalValue.Float(-f.value());
            case EvalValue.Tensor t -> elementwise("neg", List.of(t), t.width(), Map.of(), n.span());
            case EvalValue.Unknown u -> u;
            default -> {
                reporter.mismatch(n.operand().span(), "a number or a tensor", v);
                yield EvalValue.Unknown.ANY;
            }
        };
    }

    EvalValue binary(Ast.Binary b, EvalValue l, EvalValue r) {
        if (l instanceof EvalValue.Unknown || r instanceof EvalValue.Unknown) {
            Type known = l instanceof EvalValue.Unknown ? r.type() : l.type();
            return new EvalValue.Unknown(known == Type.TENSOR || known == Type.LIST ? known : null);
        }
        String sym = b.op().symbol;
        if (l instanceof EvalValue.Int x && r instanceof EvalValue.Int y) return intArith(b, x.value(), y.value());
        if (isNumber(l) && isNumber(r)) return floatArith(b, toDouble(l), toDouble(r));
        if (l instanceof EvalValue.ListV a && r instanceof EvalValue.ListV c && b.op() == Ast.BinOp.ADD) {
            if ((long) a.items().size() + c.items().size() > Limits.MAX_LIST) {
                reporter.report(Code.HY0314, b.span(), (long) a.items().size() + c.items().size(), Limits.MAX_LIST);
                return EvalValue.Unknown.ANY;
            }
            List<EvalValue> all = new ArrayList<>(a.items());
            all.addAll(c.items());
            return new EvalValue.ListV(all);
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof EvalValue.ListV && r instanceof EvalValue.Int || l instanceof EvalValue.Int && r instanceof EvalValue.ListV)) {
            EvalValue.ListV list = l instanceof EvalValue.ListV x ? x : (EvalValue.ListV) r;
            long times = l instanceof EvalValue.Int i ? i.value() : ((EvalValue.Int) r).value();
            if (times < 0) {
                reporter.report(Code.HY0406, (l instanceof EvalValue.Int ? b.left() : b.right()).span(), times);
                return EvalValue.Unknown.ANY;
            }
            if (times > 0 && list.items().size() > Limits.MAX_LIST / times) {
                reporter.report(Code.HY0314, b.span(), Math.multiplyHigh(times, list.items().size()) != 0 ? "huge" : times * list.items().size(), Limits.MAX_LIST);
                return EvalValue.Unknown.ANY;
            }
            List<EvalValue> all = new ArrayList<>();
            for (long k = 0; k < times; k++) all.addAll(list.items());
            return new EvalValue.ListV(all);
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof EvalValue.ListV && r instanceof EvalValue.Float || l instanceof EvalValue.Float && r instanceof EvalValue.ListV)) {
            reporter.report(Code.HY0406, (l instanceof EvalValue.Float ? b.left() : b.right()).span(), (l instanceof EvalValue.Float ? l : r).show());
            return EvalValue.Unknown.ANY;
        }
        if (l instanceof EvalValue.Tensor x && r instanceof EvalValue.Tensor y && b.op() != Ast.BinOp.DIV && b.op() != Ast.BinOp.MOD) {
            if (x.width() >= 0 && y.width() >= 0 && x.width() != y.width()) {
                reporter.report(Code.HY0304, b.span(), x.width(), y.width());
                return new EvalValue.Unknown(Type.TENSOR);
            }
            String op = switch (b.op()) { case ADD -> "add"; case SUB -> "sub"; default -> "mul"; };
            return elementwise(op, List.of(x, y), x.width() >= 0 ? x.width() : y.width(), Map.of(), b.span());
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof EvalValue.Tensor && isNumber(r) || isNumber(l) && r instanceof EvalValue.Tensor)) {
            EvalValue.Tensor t = l instanceof EvalValue.Tensor x ? x : (EvalValue.Tensor) r;
            EvalValue factor = l instanceof EvalValue.Tensor ? r : l;
            return elementwise("scale", List.of(t), t.width(), Map.of("by", new EvalValue.Float(toDouble(factor))), b.span());
        }
        reporter.report(Code.HY0300, b.span(), "operands that support `" + sym + "` (numbers, lists with + and *, tensors of equal width)",
                Reporter.describe(l) + " " + sym + " " + Reporter.describe(r));
        return EvalValue.Unknown.ANY;
    }

    private EvalValue elementwise(String op, List<EvalValue.Tensor> ins, long width, Map<String, EvalValue> args, Span at) {
        int id = recorder.newValue(width);
        recorder.record(op, args, ins.stream().map(EvalValue.Tensor::id).toList(), List.of(id), Map.of(), naming.current(), at, reporter.userSite());
        return new EvalValue.Tensor(id, width);
    }

    private EvalValue intArith(Ast.Binary b, long x, long y) {
        try {
            return switch (b.op()) {
                case ADD -> new EvalValue.Int(Math.addExact(x, y));
                case SUB -> new EvalValue.Int(Math.subtractExact(x, y));
                case MUL -> new EvalValue.Int(Math.multiplyExact(x, y));
                case DIV -> {
                    if (y == 0) { reporter.report(Code.HY0303, b.right().span()); yield EvalValue.Unknown.ANY; }
                    if (x % y != 0) {
                        reporter.report(Diagnostic.of(Code.HY0302, b.span(), x, y)
                                .withNote("`" + b.span().text() + "` must divide evenly; write a float (e.g. `" + x + ".0 / " + y + "`) for a fraction"));
                        yield EvalValue.Unknown.ANY;
                    }
                    yield new EvalValue.Int(x / y);
                }
                case MOD -> {
                    if (y == 0) { reporter.report(Code.HY0303, b.right().span()); yield EvalValue.Unknown.ANY; }
                    yield new EvalValue.Int(Math.floorMod(x, y));
                }
            };
        } catch (ArithmeticException e) {
            reporter.report(Code.HY0309, b.span(), "`" + b.span().text() + "`");
            return EvalValue.Unknown.ANY;
        }
    }

    private EvalValue floatArith(Ast.Binary b, double x, double y) {
        if ((b.op() == Ast.BinOp.DIV || b.op() == Ast.BinOp.MOD) && y == 0) {
            reporter.report(Code.HY0303, b.right().span());
            return EvalValue.Unknown.ANY;
        }
        double v = switch (b.op()) {
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case MOD -> x % y;
        };
        if (Double.isInfinite(v) || Double.isNaN(v)) {
            reporter.report(Code.HY0004, b.span(), "`" + b.span().text() + "`", "the result is not a finite float");
            return EvalValue.Unknown.ANY;
        }
        return new EvalValue.Float(v);
    }

    private static boolean isNumber(EvalValue v) { return v instanceof EvalValue.Int || v instanceof EvalValue.Float; }

    private static double toDouble(EvalValue v) {
        return v instanceof EvalValue.Int i ? i.value() : ((EvalValue.Float) v).value();
    }
}
