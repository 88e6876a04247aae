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

    Value negate(Value v, Ast.Neg n) {
        return switch (v) {
            case Value.Int i -> {
                if (i.value() == Long.MIN_VALUE) {
                    reporter.report(Code.HY0309, n.span(), "`" + n.span().text() + "`");
                    yield Value.Unknown.ANY;
                }
                yield new Value.Int(-i.value());
            }
            case Value.Float f -> new Value.Float(-f.value());
            case Value.Tensor t -> elementwise("neg", List.of(t), t.width(), Map.of(), n.span());
            case Value.Unknown u -> u;
            default -> {
                reporter.mismatch(n.operand().span(), "a number or a tensor", v);
                yield Value.Unknown.ANY;
            }
        };
    }

    Value binary(Ast.Binary b, Value l, Value r) {
        if (l instanceof Value.Unknown || r instanceof Value.Unknown) {
            Type known = l instanceof Value.Unknown ? r.type() : l.type();
            return new Value.Unknown(known == Type.TENSOR || known == Type.LIST ? known : null);
        }
        String sym = b.op().symbol;
        if (l instanceof Value.Int x && r instanceof Value.Int y) return intArith(b, x.value(), y.value());
        if (isNumber(l) && isNumber(r)) return floatArith(b, toDouble(l), toDouble(r));
        if (l instanceof Value.ListV a && r instanceof Value.ListV c && b.op() == Ast.BinOp.ADD) {
            if ((long) a.items().size() + c.items().size() > Limits.MAX_LIST) {
                reporter.report(Code.HY0314, b.span(), (long) a.items().size() + c.items().size(), Limits.MAX_LIST);
                return Value.Unknown.ANY;
            }
            List<Value> all = new ArrayList<>(a.items());
            all.addAll(c.items());
            return new Value.ListV(all);
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof Value.ListV && r instanceof Value.Int || l instanceof Value.Int && r instanceof Value.ListV)) {
            Value.ListV list = l instanceof Value.ListV x ? x : (Value.ListV) r;
            long times = l instanceof Value.Int i ? i.value() : ((Value.Int) r).value();
            if (times < 0) {
                reporter.report(Code.HY0406, (l instanceof Value.Int ? b.left() : b.right()).span(), times);
                return Value.Unknown.ANY;
            }
            if (times > 0 && list.items().size() > Limits.MAX_LIST / times) {
                reporter.report(Code.HY0314, b.span(), Math.multiplyHigh(times, list.items().size()) != 0 ? "huge" : times * list.items().size(), Limits.MAX_LIST);
                return Value.Unknown.ANY;
            }
            List<Value> all = new ArrayList<>();
            for (long k = 0; k < times; k++) all.addAll(list.items());
            return new Value.ListV(all);
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof Value.ListV && r instanceof Value.Float || l instanceof Value.Float && r instanceof Value.ListV)) {
            reporter.report(Code.HY0406, (l instanceof Value.Float ? b.left() : b.right()).span(), (l instanceof Value.Float ? l : r).show());
            return Value.Unknown.ANY;
        }
        if (l instanceof Value.Tensor x && r instanceof Value.Tensor y && b.op() != Ast.BinOp.DIV && b.op() != Ast.BinOp.MOD) {
            if (x.width() >= 0 && y.width() >= 0 && x.width() != y.width()) {
                reporter.report(Code.HY0304, b.span(), x.width(), y.width());
                return new Value.Unknown(Type.TENSOR);
            }
            String op = switch (b.op()) { case ADD -> "add"; case SUB -> "sub"; default -> "mul"; };
            return elementwise(op, List.of(x, y), x.width() >= 0 ? x.width() : y.width(), Map.of(), b.span());
        }
        if (b.op() == Ast.BinOp.MUL && (l instanceof Value.Tensor && isNumber(r) || isNumber(l) && r instanceof Value.Tensor)) {
            Value.Tensor t = l instanceof Value.Tensor x ? x : (Value.Tensor) r;
            Value factor = l instanceof Value.Tensor ? r : l;
            return elementwise("scale", List.of(t), t.width(), Map.of("by", new Value.Float(toDouble(factor))), b.span());
        }
        reporter.report(Code.HY0300, b.span(), "operands that support `" + sym + "` (numbers, lists with + and *, tensors of equal width)",
                Reporter.describe(l) + " " + sym + " " + Reporter.describe(r));
        return Value.Unknown.ANY;
    }

    private Value elementwise(String op, List<Value.Tensor> ins, long width, Map<String, Value> args, Span at) {
        int id = recorder.newValue(width);
        recorder.record(op, args, ins.stream().map(Value.Tensor::id).toList(), List.of(id), Map.of(), naming.current(), at, reporter.userSite());
        return new Value.Tensor(id, width);
    }

    private Value intArith(Ast.Binary b, long x, long y) {
        try {
            return switch (b.op()) {
                case ADD -> new Value.Int(Math.addExact(x, y));
                case SUB -> new Value.Int(Math.subtractExact(x, y));
                case MUL -> new Value.Int(Math.multiplyExact(x, y));
                case DIV -> {
                    if (y == 0) { reporter.report(Code.HY0303, b.right().span()); yield Value.Unknown.ANY; }
                    if (x % y != 0) {
                        reporter.report(Diagnostic.of(Code.HY0302, b.span(), x, y)
                                .withNote("`" + b.span().text() + "` must divide evenly; write a float (e.g. `" + x + ".0 / " + y + "`) for a fraction"));
                        yield Value.Unknown.ANY;
                    }
                    yield new Value.Int(x / y);
                }
                case MOD -> {
                    if (y == 0) { reporter.report(Code.HY0303, b.right().span()); yield Value.Unknown.ANY; }
                    yield new Value.Int(Math.floorMod(x, y));
                }
            };
        } catch (ArithmeticException e) {
            reporter.report(Code.HY0309, b.span(), "`" + b.span().text() + "`");
            return Value.Unknown.ANY;
        }
    }

    private Value floatArith(Ast.Binary b, double x, double y) {
        if ((b.op() == Ast.BinOp.DIV || b.op() == Ast.BinOp.MOD) && y == 0) {
            reporter.report(Code.HY0303, b.right().span());
            return Value.Unknown.ANY;
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
            return Value.Unknown.ANY;
        }
        return new Value.Float(v);
    }

    private static boolean isNumber(Value v) { return v instanceof Value.Int || v instanceof Value.Float; }

    private static double toDouble(Value v) {
        return v instanceof Value.Int i ? i.value() : ((Value.Float) v).value();
    }
}
