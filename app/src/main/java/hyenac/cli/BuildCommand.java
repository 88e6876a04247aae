package hyenac.cli;

import hyenac.compiler.artifact.ArtifactException;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.artifact.RunnableJar;
import hyenac.compiler.commands.Targets;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "build", header = "Build a runnable jar holding hyenac and a compiled model.",
        mixinStandardHelpOptions = true, description = {"Build a self-contained runnable jar: hyenac and the compiled model in one file.",
        "`java -jar OUT.jar --prompt TEXT [--generate N …]` then generates with it (the options of `hyenac run`),",
        "on the GPU when one is usable (--target auto), with the kernels of --target cuda when the model carries them."})
final class BuildCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "a .hyena spec (compiled first), or a .hyx from `hyenac compile` (packed as it is)") Path file;

    @Option(names = "--jar", required = true, paramLabel = "OUT.jar") Path jar;

    @Mixin CompileOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put(Executable.looksLikeArtifact(file) ? "the artifact" : "the spec", file);
        inputs.put("the --weights file", options.weightsFile);
        if (!Outputs.writable("hyenac build", "--jar", jar, inputs, err)) return Main.USER_ERROR;
        // Find hyenac's own jar before compiling anything: without it there is nothing to build on.
        String root = System.getProperty("hyenac.root");
        Path hyenacJar = RunnableJar.hyenacJar(Main.class, root == null ? null : Path.of(root), EmbeddedMain.class.getName());
        if (!Outputs.writable("hyenac build", "--jar", jar, Map.of("hyenac's own jar", hyenacJar), err)) return Main.USER_ERROR;
        String summary;
        if (Executable.looksLikeArtifact(file)) {
            if (options.weightsFile != null || options.randomWeights || options.modelName != null || options.target != Targets.Name.auto
                    || options.arch != null) {
                err.println("hyenac build: a .hyx is packed as it is; --weights, --random-weights, --model, --target and --arch apply when building from a spec");
                return Main.INTERNAL_ERROR;
            }
            try (Executable x = Executable.open(file)) {  // checked now rather than when the jar first runs
                summary = "model " + x.meta().model() + " for " + x.meta().target() + " from " + file;
                RunnableJar.write(hyenacJar, file, jar, EmbeddedMain.class.getName(), x.meta().model());
            }
        } else {
            Path hyx;
            try {
                hyx = Files.createTempFile("hyenac-build", ".hyx");
            } catch (IOException e) {
                throw new ArtifactException("hyenac build: cannot create a temporary file: " + e.getMessage(), e);
            }
            try {
                CompileCommand.Outcome o = CompileCommand.toArtifact("hyenac build", file, options, hyx, err);
                if (o.code() != Main.OK) return o.code();
                summary = o.summary();
                RunnableJar.write(hyenacJar, hyx, jar, EmbeddedMain.class.getName(), o.model());
            } finally {
                try {
                    Files.deleteIfExists(hyx);
                } catch (IOException ignored) {
                    // a leftover temporary file is not worth failing the build for
                }
            }
        }
        out.println("wrote " + jar + ": " + summary + "; run it with `java -jar " + jar + " --prompt TEXT`");
        return Main.OK;
    }
}
