package hyenac.cli;

import hyenac.backends.cpu.CpuBackend;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.Generator;
import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", description = {"Generate text with a model: parallel prefill of the prompt, then recurrent decoding.",
        "Without --weights the weights are seeded random numbers (the output is then noise)."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "a .hyena spec") Path model;

    @Option(names = "--weights", paramLabel = "FILE", description = "safetensors with our weight names, or a vortex (Evo 2) checkpoint converted to safetensors")
    Path weightsFile;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT") String prompt;

    @Option(names = "--generate", defaultValue = "64", paramLabel = "N", description = "tokens to generate (default ${DEFAULT-VALUE})") int generate;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default)") double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens (0: all)") int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "keep the most likely tokens holding this much probability") double topP;

    @Option(names = "--seed", defaultValue = "0", description = "for sampling and for random weights") long seed;

    @Option(names = "--ignore-eos", description = "keep generating after the end-of-sequence token") boolean ignoreEos;

    @Option(names = "--target", defaultValue = "cpu", description = "backend (cpu)") String target;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (generate < 0 || topK < 0 || !(topP > 0 && topP <= 1) || temperature < 0) {
            err.println("hyenac run: --generate and --top-k must be ≥ 0, --top-p in (0, 1], --temperature ≥ 0");
            return Main.INTERNAL_ERROR;
        }
        if (!target.equals("cpu")) {
            err.println("hyenac run: target `" + target + "` is not available yet; targets: cpu");
            return Main.INTERNAL_ERROR;
        }
        Compilation.Result c = Compilation.compile(model, modelName);
        DiagnosticOutput.print(c.checked().diagnostics(), DiagnosticOutput.Format.human, out, err);
        if (!c.ok()) {
            if (c.checked().ok()) err.println(model + ": no model" + (modelName == null ? " in this file" : " named `" + modelName + "`"));
            return Main.USER_ERROR;
        }
        Graph g = c.graph();
        WeightStore weights;
        try {
            weights = loadWeights(g, err);
        } catch (WeightsException e) {
            err.println("hyenac run: " + e.getMessage());
            return Main.USER_ERROR;
        }
        long[] tokens = ByteTokenizer.encode(prompt);
        if (tokens.length == 0) {
            err.println("hyenac run: the prompt is empty");
            return Main.USER_ERROR;
        }
        Backend backend = new CpuBackend();
        boolean tty = System.console() != null;
        Generator.Result r = Generator.generate(backend.open(g, weights, 1), tokens, generate,
                new Sampler(temperature, topK, topP, seed), !ignoreEos, p -> {
                    if (tty) err.printf(Locale.ROOT, "\rgenerating %d/%d tokens (%.1f tokens/s)", p.done(), p.total(), p.tokensPerSecond());
                    err.flush();
                });
        if (tty) err.print("\r\033[K");
        out.println(prompt + r.text());
        out.printf(Locale.ROOT, "[%s on %s: prompt %d tokens, prefill %.1f tokens/s; %d tokens generated, decode %.1f tokens/s%s]%n",
                c.model().name(), backend.name(), tokens.length, r.prefillTokensPerSecond(), r.generated().length,
                r.decodeTokensPerSecond(), r.stoppedAtEos() ? "; stopped at end-of-sequence" : "");
        return Main.OK;
    }

    private WeightStore loadWeights(Graph g, PrintWriter err) {
        if (weightsFile == null) {
            err.println("hyenac run: no --weights given: using random weights (seed " + seed + "); the text will be noise");
            return WeightStore.random(g, seed);
        }
        try (SafeTensorsFile f = SafeTensors.open(weightsFile)) {
            // Our names, or a vortex checkpoint (its layers in order).
            if (f.contains("embedding.weight")) return WeightStore.load(f, g);
            if (f.contains("embedding_layer.weight")) return WeightStore.fromVortex(f, g, i -> i);
            throw new WeightsException(weightsFile + ": neither our weight names (embedding.weight, …) nor a vortex checkpoint's (embedding_layer.weight, …)");
        }
    }
}
