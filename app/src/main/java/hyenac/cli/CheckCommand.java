package hyenac.cli;

import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.Diagnostics;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check", header = "Check .hyena files: syntax, names, types, shapes, layers.",
        mixinStandardHelpOptions = true,
        description = "Exits 0 when clean (warnings allowed), 1 on any error.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = ".hyena files") List<Path> files;

    @Option(names = "--diagnostics", defaultValue = "human", description = "human or json (${COMPLETION-CANDIDATES})")
    DiagnosticOutput.Format format;

    @Option(names = "--max-diagnostics", defaultValue = "" + Diagnostics.DEFAULT_LIMIT, paramLabel = "N",
            description = "Show at most N diagnostics over all the files (default ${DEFAULT-VALUE}; 0: no limit).")
    int maxDiagnostics;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        if (maxDiagnostics < 0) {
            throw new ParameterException(spec.commandLine(), "--max-diagnostics must be 0 (no limit) or more, not " + maxDiagnostics);
        }
        Checker.Result result = Checker.check(files, maxDiagnostics == 0 ? Integer.MAX_VALUE : maxDiagnostics);
        DiagnosticOutput.print(result.diagnostics(), format, spec.commandLine().getOut(), spec.commandLine().getErr());
        if (result.diagnostics().dropped() > 0 && format == DiagnosticOutput.Format.human) {
            spec.commandLine().getErr().println("(--max-diagnostics 0 shows them all)");
        }
        return result.ok() ? Main.OK : Main.USER_ERROR;
    }
}
