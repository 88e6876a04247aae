package hyenac.cli;

import hyenac.compiler.commands.Targets;
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

    @Option(names = "--target", defaultValue = "auto", paramLabel = "cpu|cuda|auto",
            description = {"the target the artifact is for: cpu, cuda (carries the generated CUDA sources, and PTX when nvcc is at hand;",
                    "needs no GPU), or auto, the default: cuda when a usable GPU is present, else cpu. Any artifact runs on either."})
    Targets.Name target;

    @Option(names = "--arch", paramLabel = "sm_XY", description = "the GPU architecture the PTX of --target cuda is for (default sm_90)")
    String arch;
}
