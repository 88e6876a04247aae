package hyenac.bench;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.commands.ExtraCommand;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.compiler.kernels.SelectAlgorithms;
import hyenac.compiler.kernels.Tuning;
import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.source.SourceFile;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Shape;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "tune", header = "Measure convolution algorithms on the GPU; keep the fastest.",
        mixinStandardHelpOptions = true, description = {
        "For every distinct convolution of SPEC (its kind, filter, width and element type) that the cuda target can compute more than one "
                + "way, times each candidate (direct, blocked, fft, ...) as the gate-conv-gate core it fuses into, at the shape the compiler "
                + "judges plans at (one sequence of 8192 tokens): CUDA events, an L2 flush before each repetition, the median of --reps.",
        "The medians go to a tuning file kept per GPU name, shape and hyenac version (--cache; default $HYENAC_TUNING, else "
                + "$XDG_CACHE_HOME/hyenac/tuning.json, else ~/.cache/hyenac/tuning.json). From then on the select pass chooses the measured "
                + "fastest wherever every candidate was measured for the GPU it plans for, and `hyenac explain SPEC --kernels --target cuda` "
                + "says so (`measured`); -Dhyenac.tuning=off plans by the cost model alone. A .hyx runs the choices it was compiled with."})
public final class TuneCommand implements Callable<Integer>, ExtraCommand {
    @Parameters(paramLabel = "SPEC", description = "the .hyena spec whose convolutions to tune") Path spec;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when SPEC has several") String modelName;

    @Option(names = "--target", defaultValue = "cuda", description = "the target to tune; only cuda has algorithms to choose between (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--cache", paramLabel = "FILE", description = "the tuning file to update (default: see above)") Path cache;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed runs after the first (default: ${DEFAULT-VALUE})") int warmup;

    @Option(names = "--reps", defaultValue = "50", description = "timed repetitions per candidate (default: ${DEFAULT-VALUE})") int reps;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random weights and inputs (default: ${DEFAULT-VALUE})") long seed;

    @Spec picocli.CommandLine.Model.CommandSpec commandSpec;

    /** A convolution to time: the first node of the model with this key, and the model's costs of its candidates. */
    record Candidate(Graph graph, String key, SelectAlgorithms.Choice modelChoice, int count) {}

