package hyenac.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.compiler.commands.Targets;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Planner;
import hyenac.runtime.exec.BatchGenerator;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Generation from a compiled graph, as {@code hyenac run} (spec or .hyx) and built jars do it: one prompt's text streams to
 * stdout token by token; several prompts ({@code --prompts}) are decoded in batches, one line a sequence. Notices,
 * progress and the statistics go to stderr.
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
        // The prompts are checked before anything slow happens (weights, kernels).
        List<long[]> prompts;
        try {
            prompts = o.promptsFile != null ? Prompts.read(o.promptsFile) : List.of(ByteTokenizer.encode(o.prompt));
        } catch (Prompts.Problem e) {
            err.println(command + ": " + e.getMessage());
            return Main.USER_ERROR;
        }
        if (prompts.getFirst().length == 0) {
            err.println(command + ": the prompt is empty; give --prompt some text");
            return Main.USER_ERROR;
        }
        long vocab = g.value(g.outputs().getFirst()).type().channels();
        for (int p = 0; p < prompts.size(); p++) {
            long[] tokens = prompts.get(p);
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] >= vocab) {
                    String where = o.promptsFile == null ? "the prompt's" : o.promptsFile + ":" + (p + 1) + ": the prompt's";
                    err.printf(Locale.ROOT, "%s: %s byte 0x%02x (at byte %d) is token %d, outside %s's vocabulary of %d tokens; "
                            + "the byte tokenizer needs vocab ≥ 256 (set `vocab = 256` or more in the spec), or keep the prompt%s to bytes below %d%n",
                            command, where, tokens[i], i, tokens[i], modelName, vocab, o.promptsFile == null ? "" : "s", vocab);
                    return Main.USER_ERROR;
                }
            }
        }
        int longest = prompts.stream().mapToInt(t -> t.length).max().orElseThrow();
        Models.warnPastContext(command, g, longest + (long) o.generate, "the prompt and the generated tokens", err);
        Progress progress = TerminalProgress.on(err);
        WeightStore weights = Models.weights(command, o.weightsFile, o.noWeightCheck, o.seed, g, embedded, "the text will be noise", progress, err);
        if (weights == null) return Main.USER_ERROR;
        Models.Opened model = new Models.Opened(g, modelName, carried, planning, embedded, null);
        Session opened = Models.session(command, target, model, weights, Math.min(o.batch, prompts.size()), progress, err, o);
        if (opened == null) return Main.USER_ERROR;
        // Ctrl-C: the step under way finishes, the text so far is already out, and the statistics say where it stopped.
        try (CtrlC ctrlC = new CtrlC(INTERRUPT_GRACE_SECONDS); Session session = opened) {
            if (o.promptsFile == null && !o.json) return stream(command, o, session, prompts.getFirst(), modelName, target.name(), progress, ctrlC, out, err);
            return batch(command, o, session, prompts, modelName, target.name(), ctrlC, out, err);
        }
    }

    /** One prompt, its text streamed to stdout token by token. */
    private static int stream(String command, GenerateOptions o, Session session, long[] tokens, String modelName, String backendName,
                              Progress progress, CtrlC ctrlC, PrintWriter out, PrintWriter err) {
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
        err.println(summary(modelName, backendName, r));
        return Main.OK;
    }

    /**
     * Several prompts decoded {@code --batch} at a time (one prompt alone when {@code --json} asks for it). Each
     * sequence is one line of stdout, text or JSON, in the prompts' order: a line goes out as soon as its sequence
     * and every one before it are done. Each sequence samples with {@code --seed} plus its index (from 0), so it
     * generates what {@code --prompt} with that seed does alone. Statistics per sequence and in total go to stderr.
     */
    private static int batch(String command, GenerateOptions o, Session session, List<long[]> prompts, String modelName, String backendName,
                             CtrlC ctrlC, PrintWriter out, PrintWriter err) {
        boolean stopAtEos = !o.ignoreEos;
        List<BatchGenerator.Request> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(new BatchGenerator.Request(prompts.get(i), new Sampler(o.temperature, o.topK, o.topP, o.seed + i)));
        }
        Generator.Result[] done = new Generator.Result[prompts.size()];
        int[] printed = {0};
        BatchGenerator.Listener release = new BatchGenerator.Listener() {
            @Override public void finished(int sequence, Generator.Result r) {
                done[sequence] = r;
                for (; printed[0] < done.length && done[printed[0]] != null; printed[0]++) {
                    int i = printed[0];
                    out.println(o.json ? json(i, done[i], stopAtEos) : line(done[i], stopAtEos, o.raw));
                    if (o.printTokens && !o.json) out.println("tokens: " + Arrays.stream(done[i].generated()).mapToObj(Long::toString)
                            .collect(Collectors.joining(" ")));
                    out.flush();
                    err.println(summary(modelName, backendName, done[i], i, done.length));
                }
            }
        };
        int batch = Math.min(o.batch, prompts.size());
        BatchGenerator.Result r;
        try {
            r = BatchGenerator.generate(session, batch, requests, o.generate, stopAtEos, release, ctrlC::requested);
        } catch (Generator.NonFiniteLogitsException e) {
            err.println(command + ": " + e.getMessage());
            return Main.USER_ERROR;
        }
        err.println(total(modelName, backendName, r));
        return Main.OK;
    }

    /** A sequence as one line of text: its prompt, then what it generated (the end not printed), newlines escaped. */
    static String line(Generator.Result r, boolean stopAtEos, boolean raw) {
        TextStream text = TextStream.oneLine(raw);
        StringBuilder line = new StringBuilder();
        for (long t : r.prompt()) line.append(text.accept(t));
        for (long t : text(r, stopAtEos)) line.append(text.accept(t));
        return line.append(text.finish()).toString();
    }

    /** A sequence as one JSON object: which (from 1), its prompt and text as UTF-8 (bad bytes as U+FFFD), every token, why it ended. */
    static String json(int index, Generator.Result r, boolean stopAtEos) {
        JsonObject o = new JsonObject();
        o.addProperty("sequence", index + 1);
        o.addProperty("prompt", ByteTokenizer.decode(r.prompt()));
        o.addProperty("text", ByteTokenizer.decode(text(r, stopAtEos)));
        JsonArray tokens = new JsonArray();
        for (long t : r.generated()) tokens.add(t);
        o.add("tokens", tokens);
        o.addProperty("end", switch (r.end()) {
            case LENGTH -> "length";
            case END_OF_SEQUENCE -> "end_of_sequence";
            case STOPPED -> "interrupted";
        });
        return new GsonBuilder().disableHtmlEscaping().create().toJson(o);
    }

    /** The generated tokens that are text: all but a closing end-of-sequence, which is said, not printed. */
    private static long[] text(Generator.Result r, boolean stopAtEos) {
        long[] g = r.generated();
        return r.end() == Generator.End.END_OF_SEQUENCE && stopAtEos ? Arrays.copyOf(g, g.length - 1) : g;
    }

    /** The closing line: time to first token (what it includes) and the decode rate, and why it ended. */
    static String summary(String model, String backend, Generator.Result r) {
        int n = r.generated().length;
        return String.format(Locale.ROOT, "[%s on %s: prompt %s, first token after %s (prefill, and the first run's warm-up); "
                        + "%s generated%s%s]",
                model, backend, tokens(r.prompt().length), seconds(r.firstTokenSeconds()), tokens(n),
                n > 1 ? String.format(Locale.ROOT, ", then %.1f tokens/s", r.decodeTokensPerSecond()) : "", ending(r.end()));
    }

    /** A sequence's line among several: which, its prompt, first token and decode rate in its batch, and why it ended. */
    static String summary(String model, String backend, Generator.Result r, int index, int of) {
        int n = r.generated().length;
        return String.format(Locale.ROOT, "[%s on %s, sequence %d of %d: prompt %s, first token after %s; %s generated%s%s]",
                model, backend, index + 1, of, tokens(r.prompt().length), seconds(r.firstTokenSeconds()), tokens(n),
                n > 1 ? String.format(Locale.ROOT, ", then %.1f tokens/s", r.decodeTokensPerSecond()) : "", ending(r.end()));
    }

    /** The closing line of several sequences: how many, in what batches, and the tokens per second of them all. */
    static String total(String model, String backend, BatchGenerator.Result r) {
        int of = r.sequences().size(), notStarted = of - r.started();
        return String.format(Locale.ROOT, "[%s on %s: %d sequence%s in batches of %d (%d wave%s): %s generated in %s, "
                        + "%.1f tokens/s in total (prefills included)%s]",
                model, backend, of, of == 1 ? "" : "s", r.batch(), r.waves(), r.waves() == 1 ? "" : "s", tokens(r.tokens()), seconds(r.seconds()),
                r.tokensPerSecond(), notStarted == 0 ? "" : "; interrupted, " + notStarted + " not started");
    }

    private static String ending(Generator.End end) {
        return switch (end) {
            case LENGTH -> "";
            case END_OF_SEQUENCE -> "; stopped at end-of-sequence";
            case STOPPED -> "; interrupted";
        };
    }

    private static String tokens(long n) { return n + (n == 1 ? " token" : " tokens"); }

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
