package hyenac.cli;

import hyenac.backends.codegen.kernels.Gemv;
import hyenac.backends.codegen.kernels.HopperAttention;
import hyenac.compiler.artifact.ArtifactException;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.commands.ExtraCommand;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.BackendUnavailableException;
import hyenac.runtime.weights.WeightsException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code hyenac} command line. Exit codes: 0 clean (warnings allowed), 1 a user error in the input,
 * 2 a usage error or an internal error.
 */
@Command(name = "hyenac", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A compiler for convolutional multi-hybrid language models (StripedHyena 2, Evo 2).",
        subcommands = {CheckCommand.class, FmtCommand.class, ExplainCommand.class, GraphCommand.class, ImportCommand.class, RunCommand.class, ScoreCommand.class, EmbedCommand.class,
                CompileCommand.class, BuildCommand.class, TrainCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int USER_ERROR = 1;
    public static final int INTERNAL_ERROR = 2;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        exit(() -> run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs {@code command} and exits with its code. */
    static void exit(java.util.function.IntSupplier command) {
        // A deep stack lets pathological input become a diagnostic instead of a crash.
        int[] code = {INTERNAL_ERROR};
        Thread worker = new Thread(null, () -> code[0] = command.getAsInt(), "hyenac", 512L << 20);
        worker.start();
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.exit(code[0]);
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return execute(commandLine(), args, out, err);
    }

    /** The whole command tree: the built-in commands and those other modules register as {@link ExtraCommand}s. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (ExtraCommand extra : java.util.ServiceLoader.load(ExtraCommand.class)) cli.addSubcommand(extra);
        return cli;
    }

    /** Runs {@code cli} with hyenac's streams, exit codes and error handling (shared with {@link EmbeddedMain}). */
    static int execute(CommandLine cli, String[] args, PrintWriter out, PrintWriter err) {
        cli.setOut(out);
        cli.setErr(err);
        try {
            KernelPipeline.preferred(System.getProperty("hyenac.algorithm"));
            HopperAttention.warpgroups();
            HopperAttention.keys();
            Gemv.unroll();
        } catch (IllegalArgumentException e) {
            // JVM options of the launcher's user, read wherever plans are made or kernels generated: checked once, up front
            err.println(cli.getCommandName() + ": " + e.getMessage());
            err.flush();
            return INTERNAL_ERROR;
        }
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            // Bad artifacts and weights are the input's fault: their messages say what and where.
            // A device that fails (out of memory, say) or is missing: the message says what was being done and what to do.
            if (e instanceof ArtifactException || e instanceof WeightsException || e instanceof BackendException) {
                err.println(cli.getCommandName() + (line == cli ? "" : " " + line.getCommandName()) + ": " + e.getMessage());
                return e instanceof BackendUnavailableException ? INTERNAL_ERROR : USER_ERROR;
            }
            err.println("hyenac: internal error: " + e);
            for (StackTraceElement el : e.getStackTrace()) err.println("    at " + el);
            err.println("This is a bug in hyenac, not in your input; please report it with the command line and files.");
            return INTERNAL_ERROR;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            err.println(cli.getCommandName() + ": " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try `" + cli.getCommandName() + " " + (e.getCommandLine() == cli ? "" : e.getCommandLine().getCommandName() + " ") + "--help`.");
            return INTERNAL_ERROR;
        });
        int code;
        try {
            code = cli.execute(args);
        } catch (StackOverflowError e) {
            // Errors bypass picocli's handler; input this pathological still deserves a sentence, not a trace.
            err.println("hyenac: the input is too deeply nested to process (stack exhausted); simplify it");
            code = USER_ERROR;
        } catch (OutOfMemoryError e) {
            // Weights are checked against the heap before they are made; what is left is activations or the input.
            err.printf(java.util.Locale.ROOT, "hyenac: out of memory: Java may use %.1f GiB here; give it more with HYENAC_JAVA_OPTS=-Xmx…g "
                    + "(or java -Xmx…g -jar …), or use a shorter prompt or a smaller input%n", Runtime.getRuntime().maxMemory() / (double) (1L << 30));
            code = USER_ERROR;
        }
        out.flush();
        err.flush();
        return code;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {"hyenac " + Executable.hyenacVersion() + " (Java " + Runtime.version() + ")"};
        }
    }
}
