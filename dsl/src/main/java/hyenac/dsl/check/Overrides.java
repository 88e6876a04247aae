package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-layer overrides, {@code layers[i].a.b = v}: read with the model's other statements, applied once
 * its layers exist, each to the argument its path of fields leads to.
 */
final class Overrides {
    /** {@code layers[index].fields… = value}, to apply once the layers exist. */
    private record LayerOverride(Ast.Assign stmt, long index, List<Ast.Ident> fields, EvalValue value) {}

    private final Evaluator evaluator;
    private final Reporter reporter;
    private final Arguments arguments;
    private final List<LayerOverride> pending = new ArrayList<>();

    Overrides(Evaluator evaluator, Reporter reporter, Arguments arguments) {
        this.evaluator = evaluator;
        this.reporter = reporter;
        this.arguments = arguments;
    }

    /** Reads an assignment to a target that is not a plain name; reports it when it is no override. */
    void read(Ast.Target target, Ast.Assign assign, Scope scope) {
        if (!target.root().name().equals("layers") || !(target.selectors().getFirst() instanceof Ast.Index idx)) {
            reporter.report(Diagnostic.of(Code.HY0315, target.span(), target.span().text())
                    .withNote("only layers can be overridden, as in `layers[0].mlp.act = gelu`"));
            return;
        }
        List<Ast.Ident> fields = new ArrayList<>();
        for (Ast.Selector sel : target.selectors().subList(1, target.selectors().size())) {
            if (!(sel instanceof Ast.Field f)) {
                // Once, quoting the target up to this selector: a long chain made this quadratic.
                reporter.report(Code.HY0315, sel.span(), new Span(sel.span().file(), target.span().start(), sel.span().end()).text());
                evaluator.eval(idx.index(), scope);
                evaluator.eval(assign.value(), scope);
                return;
            }
            fields.add(f.name());
        }
        EvalValue index = evaluator.eval(idx.index(), scope);
        EvalValue value = evaluator.eval(assign.value(), scope);
        if (index instanceof EvalValue.Int i) {
            pending.add(new LayerOverride(assign, i.value(), fields, value));
        } else if (!(index instanceof EvalValue.Unknown)) {
            reporter.mismatch(idx.index().span(), "a layer index (int)", index);
        }
    }

    /** Applies the overrides read, in order; {@code layers[i] = op} replaces the layer's mixer. */
    void applyTo(List<EvalValue.Op> layerOps) {
        for (LayerOverride o : pending) {
            Span at = o.stmt.targets().getFirst().span();
            if (o.index < 0 || o.index >= layerOps.size()) {
                reporter.report(Code.HY0403, o.stmt.targets().getFirst().selectors().getFirst().span(), o.index, layerOps.size());
                continue;
            }
            int i = (int) o.index;
            List<Ast.Ident> fields = o.fields.isEmpty() ? List.of(new Ast.Ident(at, "mixer")) : o.fields;
            EvalValue.Op updated = override(layerOps.get(i), fields, o.value, o.stmt.value().span());
            if (updated != null) layerOps.set(i, updated);
        }
    }

    /** {@code op.a.b = v}: follows operator-valued arguments, then sets the last one. */
    private EvalValue.Op override(EvalValue.Op op, List<Ast.Ident> fields, EvalValue value, Span valueSpan) {
        Ast.Ident field = fields.getFirst();
        var spec = op.template().param(field.name());
        if (spec.isEmpty()) {
            Diagnostic d = Diagnostic.of(Code.HY0404, field.span(), field.name(), op.template().name());
            var guess = Suggest.closest(field.name(), op.template().params().stream().map(ParamSpec::name).toList());
            reporter.report(guess.isPresent() ? Suggest.fix(d, field.span(), guess.get())
                    : d.withNote("its parameters: " + op.template().signature()));
            return null;
        }
        if (fields.size() == 1) {
            EvalValue coerced = arguments.coerce(value, spec.get(), valueSpan, op.template());
            return op.with(field.name(), new EvalValue.Arg(coerced, valueSpan));
        }
        EvalValue.Arg current = op.args().get(field.name());
        EvalValue inner = current != null ? current.value() : null;
        if (inner == null && spec.get().dfltExpr() == null && spec.get().dflt() == null) {
            reporter.report(Code.HY0404, field.span(), field.name(), op.template().name());
            return null;
        }
        if (!(inner instanceof EvalValue.Op innerOp)) {
            reporter.report(Code.HY0300, field.span(), "an operator-valued argument to follow", spec.get().signature());
            return null;
        }
        EvalValue.Op updated = override(innerOp, fields.subList(1, fields.size()), value, valueSpan);
        return updated == null ? null : op.with(field.name(), new EvalValue.Arg(updated, current.span()));
    }
}
