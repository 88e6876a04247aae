package hyenac.cli;

import hyenac.compiler.artifact.Executable;
import hyenac.compiler.artifact.RunnableJar;
import hyenac.compiler.commands.Targets;
import hyenac.compiler.kernels.KernelPipeline;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * The main class of the jars {@code hyenac build} writes: generation with the model the jar carries as
 * {@value RunnableJar#MODEL_RESOURCE}, with the options of {@code hyenac run} less the model path.
 */
@Command(mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Generate text with the model built into this jar: parallel prefill of the prompt, then recurrent decoding.",
                "Weights: --weights, else those built in, else seeded random numbers (the output is then noise)."})
public final class EmbeddedMain implements Callable<Integer> {
    @Mixin GenerateOptions gen;

    @Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        Main.exit(() -> run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new EmbeddedMain());
        cli.setCommandName("java -jar " + jarName());
        return Main.execute(cli, args, out, err);
    }

    @Override public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String command = spec.commandLine().getCommandName();
        Integer bad = gen.invalid(command, err);
        if (bad != null) return bad;
        Targets.Picked target = Targets.forRunning(command, gen.target, err);
        if (target == null) return Main.INTERNAL_ERROR;
        // The artifact is read as a file (its weights are memory-mapped), so it is copied out of the jar first.
        Path hyx = Files.createTempFile("hyenac-model", ".hyx");
        try {
            try (InputStream in = EmbeddedMain.class.getResourceAsStream("/" + RunnableJar.MODEL_RESOURCE)) {
                if (in == null) {
                    err.println(command + ": this jar holds no model (" + RunnableJar.MODEL_RESOURCE + "); `hyenac build FILE --jar OUT.jar` makes one that does");
                    return Main.USER_ERROR;
                }
                Files.copy(in, hyx, StandardCopyOption.REPLACE_EXISTING);
            }
            try (Executable x = Executable.open(hyx, jarName() + "!/" + RunnableJar.MODEL_RESOURCE)) {
                return Generation.run(command, gen, target, x.graph(), x.deviceCode(), (graph, lowering) -> x.planner(new KernelPipeline(graph, lowering)), x.meta().model(), x.hasWeights() ? x::weights : null,
                        out, err);
            }
        } finally {
            Files.deleteIfExists(hyx);
        }
    }

    private static String jarName() {
        try {
            Path p = Path.of(EmbeddedMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.getFileName().toString();
        } catch (Exception e) {
            return "model.jar";  // only a name for messages
        }
    }
}
