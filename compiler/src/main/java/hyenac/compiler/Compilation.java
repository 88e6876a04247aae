package hyenac.compiler;

import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.ir.Graph;
import java.nio.file.Path;
import java.util.List;

/** The pipeline from a spec file to an optimised graph, as every command that runs a model uses it. */
public final class Compilation {
    /** The checked model and its graph after the passes; {@code checked} carries the diagnostics. */
    public record Result(Checker.Result checked, Elaborated.Model model, Graph graph) {
        public boolean ok() { return graph != null; }
    }

    private Compilation() {}

    /**
     * What to say when {@code file} checked cleanly but has no model to use: none at all, or none named
     * {@code modelName} (the models it has are listed).
     */
    public static String noModel(Path file, Checker.Result checked, String modelName) {
        if (modelName == null || checked.models().isEmpty()) return file + ": no model in this file (it declares only operators and blocks)";
        return file + ": no model named `" + modelName + "`; models: " + String.join(", ", checked.models().stream().map(Elaborated.Model::name).toList());
    }

    public static Result compile(Path spec, String modelName) {
        return of(Checker.check(List.of(spec)), modelName);
    }

    /** The rest of the pipeline for a spec already checked (text held in memory, an imported config). */
    public static Result of(Checker.Result checked, String modelName) {
        if (!checked.ok()) return new Result(checked, null, null);
        Elaborated.Model model = checked.models().stream()
                .filter(m -> modelName == null || m.name().equals(modelName)).findFirst().orElse(null);
        if (model == null) return new Result(checked, null, null);
        return new Result(checked, model, lower(model));
    }

    /** A checked model to its graph after the standard passes: the one place the pipeline is run. */
    public static Graph lower(Elaborated.Model model) {
        return PassManager.standard().run(ToGraph.of(model));
    }

    /** A checked model to its training graph: the loss and the gradient of every weight ({@link PassManager#training}). */
    public static Graph lowerForTraining(Elaborated.Model model) {
        return PassManager.training().run(ToGraph.of(model));
    }
}
