package hyenac.dsl.diag;

import hyenac.dsl.source.Span;

/**
 * Renders diagnostics the way compilers people know do:
 * <pre>
 * model.hyena:12:7: error[HY0200]: unknown name `grups`
 *    12 |   op se = hyena_se(grups = 8)
 *       |                    ^^^^^
 *       = help: did you mean `groups`?
 * </pre>
 */
public final class HumanRenderer {
    private HumanRenderer() {}

    public static String render(Diagnostic d) {
        StringBuilder out = new StringBuilder();
        out.append(d.span().location()).append(": ").append(d.severity().label())
           .append('[').append(d.code().name()).append("]: ").append(d.message()).append('\n');
        excerpt(out, d.span());
        for (Diagnostic.Note note : d.notes()) {
            if (note.span() != null && note.span().file() != d.span().file()) {
                out.append("      = note: ").append(note.message()).append(" (").append(note.span().location()).append(")\n");
            } else if (note.span() != null) {
                out.append("      = note: ").append(note.message()).append(" (line ").append(note.span().line()).append(")\n");
            } else {
                out.append("      = note: ").append(note.message()).append('\n');
            }
        }
        if (d.fix() != null) out.append("      = help: ").append(d.fix().title()).append('\n');
        return out.toString();
    }

    public static String summary(Diagnostics diags) {
        int errors = diags.errorCount();
        long warnings = diags.all().stream().filter(d -> d.severity() == Severity.WARNING).count();
        StringBuilder s = new StringBuilder();
        if (diags.dropped() > 0) s.append(diags.dropped()).append(" more diagnostics not shown (limit reached)\n");
        s.append(errors).append(errors == 1 ? " error" : " errors").append(", ")
         .append(warnings).append(warnings == 1 ? " warning" : " warnings").append('\n');
        return s.toString();
    }

    /** Longer source lines are shown as a window around the span. */
    static final int MAX_LINE = 200;

    private static void excerpt(StringBuilder out, Span span) {
        var file = span.file();
        if (file.text().isEmpty()) return;
        int line = span.line();
        String text = file.lineText(line);
        int col = span.column() - 1;
        int width = span.endLine() == line ? Math.max(1, span.end() - span.start()) : Math.max(1, text.length() - col);
        width = Math.min(width, Math.max(1, text.length() - col));
        if (text.length() > MAX_LINE) {
            // A generated file can hold a line of megabytes, and every diagnostic on it would print it all.
            int from = Math.max(0, Math.min(col - MAX_LINE / 4, text.length() - MAX_LINE));
            int to = from + MAX_LINE;
            String head = from > 0 ? "…" : "";
            width = Math.max(1, Math.min(width, to - col));
            col = col - from + head.length();
            text = head + text.substring(from, to) + (to < text.length() ? "…" : "");
        }
        String gutter = String.valueOf(line);
        String pad = " ".repeat(Math.max(5, gutter.length() + 1));
        out.append(String.format("%" + pad.length() + "s | ", gutter)).append(printable(text)).append('\n');
        StringBuilder marks = new StringBuilder();
        for (int i = 0; i < col && i < text.length(); i++) marks.append(text.charAt(i) == '\t' ? '\t' : ' ');
        marks.append("^".repeat(width));
        out.append(pad).append(" | ").append(marks).append('\n');
    }

    /** Control characters would garble a terminal; show them as escapes. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\t') b.append('?'); else if (c == 0x7f) b.append('?'); else b.append(c);
        }
        return b.toString();
    }
}
