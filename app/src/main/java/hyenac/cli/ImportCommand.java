package hyenac.cli;

import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.SourceFile;
import hyenac.importer.VortexImporter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "import", header = "Convert a vortex (Evo 2) YAML config into a .hyena spec.",
        mixinStandardHelpOptions = true, description = {"Keys that have no equivalent are reported by name, never dropped silently."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "a vortex .yml config") Path config;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "write the spec here instead of stdout") Path output;

    @Option(names = "--diagnostics", defaultValue = "human", description = "human or json") DiagnosticOutput.Format format;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (output != null && !Outputs.writable("hyenac import", "-o", output, Map.of("the config", config), err)) return Main.USER_ERROR;
        Diagnostics diags = new Diagnostics();
        SourceFile src = SourceFiles.read(config, diags);
        if (src != null) {
            VortexImporter.Result result = VortexImporter.convert(src);
            diags.addAll(result.diagnostics());
            if (result.hyena() != null && !diags.hasErrors()) {
                if (output != null) SourceFiles.writeAtomically(output, result.hyena());
                else out.print(result.hyena());
            }
        }
        // Diagnostics go to stderr so stdout stays a clean spec for `> model.hyena`.
        DiagnosticOutput.print(diags, format, format == DiagnosticOutput.Format.json ? err : out, err);
        return diags.hasErrors() ? Main.USER_ERROR : Main.OK;
    }
}
