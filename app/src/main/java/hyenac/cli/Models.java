package hyenac.cli;

import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.ArtifactException;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.commands.Targets;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.backends.cpu.ContextParallelCpu;
import hyenac.ir.Graph;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Planner;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.Session;
import hyenac.runtime.progress.Progress;
import hyenac.runtime.weights.NotEnoughMemoryException;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * What the commands that run a model share ({@code run}, {@code score}, {@code embed}): the model file opened (a spec
 * compiled, or a .hyx read), its weights ({@code --weights}, else the artifact's, else seeded random ones), and a session
 * on the target with the line that says which target runs.
 */
final class Models {
    private Models() {}

    /**
     * A model ready to run: its graph and name, the device code and plans of an artifact (null and the kernel pipeline
     * for a spec), and the weights it carries (null when none). Closing closes the artifact.
     */
    record Opened(Graph graph, String name, DeviceCode carried, BiFunction<Graph, Lowering, Planner> planning,
                  Function<WeightStore.Options, WeightStore> embedded, Executable artifact) implements AutoCloseable {
        @Override public void close() {
            if (artifact != null) artifact.close();
        }
    }

    /**
     * {@code model} (a .hyena spec, or a .hyx from {@code hyenac compile}), the model called {@code modelName} in it (null:
     * its only one); null after the diagnostics or one line on {@code err}.
     *
     * @throws ArtifactException for a damaged or stale artifact (the command line prints it as one line)
     */
    static Opened open(String command, Path model, String modelName, PrintWriter out, PrintWriter err) {
        if (Executable.looksLikeArtifact(model)) {
            Executable x = Executable.open(model);
            if (modelName != null && !modelName.equals(x.meta().model())) {
                x.close();
                err.println(command + ": " + model + " holds the model `" + x.meta().model() + "`, not `" + modelName + "`");
                return null;
            }
            return new Opened(x.graph(), x.meta().model(), x.deviceCode(), (graph, lowering) -> x.planner(new KernelPipeline(graph, lowering)),
                    x.hasWeights() ? x::weights : null, x);
        }
        Compilation.Result c = Compilation.compile(model, modelName);
        DiagnosticOutput.print(c.checked().diagnostics(), DiagnosticOutput.Format.human, out, err);
        if (!c.ok()) {
            if (c.checked().ok()) err.println(Compilation.noModel(model, c.checked(), modelName));
            return null;
        }
        return new Opened(c.graph(), c.model().name(), null, KernelPipeline::new, null, null);
    }

    /**
     * The weights of {@code g}: from {@code file}, else {@code embedded} (null when the model carries none), else seeded
     * random ones, with a warning. Null after saying why on {@code err} (too big for the heap, a bad file).
     */
    static WeightStore weights(String command, Path file, boolean noWeightCheck, long seed, Graph g,
                               Function<WeightStore.Options, WeightStore> embedded, String randomMeans, Progress progress, PrintWriter err) {
        WeightStore.Options loading = (noWeightCheck ? WeightStore.Options.defaults().withoutFiniteCheck() : WeightStore.Options.defaults())
                .withProgress(progress);
        try {
            if (file != null) return Generation.fromFile(file, g, loading);
            if (embedded != null) return embedded.apply(loading);
            err.println(command + ": no --weights given: using random weights (seed " + seed + "); " + randomMeans);
            return WeightStore.random(g, seed, loading);
        } catch (NotEnoughMemoryException e) {
            err.println(command + ": " + e.getMessage() + "; " + Generation.moreMemory(command, e.needed()));
            return null;
        } catch (WeightsException | ArtifactException e) {
            err.println(command + ": " + e.getMessage());
            return null;
        }
    }

    /**
     * A session for {@code g} with {@code weights} on {@code target}, opened for generation batches of {@code batch}, after
     * which the line saying which target runs (and why) goes to {@code err}. Null after saying why.
     */
    static Session session(String command, Targets.Picked target, Opened model, WeightStore weights, int batch, Progress progress, PrintWriter err,
                           ContextParallelOptions cp) {
        Backend backend = target.backend(model.carried(), model.planning());
        if (cp.contextParallel()) {
            if (target.device() != null) {
                err.println(command + ": --context-parallel runs on the CPU for now (NCCL on GPUs comes later); use --target cpu");
                return null;
            }
            ContextParallelPlan plan = cp.plan(command, model.name(), model.graph(), err);
            if (plan == null) return null;
            backend = new ContextParallelCpu(plan);
        }
        Session session;
        Progress.Task preparing = TerminalProgress.note(progress, "preparing the model on " + backend.name());
        try {
            session = backend.open(model.graph(), weights, batch);
        } catch (ArtifactException e) {
            err.println(command + ": " + e.getMessage());
            return null;
        } finally {
            preparing.close();
        }
        String note = target.device() == null && model.carried() != null
                ? "the artifact's " + model.carried().target() + " kernels go unused" : session.note();
        String line = target.line(note);
        if (line != null) err.println(line);
        return session;
    }

    /**
     * Past the spec's context, recurrent Hyena layers compute what they always do, but attention meets rotary positions
     * it was never trained at: a model with attention is warned ({@code what} says what reaches how far), one without
     * runs on silently.
     */
    static void warnPastContext(String command, Graph g, long total, String what, PrintWriter err) {
        if (!(g.attrs().get("context") instanceof Number context) || total <= context.longValue()) return;
        if (g.nodes().stream().noneMatch(n -> n.op().equals("causal_attention"))) return;
        err.printf(Locale.ROOT, "%s: warning: %s reach %d tokens, past the model's context of %d: its attention layers will see positions it"
                + " was not trained for, and quality may degrade%n", command, what, total, context.longValue());
    }

    /** The spec's context, or empty for a graph without one. */
    static java.util.OptionalInt context(Graph g) {
        return g.attrs().get("context") instanceof Number n ? java.util.OptionalInt.of(Math.toIntExact(n.longValue())) : java.util.OptionalInt.empty();
    }
}
