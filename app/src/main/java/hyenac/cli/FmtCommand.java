package hyenac.cli;

import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.format.Formatter;
import hyenac.dsl.source.SourceFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "fmt", header = "Format .hyena files in the one canonical layout.",
        mixinStandardHelpOptions = true, description = {"Print .hyena files in the one canonical layout (comments kept).",
        "A file with syntax errors is reported and left untouched."})
final class FmtCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE") List<Path> files;

    @ArgGroup(exclusive = true) Mode mode = new Mode();

    static final class Mode {
        @Option(names = "--check", description = "list files that are not formatted; exit 1 if any") boolean check;
        @Option(names = "--write", description = "rewrite files in place") boolean write;
    }

    @Option(names = "--diagnostics", defaultValue = "human", description = "human or json") DiagnosticOutput.Format format;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Diagnostics diags = new Diagnostics();
        boolean unformatted = false;
        for (Path file : files) {
            SourceFile src = SourceFiles.read(file, diags);
            if (src == null) continue;
            Optional<String> formatted = Formatter.formatIfClean(src, diags);
            if (formatted.isEmpty()) continue;
            boolean changed = !formatted.get().equals(src.text());
            if (mode.check) {
                if (changed) {
                    err.println("not formatted: " + file);
                    unformatted = true;
                }
            } else if (mode.write) {
                if (changed) SourceFiles.writeAtomically(file, formatted.get());
            } else {
                out.print(formatted.get());
            }
        }
        DiagnosticOutput.print(diags, format, out, err);
        return diags.hasErrors() || unformatted ? Main.USER_ERROR : Main.OK;
    }
}
