package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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

    public static Result check(List<Path> files) {
        Diagnostics diags = new Diagnostics();
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
        for (Module m : modules) {
            for (Template.Declared t : m.declared().values()) {
                guarded(diags, t.span(), () -> { new Evaluator(diags).checkAlone(t); return null; });
            }
            for (Ast.ModelDecl decl : m.models()) {
                int before = diags.errorCount();
                Elaborated.Model model = guarded(diags, decl.name().span(), () -> new Evaluator(diags).model(m, decl));
                if (model != null && diags.errorCount() == before) models.add(model);
            }
        }
        return new Result(diags, modules, models);
    }

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
