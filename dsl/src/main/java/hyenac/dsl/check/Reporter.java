package hyenac.dsl.check;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.Span;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reports the diagnostics of one evaluation. A problem found inside the prelude is reported at the
 * innermost call site in user code, with a note into `std`: that is the code the user can change.
 */
final class Reporter {
    private final Diagnostics diags;
    /** Where the operators being applied were configured or called, innermost first. */
    private final Deque<Span> callSites = new ArrayDeque<>();

    Reporter(Diagnostics diags) {
        this.diags = diags;
    }

    void report(Diagnostic d) {
        if (isLibrary(d.span())) {
            for (Span site : callSites) {
                if (!isLibrary(site)) {
                    diags.add(new Diagnostic(d.code(), d.severity(), site, d.args(), d.message(),
                            append(d.notes(), new Diagnostic.Note(d.span(), "raised inside `std` at line " + d.span().line())), null));
                    return;
                }
            }
        }
        diags.add(d);
    }

    void report(Code code, Span at, Object... args) {
        report(Diagnostic.of(code, at, args));
    }

    /** HY0300: {@code got} where {@code expected} was wanted. */
    void mismatch(Span at, String expected, EvalValue got) {
        report(Code.HY0300, at, expected, describe(got));
    }

    /** How a value reads where it is not what was wanted: its kind, and the value where short. */
    static String describe(EvalValue v) {
        return switch (v) {
            case EvalValue.Int i -> "int " + i.value();
            case EvalValue.Float f -> "float " + f.show();
            case EvalValue.Bool b -> "bool " + b.value();
            case EvalValue.Str s -> "string " + s.show();
            case EvalValue.Enum e -> e.type().spelling + " " + e.name();
            case EvalValue.ListV l -> "a list of " + l.items().size();
            case EvalValue.Op o -> "operator `" + o.template().name() + "`";
            case EvalValue.Tensor t -> t.show();
            case EvalValue.Tuple t -> t.items().size() + " values";
            case EvalValue.Unknown u -> "an unknown value";
        };
    }

    /** True once no more diagnostics are kept: costly extras (suggestions) can be skipped. */
    boolean isFull() {
        return diags.isFull();
    }

    void enterCall(Span site) {
        callSites.push(site);
    }

    void leaveCall() {
        callSites.pop();
    }

    /** The innermost call site in user code: where a node applied inside the prelude came from. */
    Span userSite() {
        for (Span site : callSites) if (!isLibrary(site)) return site;
        return null;
    }

    static boolean isLibrary(Span span) {
        return span != null && span.file().name().equals(ModuleLoader.PRELUDE);
    }

    private static List<Diagnostic.Note> append(List<Diagnostic.Note> notes, Diagnostic.Note note) {
        List<Diagnostic.Note> all = new ArrayList<>(notes);
        all.add(note);
        return all;
    }
}
