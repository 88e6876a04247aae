package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the language: expressions and calls here, the rest in one class per concern: ModelElaborator,
 * ModelProperties and Overrides (models), OperatorApplication (applying operators), NameResolution,
 * Arguments, Arithmetic, WeightNaming, Recorder (what elaboration produces), Limits, Reporter, Scope.
 * One code path serves two uses: elaborating a model (all values known) and checking an operator on its
 * own (its arguments unknown).
 */
final class Evaluator {
    private final Reporter reporter;
    private final Limits limits;
    private final Recorder recorder = new Recorder();
    private final WeightNaming naming = new WeightNaming();
    private final NameResolution names;
    private final Arguments arguments;
    private final Arithmetic arithmetic;
    private final OperatorApplication application;

    Evaluator(Diagnostics diags, Limits.Budget budget) {
        this.reporter = new Reporter(diags);
        this.limits = new Limits(budget, reporter);
        this.names = new NameResolution(reporter);
        this.arguments = new Arguments(reporter);
        this.arithmetic = new Arithmetic(reporter, recorder, naming);
        this.application = new OperatorApplication(this, reporter, limits, arguments, naming, recorder);
    }

    /** The elaborated model, or null after the diagnostics that say why not. */
    Elaborated.Model model(Module module, Ast.ModelDecl decl) {
        return new ModelElaborator(this, reporter, arguments, names, application, limits, recorder).elaborate(module, decl);
    }

    /** Checks an operator's body with its arguments unknown: names, argument keys, types, structure. */
    void checkAlone(Template.Declared t) {
        names.setAmbient(new EvalValue.Unknown(Type.INT), new EvalValue.Unknown(Type.INT), new EvalValue.Unknown(Type.INT));
        recorder.startPart();
        List<EvalValue> inputs = new ArrayList<>();
        for (int i = 0; i < t.inputCount(); i++) inputs.add(new EvalValue.Tensor(recorder.newValue(-1), -1));
        Map<String, EvalValue.Arg> args = new LinkedHashMap<>();
        for (ParamSpec p : t.params()) {
            if (p.dfltExpr() == null) args.put(p.name(), new EvalValue.Arg(new EvalValue.Unknown(p.type()), null));
        }
        application.applyDeclared(t, new EvalValue.Op(t, args, t.span()), inputs, t.decl().name().span(), "");
    }

    EvalValue eval(Ast.Expr expr, Scope scope) {
        return switch (expr) {
            case Ast.Num n -> number(n);
            case Ast.Str s -> new EvalValue.Str(s.value());
            case Ast.Bool b -> new EvalValue.Bool(b.value());
            case Ast.Error e -> EvalValue.Unknown.ANY;
            case Ast.Name n -> names.resolve(n.ident(), scope);
            case Ast.ListLit l -> {
                if (l.items().size() > Limits.MAX_LIST) {
                    reporter.report(Code.HY0314, l.span(), l.items().size(), Limits.MAX_LIST);
                    yield EvalValue.Unknown.ANY;
                }
                List<EvalValue> items = new ArrayList<>();
                for (Ast.Expr item : l.items()) items.add(eval(item, scope));
                yield new EvalValue.ListV(items);
            }
            case Ast.Neg n -> arithmetic.negate(eval(n.operand(), scope), n);
            case Ast.Binary b -> arithmetic.binary(b, eval(b.left(), scope), eval(b.right(), scope));
            case Ast.Call c -> call(c, scope);
        };
    }

    private static EvalValue number(Ast.Num n) {
        String digits = n.text().replace("_", "");
        return n.isFloat() ? new EvalValue.Float(Double.parseDouble(digits)) : new EvalValue.Int(Long.parseLong(digits));
    }

    /**
     * {@code f(args…)}: a bound operator applied to tensors, or a template configured with named
     * arguments (and applied at once when tensors are given too).
     */
    private EvalValue call(Ast.Call c, Scope scope) {
        if (c.callee().missing()) return EvalValue.Unknown.ANY;
        List<EvalValue> inputs = new ArrayList<>();
        Map<String, EvalValue.Arg> named = new LinkedHashMap<>();
        Map<String, Span> namedAt = new HashMap<>();
        boolean sawNamed = false;
        for (Ast.Arg a : c.args()) {
            EvalValue v = eval(a.value(), scope);
            if (a.name() == null) {
                if (sawNamed) reporter.report(Code.HY0210, a.span(), c.callee().name());
                inputs.add(v);
            } else {
                sawNamed = true;
                if (named.containsKey(a.name().name())) {
                    reporter.report(Diagnostic.of(Code.HY0205, a.name().span(), a.name().name()).withNote(namedAt.get(a.name().name()), "first given here"));
                    continue;
                }
                named.put(a.name().name(), new EvalValue.Arg(v, a.value().span()));
                namedAt.put(a.name().name(), a.name().span());
            }
        }

        Scope.Binding b = scope.find(c.callee().name());
        if (b != null) {
            b.used = true;
            if (b.value instanceof EvalValue.Unknown u && (u.type() == null || u.type() == Type.OP || u.type() == Type.TENSOR)) {
                return EvalValue.Unknown.ANY;
            }
            if (!(b.value instanceof EvalValue.Op op)) {
                reporter.report(Code.HY0212, c.callee().span(), c.callee().name());
                return EvalValue.Unknown.ANY;
            }
            if (!named.isEmpty()) {
                reporter.report(Diagnostic.of(Code.HY0213, c.span(), c.callee().name())
                        .withNote("set its arguments where it is defined"));
            }
            if (!scope.inBody()) {
                reporter.report(Code.HY0214, c.span(), c.callee().name());
                return EvalValue.Unknown.ANY;
            }
            Scope.Instance inst = b.instance != null ? b.instance : new Scope.Instance(op, c.callee().name());
            return application.apply(inst, inputs, c.span(), false);
        }
        var found = scope.module.template(c.callee().name());
        if (found.isEmpty()) {
            if (scope.inBody() && names.isAmbient(c.callee().name())) {
                reporter.report(Code.HY0212, c.callee().span(), c.callee().name());
            } else {
                names.unknown(c.callee(), scope, Code.HY0202);
            }
            return EvalValue.Unknown.ANY;
        }
        Template t = found.get();
        EvalValue.Op op = arguments.configure(t, named, namedAt, c.span());
        if (inputs.isEmpty()) {
            // A configuration (rope) is never applied itself: its rule checks the arguments here.
            if (t instanceof Primitive p && p.role() == Primitive.Role.CONFIG) application.applyPrimitive(p, op, List.of(), c.span(), "", false);
            return op;
        }
        if (!scope.inBody()) {
            reporter.report(Code.HY0214, c.span(), c.callee().name());
            return EvalValue.Unknown.ANY;
        }
        long weightsBefore = naming.declared();
        EvalValue out = application.apply(new Scope.Instance(op, WeightNaming.child(naming.current(), t.name())), inputs, c.span(), true);
        // As for primitives: weights are named after bindings, so an operator that owns any must be bound.
        if (t instanceof Template.Declared && naming.declared() > weightsBefore) reporter.report(WeightNaming.unbound(c.span(), t.name(), "mlp"));
        return out;
    }
}
