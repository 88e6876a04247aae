package hyenac.cli;

import hyenac.compiler.commands.Targets;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Planner;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.Generator;
import hyenac.runtime.exec.Session;
import hyenac.runtime.progress.Progress;
import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.text.TextStream;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Generation from a compiled graph, as {@code hyenac run} (spec or .hyx) and built jars do it: the text streams to
 * stdout token by token; notices, progress and the closing statistics go to stderr.
 */
final class Generation {
    /** How long an interrupt (Ctrl-C) waits for the step under way to finish and the statistics to be printed. */
    private static final long INTERRUPT_GRACE_SECONDS = 10;

    private Generation() {}

    /**
     * Generates with {@code g} on {@code target}: weights from {@code --weights}, else {@code embedded} (null when
     * the model carries none), else seeded random ones with a warning. {@code carried} is the device code of an
     * artifact (null from a spec or a cpu artifact). Says which target runs and why, then generates. Returns the exit code.
     */
    static int run(String command, GenerateOptions o, Targets.Picked target, Graph g, DeviceCode carried, String modelName,
                   Function<WeightStore.Options, WeightStore> embedded, PrintWriter out, PrintWriter err) {
        return run(command, o, target, g, carried, KernelPipeline::new, modelName, embedded, out, err);
    }

    /** As above, with the plans a device backend runs made by {@code planning} (an artifact's: its stored plans, checked). */
    static int run(String command, GenerateOptions o, Targets.Picked target, Graph g, DeviceCode carried,
                   BiFunction<Graph, Lowering, Planner> planning, String modelName, Function<WeightStore.Options, WeightStore> embedded,
                   PrintWriter out, PrintWriter err) {
        // The prompt is checked before anything slow happens (weights, kernels).
        long[] tokens = ByteTokenizer.encode(o.prompt);
        if (tokens.length == 0) {
            err.println(command + ": the prompt is empty; give --prompt some text");
            return Main.USER_ERROR;
        }
        long vocab = g.value(g.outputs().getFirst()).type().channels();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] >= vocab) {
                err.printf(Locale.ROOT, "%s: the prompt's byte 0x%02x (at byte %d) is token %d, outside %s's vocabulary of %d tokens; "
                        + "the byte tokenizer needs vocab ≥ 256 (set `vocab = 256` or more in the spec), or keep the prompt to bytes below %d%n",
                        command, tokens[i], i, tokens[i], modelName, vocab, vocab);
                return Main.USER_ERROR;
            }
        }
        Models.warnPastContext(command, g, tokens.length + (long) o.generate, "the prompt and the generated tokens", err);
        Progress progress = TerminalProgress.on(err);
        WeightStore weights = Models.weights(command, o.weightsFile, o.noWeightCheck, o.seed, g, embedded, "the text will be noise", progress, err);
        if (weights == null) return Main.USER_ERROR;
        Models.Opened model = new Models.Opened(g, modelName, carried, planning, embedded, null);
        Session opened = Models.session(command, target, model, weights, 1, progress, err);
        if (opened == null) return Main.USER_ERROR;
        // Ctrl-C: the step under way finishes, the text so far is already out, and the statistics say where it stopped.
        try (CtrlC ctrlC = new CtrlC(INTERRUPT_GRACE_SECONDS); Session session = opened) {
            TextStream text = new TextStream(o.raw);
            boolean stopAtEos = !o.ignoreEos;
            // The note shares the terminal with the text: it is erased before the prompt is printed.
            Progress.Task prefill = TerminalProgress.note(progress, "prefill: " + tokens.length + " prompt tokens");
            Runnable showPrompt = () -> {
                prefill.close();
                out.print(o.prompt);
            };
            Generator.Result r;
            try {
                r = Generator.generate(session, tokens, o.generate, new Sampler(o.temperature, o.topK, o.topP, o.seed), stopAtEos, (id, index) -> {
                    if (index == 0) showPrompt.run();
                    if (stopAtEos && id == ByteTokenizer.EOS) return;  // the end is said on stderr, not printed
                    out.print(text.accept(id));
                    out.flush();
                }, ctrlC::requested);
            } catch (Generator.NonFiniteLogitsException e) {
                out.println(text.finish());
                out.flush();
                err.println(command + ": " + e.getMessage());
                return Main.USER_ERROR;
            } finally {
                prefill.close();
            }
            if (r.generated().length == 0) showPrompt.run();
            out.println(text.finish());
            if (o.printTokens) out.println("tokens: " + Arrays.stream(r.generated()).mapToObj(Long::toString).collect(Collectors.joining(" ")));
            out.flush();
            err.println(summary(modelName, target.name(), r));
            return Main.OK;
        }
    }

    /** The closing line: time to first token (what it includes) and the decode rate, and why it ended. */
    static String summary(String model, String backend, Generator.Result r) {
        int n = r.generated().length;
        String end = switch (r.end()) {
            case LENGTH -> "";
            case END_OF_SEQUENCE -> "; stopped at end-of-sequence";
            case STOPPED -> "; interrupted";
        };
        return String.format(Locale.ROOT, "[%s on %s: prompt %d tokens, first token after %s (prefill, and the first run's warm-up); "
                        + "%d token%s generated%s%s]",
                model, backend, r.prompt().length, seconds(r.firstTokenSeconds()), n, n == 1 ? "" : "s",
                n > 1 ? String.format(Locale.ROOT, ", then %.1f tokens/s", r.decodeTokensPerSecond()) : "", end);
    }

    private static String seconds(double s) {
        return s < 1 ? String.format(Locale.ROOT, "%.0f ms", s * 1e3) : String.format(Locale.ROOT, "%.2f s", s);
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
