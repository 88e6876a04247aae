package hyenac.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.source.Span;
import java.io.PrintWriter;

/** Prints diagnostics for people (file:line:col, source line, caret) or as JSON for tools. */
final class DiagnosticOutput {
    enum Format { human, json }

    private DiagnosticOutput() {}

    static void print(Diagnostics diags, Format format, PrintWriter out, PrintWriter err) {
        if (format == Format.json) {
            JsonObject root = new JsonObject();
            JsonArray list = new JsonArray();
            for (Diagnostic d : diags.all()) list.add(json(d));
            root.add("diagnostics", list);
            root.addProperty("errors", diags.errorCount());
            root.addProperty("omitted", diags.dropped());
            out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(root));
            return;
        }
        for (Diagnostic d : diags.all()) err.print(HumanRenderer.render(d));
        if (!diags.all().isEmpty() || diags.dropped() > 0) err.print(HumanRenderer.summary(diags));
    }

    static JsonObject json(Diagnostic d) {
        JsonObject o = new JsonObject();
        o.addProperty("code", d.code().name());
        o.addProperty("severity", d.severity().label());
        o.addProperty("message", d.message());
        o.add("span", span(d.span()));
        JsonArray args = new JsonArray();
        d.args().forEach(a -> args.add(String.valueOf(a)));
        o.add("args", args);
        JsonArray notes = new JsonArray();
        for (Diagnostic.Note n : d.notes()) {
            JsonObject note = new JsonObject();
            note.addProperty("message", n.message());
            if (n.span() != null) note.add("span", span(n.span()));
            notes.add(note);
        }
        o.add("notes", notes);
        if (d.fix() != null) {
            JsonObject fix = new JsonObject();
            fix.addProperty("title", d.fix().title());
            fix.add("span", span(d.fix().span()));
            fix.addProperty("replacement", d.fix().replacement());
            o.add("fix", fix);
        }
        return o;
    }

    private static JsonObject span(Span s) {
        JsonObject o = new JsonObject();
        o.addProperty("file", s.file().name());
        o.addProperty("line", s.line());
        o.addProperty("column", s.column());
        o.addProperty("endLine", s.endLine());
        o.addProperty("endColumn", s.endColumn());
        o.addProperty("start", s.start());
        o.addProperty("end", s.end());
        return o;
    }
}
