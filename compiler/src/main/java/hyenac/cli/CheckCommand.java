package hyenac.cli;

import hyenac.dsl.check.Checker;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "check", header = "Check .hyena files: syntax, names, types, shapes, layers.",
        mixinStandardHelpOptions = true,
        description = "Exits 0 when clean (warnings allowed), 1 on any error.")
final class CheckCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = ".hyena files") List<Path> files;

    @Option(names = "--diagnostics", defaultValue = "human", description = "human or json (${COMPLETION-CANDIDATES})")
    DiagnosticOutput.Format format;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        Checker.Result result = Checker.check(files);
        DiagnosticOutput.print(result.diagnostics(), format, spec.commandLine().getOut(), spec.commandLine().getErr());
        return result.ok() ? Main.OK : Main.USER_ERROR;
    }
}
