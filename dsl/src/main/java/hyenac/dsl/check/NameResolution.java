package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves a name where it is used: a binding, the model's width, vocab and context (in operator bodies),
 * a template, an enum constant; and for a name that is none of these, says what was meant.
 */
final class NameResolution {
    private final Reporter reporter;
    /** The model's width, vocab and context, as operator bodies see them (unknown when checked alone). */
    private final Map<String, EvalValue> ambient = new HashMap<>();

    NameResolution(Reporter reporter) {
        this.reporter = reporter;
    }

    void setAmbient(EvalValue width, EvalValue vocab, EvalValue context) {
        ambient.put("width", width);
        ambient.put("vocab", vocab);
        ambient.put("context", context);
    }

    /** True for width, vocab and context, which are values (and cannot be called) in operator bodies. */
    boolean isAmbient(String name) {
        return ambient.containsKey(name);
    }

    EvalValue resolve(Ast.Ident id, Scope scope) {
        if (id.missing()) return EvalValue.Unknown.ANY;
        Scope.Binding b = scope.find(id.name());
        if (b != null) {
            b.used = true;
            return b.value;
        }
        if (scope.inBody() && ambient.containsKey(id.name())) return ambient.get(id.name());
        var t = scope.module.template(id.name());
        if (t.isPresent()) return new EvalValue.Op(t.get(), Map.of(), id.span());
        var e = Type.enumOf(id.name());
        if (e.isPresent()) return new EvalValue.Enum(e.get(), id.name());
        unknown(id, scope, Code.HY0200);
        return EvalValue.Unknown.ANY;
    }

    /** Reports a name that resolves to nothing, with the closest name in scope or the import it needs. */
    void unknown(Ast.Ident id, Scope scope, Code code) {
        if (reporter.isFull()) { // a suggestion scans every name in scope: quadratic over thousands of errors
            reporter.report(code, id.span(), id.name());
            return;
        }
        List<String> candidates = new ArrayList<>(scope.names.keySet());
        if (scope.inBody()) candidates.addAll(ambient.keySet());
        candidates.addAll(scope.module.templateNames());
        for (Type t : Type.values()) candidates.addAll(t.constants);
        Diagnostic d = Diagnostic.of(code, id.span(), id.name());
        var guess = Suggest.closest(id.name(), candidates);
        if (guess.isPresent()) {
            d = Suggest.fix(d, id.span(), guess.get());
        } else if (StdNames.ALL.contains(id.name()) && scope.module.imports().stream().noneMatch(Module::isLibrary)) {
            d = d.withNote("`" + id.name() + "` is defined in the prelude: add `import \"std\"`");
        }
        reporter.report(d);
    }

    /** What the prelude declares, read from the prelude itself (once), for the "add import" hint. */
    private static final class StdNames {
        static final Set<String> ALL = Set.copyOf(new ModuleLoader(new Diagnostics()).prelude().declared().keySet());
    }
}
