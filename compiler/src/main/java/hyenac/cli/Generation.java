package hyenac.cli;

import hyenac.compiler.artifact.ArtifactException;
import hyenac.ir.Graph;
import hyenac.runtime.exec.Backend;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.Generator;
import hyenac.runtime.exec.Session;
import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.NotEnoughMemoryException;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Generation from a compiled graph, as {@code hyenac run} (spec or .hyx) and built jars do it. */
final class Generation {
    private Generation() {}

    /**
     * Generates with {@code g} on {@code target}: weights from {@code --weights}, else {@code embedded} (null when
     * the model carries none), else seeded random ones with a warning. {@code carried} is the device code of an
     * artifact (null from a spec or a cpu artifact). Says which target runs and why, then generates. Returns the exit code.
     */
    static int run(String command, GenerateOptions o, Targets.Picked target, Graph g, DeviceCode carried, String modelName,
                   Function<WeightStore.Options, WeightStore> embedded, PrintWriter out, PrintWriter err) {
        WeightStore weights;
        WeightStore.Options loading = o.noWeightCheck ? WeightStore.Options.defaults().withoutFiniteCheck() : WeightStore.Options.defaults();
        try {
            if (o.weightsFile != null) {
                weights = fromFile(o.weightsFile, g, loading);
            } else if (embedded != null) {
                weights = embedded.apply(loading);
            } else {
                err.println(command + ": no --weights given: using random weights (seed " + o.seed + "); the text will be noise");
                weights = WeightStore.random(g, o.seed, loading);
            }
        } catch (NotEnoughMemoryException e) {
            err.println(command + ": " + e.getMessage() + "; " + moreMemory(command, e.needed()));
            return Main.USER_ERROR;
        } catch (WeightsException | ArtifactException e) {
            err.println(command + ": " + e.getMessage());
            return Main.USER_ERROR;
        }
        long[] tokens = ByteTokenizer.encode(o.prompt);
        if (tokens.length == 0) {
            err.println(command + ": the prompt is empty");
            return Main.USER_ERROR;
        }
        Backend backend = target.backend(carried);
        boolean tty = System.console() != null;
        Generator.Result r;
        try (Session session = backend.open(g, weights, 1)) {
            String note = target.device() == null && carried != null ? "the artifact's " + carried.target() + " kernels go unused" : session.note();
            String line = target.line(note);
            if (line != null) err.println(line);
            r = Generator.generate(session, tokens, o.generate, new Sampler(o.temperature, o.topK, o.topP, o.seed), !o.ignoreEos, p -> {
                if (tty) err.printf(Locale.ROOT, "\rgenerating %d/%d tokens (%.1f tokens/s)", p.done(), p.total(), p.tokensPerSecond());
                err.flush();
            });
        }
        if (tty) err.print("\r\033[K");
        out.println(o.prompt + r.text());
        if (o.printTokens) out.println("tokens: " + Arrays.stream(r.generated()).mapToObj(Long::toString).collect(Collectors.joining(" ")));
        out.printf(Locale.ROOT, "[%s on %s: prompt %d tokens, prefill %.1f tokens/s; %d tokens generated, decode %.1f tokens/s%s]%n",
                modelName, backend.name(), tokens.length, r.prefillTokensPerSecond(), r.generated().length,
                r.decodeTokensPerSecond(), r.stoppedAtEos() ? "; stopped at end-of-sequence" : "");
        return Main.OK;
    }

    /** How to give Java {@code needed} bytes of heap: through the launcher, or on a built jar's command line. */
    static String moreMemory(String command, long needed) {
        String xmx = "-Xmx" + ((needed + (1L << 30) - 1) >> 30) + "g";
        String how = command.startsWith("java -jar ") ? "java " + xmx + command.substring(4) + " …" : "HYENAC_JAVA_OPTS=" + xmx + " ./hyenac …";
        return "run it as " + how + " on a machine with that much free memory";
    }

    /** Weights from a safetensors file: under our names, or a vortex checkpoint's (its layers in order). */
    static WeightStore fromFile(Path file, Graph g) {
        return fromFile(file, g, WeightStore.Options.defaults());
    }

    /** As {@link #fromFile(Path, Graph)}, loaded as {@code options} say. */
    static WeightStore fromFile(Path file, Graph g, WeightStore.Options options) {
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            if (f.contains("embedding.weight")) return WeightStore.load(f, g, options);
            if (f.contains("embedding_layer.weight")) return WeightStore.fromVortex(f, g, i -> i, name -> true, options);
            throw new WeightsException(file + ": neither our weight names (embedding.weight, …) nor a vortex checkpoint's (embedding_layer.weight, …)");
        }
    }
}
