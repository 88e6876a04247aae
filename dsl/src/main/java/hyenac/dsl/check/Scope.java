package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The names bound in a model or in one application of an operator's body, and what each leads to. */
final class Scope {
    /** Where a name leads: a value, or an operator instance whose weights live at its path. */
    static final class Binding {
        final EvalValue value;
        final Span span;
        final Instance instance;
        final boolean warnUnused;
        boolean used;

        Binding(EvalValue value, Span span, Instance instance, boolean warnUnused) {
            this.value = value;
            this.span = span;
            this.instance = instance;
            this.warnUnused = warnUnused;
        }
    }

    /** A named operator inside a body: applying it twice shares its weights. */
    static final class Instance {
        final EvalValue.Op op;
        final String path;
        /** The input widths of its first application; later ones must match. */
        List<Long> inputWidths;

        Instance(EvalValue.Op op, String path) {
            this.op = op;
            this.path = path;
        }
    }

    final Module module;
    final Map<String, Binding> names = new LinkedHashMap<>();
    private final boolean body;

    Scope(Module module, boolean body) {
        this.module = module;
        this.body = body;
    }

    Binding find(String name) {
        return names.get(name);
    }

    /** True in an operator's body, where tensors flow and the model's width, vocab and context are visible. */
    boolean inBody() {
        return body;
    }

    void bind(Ast.Ident name, Binding binding, Reporter reporter) {
        if (name.missing()) return;
        Binding existing = names.get(name.name());
        if (existing != null) {
            Diagnostic d = Diagnostic.of(Code.HY0201, name.span(), name.name());
            if (existing.span != null) d = d.withNote(existing.span, "first defined here");
            reporter.report(d);
            return;
        }
        names.put(name.name(), binding);
    }

    void warnUnused(Reporter reporter) {
        for (var e : names.entrySet()) {
            Binding b = e.getValue();
            if (!b.used && b.warnUnused && b.span != null && !e.getKey().startsWith("_")) {
                reporter.report(Diagnostic.of(Code.HY0208, b.span, e.getKey())
                        .withNote("remove it, or start its name with `_` to keep it unused"));
            }
        }
    }
}
