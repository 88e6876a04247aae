package hyenac.cli;

import hyenac.compiler.Compilation;
import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.ir.Dot;
import hyenac.ir.Graph;
import hyenac.ir.Printer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "graph", header = "Print a model's graph IR after the passes (text, DOT, SVG).",
        mixinStandardHelpOptions = true, description = "--svg runs Graphviz's `dot`, which must be installed (e.g. apt-get install graphviz).")
final class GraphCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE") Path file;

    @Option(names = "--print-after", paramLabel = "PASS", split = ",",
            description = "print the IR after these passes (elaborate, eliminate-identities, eliminate-common-subexpressions, eliminate-dead-code;"
                    + " with --train also parametrise-decay, differentiate) or `all`")
    Set<String> printAfter = Set.of();

    @Option(names = "--train", description = "the training graph `hyenac train` runs: the loss and the gradient of every weight")
    boolean train;

    @Option(names = "--dot", description = "print Graphviz DOT instead of text") boolean dot;

    @Option(names = "--svg", paramLabel = "OUT", description = "render the graph to an SVG file with Graphviz's `dot`") Path svg;

    @Option(names = "--timings", description = "print each pass's time to stderr") boolean timings;

    @Option(names = "--verify", description = "run the IR verifier after every pass") boolean verify;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

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
        for (String p : printAfter) {
            if (!p.equals("all") && !p.equals("elaborate") && !passes.names().contains(p)) {
                err.println("hyenac graph: no pass named `" + p + "`; passes: elaborate, " + String.join(", ", passes.names()));
                return Main.INTERNAL_ERROR;
            }
        }
        passes.printAfter(printAfter, out);
        Elaborated.Model model = models.getFirst();
        Graph g = passes.run(ToGraph.of(model));
        if (timings) passes.timings().forEach(t -> err.printf("%-36s %8.3f ms%n", t.pass(), t.millis()));
        if (svg != null) return render(Dot.export(g, model.name()), err);
        if (printAfter.isEmpty()) out.print(dot ? Dot.export(g, model.name()) : Printer.print(g));
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
