package hyenac.cli;

import hyenac.compiler.commands.Targets;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", header = "Generate text with a model (.hyena or .hyx), CPU or GPU.",
        mixinStandardHelpOptions = true, description = {"Generate text with a model: parallel prefill of the prompt, then recurrent decoding.",
        "Several prompts (--prompts FILE, one a line) are decoded --batch N at a time, each sequence printed on one line in the file's order.",
        "Weights: --weights, else those a .hyx carries, else seeded random numbers (the output is then noise)."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "a .hyena spec, or a .hyx artifact from `hyenac compile`") Path model;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Mixin GenerateOptions gen;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Integer bad = gen.invalid("hyenac run", err);
        if (bad != null) return bad;
        // Before anything is compiled or loaded: --target cuda on a machine without a GPU is one message.
        Targets.Picked target = Targets.forRunning("hyenac run", gen.target, err);
        if (target == null) return Main.INTERNAL_ERROR;
        try (Models.Opened m = Models.open("hyenac run", model, modelName, out, err)) {
            if (m == null) return Main.USER_ERROR;
            return Generation.run("hyenac run", gen, target, m.graph(), m.carried(), m.planning(), m.name(), m.embedded(), out, err);
        }
    }
}