    @Override public Integer call() throws IOException {
        PrintWriter out = commandSpec.commandLine().getOut();
        PrintWriter err = commandSpec.commandLine().getErr();
        if (!target.equals("cuda")) {
            err.println("hyenac tune: --target " + target + " has one algorithm per convolution; tune measures the cuda target's (--target cuda)");
            return 2;
        }
        if (reps < 1 || warmup < 0) {
            err.println("hyenac tune: --reps must be at least 1 and --warmup at least 0");
            return 2;
        }
        if (!Files.isRegularFile(spec)) {
            err.println("hyenac tune: " + spec + ": no such file");
            return 2;
        }
        Path file = cache != null ? cache : Tuning.defaultFile();
        Tuning tuning;
        try {
            tuning = Tuning.load(file);
        } catch (IllegalArgumentException e) {
            err.println("hyenac tune: " + e.getMessage());
            return 2;
        }
        Compilation.Result compiled = Compilation.compile(spec, modelName);
        compiled.checked().diagnostics().all().forEach(d -> err.print(HumanRenderer.render(d)));
        if (!compiled.ok()) {
            if (compiled.checked().ok()) err.println(Compilation.noModel(spec, compiled.checked(), modelName));
            return 1;
        }
        Graph g = compiled.graph();
        Precision precision = Kernels.precisionOf(g);
        CudaBenchTarget gpu;
        try {
            gpu = new CudaBenchTarget(precision);
        } catch (CudaUnavailableException e) {
            err.println("hyenac tune: " + e.getMessage());
            return 2;
        }
        Shape at = KernelPipeline.reference(Phase.PARALLEL);
        try (gpu) {
            // the model's own choices on this GPU, by the cost model alone: the candidates, and what tuning changes
            KernelPipeline byModel = new KernelPipeline(g, gpu.lowering(), true, SelectAlgorithms.Guides.NONE);
            Map<String, Candidate> candidates = candidates(g, byModel.choices(Phase.PARALLEL), at);
            err.println("hyenac tune on " + gpu.device() + " " + precision.suffix() + ": " + candidates.size() + " distinct convolution"
                    + (candidates.size() == 1 ? "" : "s") + " with a choice, timed at " + at);
            if (candidates.isEmpty()) {
                out.println("nothing to tune: every convolution of " + compiled.model().name() + " has one algorithm on cuda");
                return 0;
            }
            String version = Executable.hyenacVersion();
            for (Candidate c : candidates.values()) {
                Map<Algorithm, Double> seconds = time(gpu, c, at);
                Tuning.Entry e = new Tuning.Entry(gpu.device(), version, c.key(), seconds, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
                tuning.put(e);
                out.println(line(c, e));
                out.flush();
            }
        } catch (CudaUnavailableException e) {
            err.println("hyenac tune: " + e.getMessage());
            return 2;
        }
        tuning.save();
        out.println("wrote " + file + "; the select pass now chooses these by measurement on this GPU"
                + " (`hyenac explain " + spec + " --kernels --target cuda` shows it)");
        return 0;
    }

    /**
     * The model's convolutions with more than one candidate, one per key, in the order of the plan (attention's kernels
     * are chosen by the cost model: a convolution's core is what this times).
     */
    static Map<String, Candidate> candidates(Graph g, List<SelectAlgorithms.Choice> choices, Shape at) {
        Map<String, Candidate> out = new LinkedHashMap<>();
        for (SelectAlgorithms.Choice c : choices) {
            boolean conv = c.node().is(Primitive.CAUSAL_CONV) || c.node().is(Primitive.MODAL_CONV);
            if (!conv || c.costs().size() < 2) continue;
            String key = Tuning.key(g, c.node(), at);
            Candidate seen = out.get(key);
            out.put(key, seen == null ? new Candidate(g, key, c, 1) : new Candidate(g, key, seen.modelChoice(), seen.count() + 1));
        }
        return out;
    }

    /** Median seconds of each candidate of {@code c}, each forced on the convolution of a one-layer model around it. */
    private Map<Algorithm, Double> time(CudaBenchTarget gpu, Candidate c, Shape at) {
        Graph core = coreGraph(c.graph(), c.modelChoice().node(), at.length());
        Operator.Model m = Operator.core(core);
        WeightStore w = WeightStore.random(core, seed);
        Map<Integer, float[]> given = new HashMap<>();
        long s = seed;
        for (int v : m.given()) given.put(v, Inputs.random((long) at.batch() * at.length() * core.value(v).type().channels(), s++));
        Map<Algorithm, Double> seconds = new EnumMap<>(Algorithm.class);
        for (Algorithm a : c.modelChoice().costs().keySet()) {
            try (BenchTarget.Runner r = gpu.open(new KernelPipeline(core, gpu.lowering(), true, a), w)) {
                Samples t = r.forward(Math.toIntExact(at.batch()), Math.toIntExact(at.length()), null, given, Set.of(m.wanted()), warmup, reps);
                seconds.put(a, t.median() / 1e3);
            }
        }
        return seconds;
    }

    /**
     * A one-layer model whose mixer is the Hyena core around a copy of {@code conv} (its attributes, width and element
     * type), in the prelude operators' shape: where a convolution's algorithm decides the fused core kernel.
     */
    static Graph coreGraph(Graph g, Node conv, long context) {
        String text = coreSpec(g, conv, context);
        Compilation.Result r = Compilation.of(Checker.checkSource(new SourceFile("<tune " + conv.path() + ">", text), Path.of(".")), null);
        if (!r.ok()) {
            String diags = r.checked().diagnostics().all().stream().map(HumanRenderer::render).collect(Collectors.joining());
            throw new IllegalStateException("the one-layer model around " + conv.path() + " does not compile:\n" + text + diags);
        }
        return r.graph();
    }

    static String coreSpec(Graph g, Node conv, long context) {
        var input = g.value(conv.operands().getFirst()).type();
        String args = conv.primitive().attributes().stream().filter(conv.attrs()::containsKey)
                .map(a -> a + " = " + conv.attrs().get(a)).collect(Collectors.joining(", "));
        return """
                // hyenac tune: one Hyena core around the convolution %s (the MLP is tiny: it does not run)
                import "std"
                op tuned() (x) {
                  op proj_in = linear(features = 3 * width)
                  op featurizer = causal_conv(len = 3, taps = xcorr)
                  op filter = %s(%s)
                  op proj_out = linear(features = width, bias = true)
                  q, k, v = deinterleave(featurizer(proj_in(x)), n = 3)
                  out proj_out(q * filter(k * v))
                }
                model tune {
                  vocab = 512
                  width = %d
                  context = %d
                  dtype = %s
                  op core = tuned()
                  op mlp = gated_mlp(hidden = 16, act = identity)
                  layers = [core]
                }
                """.formatted(conv.path(), conv.op(), args, input.channels(), context, input.dtype().spelling());
    }

    private static String line(Candidate c, Tuning.Entry e) {
        String times = e.seconds().entrySet().stream()
                .map(t -> t.getKey().spelling() + " " + String.format(Locale.ROOT, "%.4g", t.getValue() * 1e3) + " ms")
                .collect(Collectors.joining(", "));
        Algorithm model = c.modelChoice().algorithm(), fastest = e.fastest();
        return String.format(Locale.ROOT, "%s %s (x%d): %s -> %s%s", c.modelChoice().node().op(), c.modelChoice().node().path(), c.count(), times,
                fastest.spelling(), fastest == model ? " (the cost model's choice too)" : " (the cost model chose " + model.spelling() + ")");
    }
}
