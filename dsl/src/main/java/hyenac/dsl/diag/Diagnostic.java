package hyenac.dsl.diag;

import hyenac.dsl.source.Span;
import java.util.List;

/**
 * One finding about the user's input: a stable code, a severity, the primary span, the message
 * arguments (kept for tests, JSON and the LSP), notes and an optional fix.
 */
public record Diagnostic(Code code, Severity severity, Span span, List<Object> args, String message,
                         List<Note> notes, Fix fix) {

    /** An extra remark, optionally at another place. */
    public record Note(Span span, String message) {}

    /** A suggested edit: replace {@code span} by {@code replacement}. */
    public record Fix(String title, Span span, String replacement) {}

    public Diagnostic {
        args = List.copyOf(args);
        notes = List.copyOf(notes);
    }

    public static Diagnostic of(Code code, Span span, Object... args) {
        return new Diagnostic(code, code.defaultSeverity(), span, List.of(args), code.format(args), List.of(), null);
    }

    public Diagnostic withNote(String message) { return withNote(null, message); }

    public Diagnostic withNote(Span at, String message) {
        var more = new java.util.ArrayList<>(notes);
        more.add(new Note(at, message));
        return new Diagnostic(code, severity, span, args, this.message, more, fix);
    }

    public Diagnostic withFix(String title, Span at, String replacement) {
        return new Diagnostic(code, severity, span, args, message, notes, new Fix(title, at, replacement));
    }

    public boolean isError() { return severity == Severity.ERROR; }
}
