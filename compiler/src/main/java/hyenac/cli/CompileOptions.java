package hyenac.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** What goes into a .hyx besides the spec: shared by {@code hyenac compile} and {@code hyenac build}. */
final class CompileOptions {
    @Option(names = "--weights", paramLabel = "FILE",
            description = "embed these weights (safetensors, our names or a vortex checkpoint's), checked against the spec and stored under our names")
    Path weightsFile;

    @Option(names = "--random-weights", description = "embed seeded random weights (see --seed)") boolean randomWeights;

    @Option(names = "--seed", defaultValue = "0", description = "the seed of --random-weights (default ${DEFAULT-VALUE})") long seed;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Option(names = "--target", defaultValue = "cpu", description = "backend the artifact is for (cpu)") String target;
}
