package hyenac.cli;

import hyenac.compiler.commands.Targets;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a model's weights come from and where it runs: the options of every command that runs one ({@code run}, {@code score}, {@code embed}). */
class ModelOptions extends ContextParallelOptions {
    @Option(names = "--weights", paramLabel = "FILE",
            description = "safetensors with our weight names, or a vortex (Evo 2) checkpoint converted to safetensors; wins over weights a .hyx carries")
    Path weightsFile;

    @Option(names = "--no-weight-check", description = "skip checking that every weight read from a file is a finite number (loads big checkpoints faster)")
    boolean noWeightCheck;

    @Option(names = "--target", defaultValue = "auto", paramLabel = "cpu|cuda|auto",
            description = "where to run: cpu, cuda (GPU 0), or auto, the default: cuda when a usable GPU is present, else cpu")
    Targets.Name target;
}
