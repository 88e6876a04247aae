package hyenac.ide;

import hyenac.compiler.commands.ExtraCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hyenac lsp}: the language server on stdin/stdout, for editors. */
@Command(name = "lsp", header = "Run the .hyena language server on stdio, for editors.",
        mixinStandardHelpOptions = true, description = "Run the .hyena language server on stdin/stdout (for editors; logs go to stderr).")
public final class LspCommand implements Callable<Integer>, ExtraCommand {
    @Option(names = "--debounce-ms", defaultValue = "150", paramLabel = "MS",
            description = "Wait this long after a change before re-checking (default ${DEFAULT-VALUE}).")
    long debounceMs;

    @Option(names = "--verbose", description = "Log requests and timings to stderr.")
    boolean verbose;

    @Override public Integer call() {
        if (verbose) Log.verbose = true;
        return StdioServer.serve(Math.max(0, debounceMs));
    }
}
