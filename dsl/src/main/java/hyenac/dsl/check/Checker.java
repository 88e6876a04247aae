package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Severity;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The front end in one call: parse, resolve imports, check every operator of the given files on its
 * own, and elaborate every model. Never throws on user input.
 */
public final class Checker {
    private Checker() {}

    /** What checking produced: all diagnostics, the root modules, and the models that elaborated cleanly. */
    public record Result(Diagnostics diagnostics, List<Module> modules, List<Elaborated.Model> models) {
        public boolean ok() { return !diagnostics.hasErrors(); }
    }

    public static Result check(List<Path> files) { return check(files, Diagnostics.DEFAULT_LIMIT); }

    /** As {@link #check(List)}, keeping at most {@code maxDiagnostics} diagnostics over all the files. */
    public static Result check(List<Path> files, int maxDiagnostics) {
        Diagnostics diags = new Diagnostics(maxDiagnostics);
        ModuleLoader loader = new ModuleLoader(diags);
        List<Module> modules = new ArrayList<>();
        for (Path f : files) {
            Module m = guarded(diags, Span.at(new SourceFile(f.toString(), ""), 0), () -> loader.loadFile(f));
            if (m != null) modules.add(m);
        }
        return finish(diags, modules);
    }

    /** Checks text held in memory (an editor buffer or a test); imports resolve against {@code dir}. */
    public static Result checkSource(SourceFile source, Path dir) {
        Diagnostics diags = new Diagnostics();
        ModuleLoader loader = new ModuleLoader(diags);
        Module m = guarded(diags, Span.at(source, 0), () -> loader.loadSource(source, dir));
        return finish(diags, m == null ? List.of() : List.of(m));
    }

    private static Result finish(Diagnostics diags, List<Module> modules) {
        List<Elaborated.Model> models = new ArrayList<>();
        Limits.Budget budget = new Limits.Budget();
        for (Module m : modules) {
            // Past a syntax error the tree is a guess; checking it would only add noise.
            int brokenFrom = firstSyntaxError(diags, m);
            for (Template.Declared t : m.declared().values()) {
                if (t.decl().span().end() < brokenFrom) {
                    guarded(diags, t.span(), () -> { new Evaluator(diags, budget).checkAlone(t); return null; });
                }
            }
            for (Ast.ModelDecl decl : m.models()) {
                if (decl.span().end() >= brokenFrom) continue;
                int before = diags.errorCount();
                Elaborated.Model model = guarded(diags, decl.name().span(), () -> new Evaluator(diags, budget).model(m, decl));
                if (model != null && diags.errorCount() == before) models.add(model);
            }
        }
        diags.removeIf(Checker::allowed);
        return new Result(diags, modules, models);
    }

    private static final Pattern ALLOW = Pattern.compile("//.*\\ballow:\\s*(HY\\d{4}(?:\\s*,\\s*HY\\d{4})*)");

    /**
     * A warning is allowed by a comment {@code // allow: HY0308} on its line or the line above, for
     * findings that are known and accepted (e.g. the released Evo 2 1B's 15-channel filter groups).
     */
    private static boolean allowed(Diagnostic d) {
        if (d.severity() != Severity.WARNING) return false;
        SourceFile f = d.span().file();
        int line = d.span().line();
        for (int l = Math.max(1, line - 1); l <= line && l <= f.lineCount(); l++) {
            Matcher m = ALLOW.matcher(f.lineText(l));
            if (m.find() && List.of(m.group(1).split("\\s*,\\s*")).contains(d.code().name())) return true;
        }
        return false;
    }

    private static int firstSyntaxError(Diagnostics diags, Module m) {
        int first = Integer.MAX_VALUE;
        for (Diagnostic d : diags.all()) {
            if (d.span().file() == m.source() && SYNTAX.contains(d.code())) first = Math.min(first, d.span().start());
        }
        return first;
    }

    private static final java.util.Set<Code> SYNTAX = java.util.EnumSet.of(Code.HY0001, Code.HY0002, Code.HY0003,
            Code.HY0004, Code.HY0005, Code.HY0006, Code.HY0007);

    /** Runs one step; pathological nesting that still exhausts the stack becomes a diagnostic. */
    private static <T> T guarded(Diagnostics diags, Span at, java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (StackOverflowError e) {
            diags.report(Code.HY0005, at, SyntaxReader.MAX_NESTING);
            return null;
        }
    }
}
