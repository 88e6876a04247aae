package hyenac.cli;

import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.commands.Targets;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.Weight;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.weights.WeightStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "compile", header = "Compile a spec into a .hyx artifact (plan, kernels, weights).",
        mixinStandardHelpOptions = true, description = {"Compile a spec to a .hyx artifact: the plan, the spec, a weight manifest, checksums,",
        "optionally the weights, and for --target cuda the CUDA kernels (sources, and PTX when nvcc is at hand).",
        "`hyenac run model.hyx` runs it."})
final class CompileCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "a .hyena spec") Path file;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.hyx") Path output;

    @Mixin CompileOptions options;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    /** The outcome of {@link #toArtifact}: the exit code and, on success, the model's name and what was packed. */
    record Outcome(int code, String model, String summary) {}

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, Path> inputs = new LinkedHashMap<>();
        inputs.put("the spec", file);
        inputs.put("the --weights file", options.weightsFile);
        if (!Outputs.writable("hyenac compile", "-o", output, inputs, err)) return Main.USER_ERROR;
        Outcome o = toArtifact("hyenac compile", file, options, output, err);
        if (o.code() == Main.OK) out.println("wrote " + output + ": " + o.summary());
        return o.code();
    }

    /** Compiles {@code file} with {@code opts} into the .hyx {@code out}, saying what went wrong on {@code err}. */
    static Outcome toArtifact(String command, Path file, CompileOptions opts, Path out, PrintWriter err) {
        if (opts.weightsFile != null && opts.randomWeights) {
            err.println(command + ": --weights and --random-weights exclude each other");
            return new Outcome(Main.INTERNAL_ERROR, null, null);
        }
        if (opts.arch != null && !opts.arch.matches("sm_[0-9]{2,3}[a-z]?")) {
            err.println(command + ": --arch takes a GPU architecture such as sm_90 or sm_80, not `" + opts.arch + "`");
            return new Outcome(Main.INTERNAL_ERROR, null, null);
        }
        if (opts.arch != null && opts.target == Targets.Name.cpu) {
            err.println(command + ": --arch applies to --target cuda (or auto), not to --target cpu");
            return new Outcome(Main.INTERNAL_ERROR, null, null);
        }
        Targets.Picked target = Targets.forCompiling(command, opts.target, err);
        if (target == null) return new Outcome(Main.INTERNAL_ERROR, null, null);
        String line = target.line(null);
        if (line != null) err.println(line);
        Compilation.Result c = Compilation.compile(file, opts.modelName);
        DiagnosticOutput.print(c.checked().diagnostics(), DiagnosticOutput.Format.human, new PrintWriter(PrintWriter.nullWriter()), err);
        if (!c.ok()) {
            if (c.checked().ok()) err.println(Compilation.noModel(file, c.checked(), opts.modelName));
            return new Outcome(Main.USER_ERROR, null, null);
        }
        WeightStore weights = null;
        String note = "none";
        if (opts.weightsFile != null) {
            // Loading checks every tensor against the spec now, not when the artifact is run.
            weights = Generation.fromFile(opts.weightsFile, c.graph());
            note = "from " + opts.weightsFile.getFileName();
        } else if (opts.randomWeights) {
            weights = WeightStore.random(c.graph(), opts.seed);
            note = "random, seed " + opts.seed;
        }
        // Plans and device code come from the graph as the artifact stores it, so reading it back makes the same ones: the
        // kernel plan of each phase, which a run checks against its own and then executes, and the kernels they launch.
        Graph stored = Executable.plan(file, c);
        Map<Phase, Plan> plans = new EnumMap<>(Phase.class);
        if (target.device() != null) {
            KernelPipeline pipeline = new KernelPipeline(stored, target.device().lowering(stored));
            try {
                for (Phase phase : Phase.values()) plans.put(phase, pipeline.plan(phase));
            } catch (UnsupportedOperationException e) {
                throw new BackendException("the " + target.name() + " target cannot compile this model yet: " + e.getMessage(), e);
            }
        }
        DeviceCode code = target.device() == null ? null
                : target.device().generate(stored, plans.values(), opts.arch != null ? opts.arch : target.device().defaultArch());
        Executable.write(out, file, c, code, plans, weights, note);
        long params = c.graph().weights().values().stream().mapToLong(Weight::elements).sum();
        String summary = String.format(Locale.ROOT, "model %s for %s, %d weights (%,d parameters), %s%s", c.model().name(), target.name(),
                c.graph().weights().size(), params, weights == null ? "no weights embedded" : "weights embedded (" + note + ")",
                code == null ? "" : "; kernels (" + code.precision() + "): " + code.summary());
        return new Outcome(Main.OK, c.model().name(), summary);
    }
}
