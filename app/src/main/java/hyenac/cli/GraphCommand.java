package hyenac.cli;

import hyenac.compiler.Compilation;
import hyenac.compiler.ToGraph;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.ir.Dot;
import hyenac.ir.Graph;
import hyenac.ir.Printer;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.runtime.exec.DeviceTarget;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "graph", header = "Print a model's graph IR (text, DOT, SVG) and GPU kernel plan.",
        mixinStandardHelpOptions = true, description = {"--svg runs Graphviz's `dot`, which must be installed (e.g. apt-get install graphviz).",
        "With --target cuda the kernel pipeline runs after the graph passes (fuse-kernels, select-algorithms, lower-to-kernels,"
                + " plan-memory) and the plan of --phase is printed after the graph; no GPU is needed."})
final class GraphCommand implements Callable<Integer> {
    /** The stage that plans context parallelism (compiler/cp/PlanContextParallel), printable like the passes. */
    static final String CONTEXT_PARALLEL = "context-parallel";

    @Parameters(paramLabel = "FILE") Path file;

    @Option(names = "--print-after", paramLabel = "PASS", split = ",",
            description = "print the IR after these passes (elaborate, eliminate-identities, eliminate-common-subexpressions, eliminate-dead-code;"
                    + " with --train also parametrise-decay, differentiate; with --target cuda also fuse-kernels, select-algorithms,"
                    + " lower-to-kernels, plan-memory; with --context-parallel N also context-parallel) or `all`")
    Set<String> printAfter = Set.of();

    @Option(names = "--train", description = "the training graph `hyenac train` runs: the loss and the gradient of every weight")
    boolean train;

    @Option(names = "--target", paramLabel = "NAME", description = "cpu (the default: the graph only) or cuda (the graph, then its kernel plan)")
    String target = "cpu";

    @Option(names = "--phase", paramLabel = "PHASE", description = "which plan with --target cuda: parallel (the default), prefill or step")
    String phase = "parallel";

    @Option(names = "--dot", description = "print Graphviz DOT instead of text") boolean dot;

    @Option(names = "--svg", paramLabel = "OUT", description = "render the graph to an SVG file with Graphviz's `dot`") Path svg;

    @Option(names = "--timings", description = "print each pass's time to stderr") boolean timings;

    @Option(names = "--verify", description = "run the IR verifier after every pass") boolean verify;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Mixin ContextParallelOptions cp;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Checker.Result result = Checker.check(List.of(file));
        DiagnosticOutput.print(result.diagnostics(), DiagnosticOutput.Format.human, out, err);
        if (!result.ok()) return Main.USER_ERROR;
        List<Elaborated.Model> models = result.models().stream().filter(m -> modelName == null || m.name().equals(modelName)).toList();
        if (models.isEmpty()) {
            err.println(Compilation.noModel(file, result, modelName));
            return Main.USER_ERROR;
        }
        PassManager passes = (train ? PassManager.training() : PassManager.standard()).verifyEach(verify);
        String problem = KernelPlans.problem(target, phase);
        if (problem != null) {
            err.println("hyenac graph: " + problem);
            return Main.USER_ERROR;
        }
        DeviceTarget device = KernelPlans.device(target);
        if (device != null && train) {
            err.println("hyenac graph: --train shows the training graph, which runs on the CPU; leave out --target " + target);
            return Main.USER_ERROR;
        }
        Phase planned = KernelPlans.phase(phase);
        List<String> names = new ArrayList<>(passes.names());
        if (device != null) names.addAll(KernelPipeline.STAGES);
        if (cp.contextParallel()) names.add(CONTEXT_PARALLEL);
        for (String p : printAfter) {
            if (!p.equals("all") && !p.equals("elaborate") && !names.contains(p)) {
                err.println("hyenac graph: no pass named `" + p + "`; passes: elaborate, " + String.join(", ", names)
                        + (device == null && KernelPipeline.STAGES.contains(p) ? " (" + p + " runs with --target cuda)" : "")
                        + (p.equals(CONTEXT_PARALLEL) ? " (" + p + " runs with --context-parallel N, N > 1)" : ""));
                return Main.USER_ERROR;
            }
        }
        passes.printAfter(printAfter, out);
        Elaborated.Model model = models.getFirst();
        Graph g = passes.run(ToGraph.of(model));
        if (svg != null) return render(Dot.export(g, model.name()), err);
        if (printAfter.isEmpty()) out.print(dot ? Dot.export(g, model.name()) : Printer.print(g));
        if (cp.contextParallel()) {
            // planned on the optimised graph, as `run` plans it; printed as a stage of its own
            ContextParallelPlan plan = cp.plan("hyenac graph", file, g, err);
            if (plan == null) return Main.USER_ERROR;
            if (printAfter.isEmpty() || printAfter.contains("all") || printAfter.contains(CONTEXT_PARALLEL)) {
                out.println("// ----- after " + CONTEXT_PARALLEL);
                out.print(plan.print(g, 0, 0));
                out.println("// sharding of every value");
                out.print(plan.printValues());
            }
        }
        List<PassManager.Timing> times = new ArrayList<>(passes.timings());
        if (device != null) {
            KernelPipeline kernels = new KernelPipeline(g, device.lowering(g)).printAfter(printAfter, out);
            Plan plan;
            try {
                plan = kernels.plan(planned);
            } catch (UnsupportedOperationException e) {
                err.println("hyenac graph: the " + target + " target cannot compile this model yet: " + e.getMessage());
                return Main.USER_ERROR;
            }
            if (!printAfter.contains("all") && !printAfter.contains("plan-memory")) {
                out.println("// ----- " + planned.spelling() + " plan for " + target);
                out.print(KernelPlans.text(plan));
            }
            times.addAll(kernels.timings());
        }
        out.flush();
        if (timings) times.forEach(t -> err.printf("%-36s %8.3f ms%n", t.pass(), t.millis()));
        return Main.OK;
    }

    private int render(String dotText, PrintWriter err) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("dot", "-Tsvg", "-o", svg.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            err.println("hyenac graph: --svg needs Graphviz's `dot` on PATH (not found); --dot prints the graph for rendering elsewhere");
            return Main.USER_ERROR;
        }
        p.getOutputStream().write(dotText.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            err.println("hyenac graph: `dot` failed: " + log);
            return Main.USER_ERROR;
        }
        return Main.OK;
    }
}
