package hyenac.cli;

import com.google.gson.stream.JsonWriter;
import hyenac.compiler.commands.Targets;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.BackendUnavailableException;
import hyenac.runtime.exec.Scorer;
import hyenac.runtime.exec.Session;
import hyenac.runtime.progress.Progress;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "score", header = "Log-likelihood of sequences (FASTA or text) under a model.",
        mixinStandardHelpOptions = true, description = {
        "Scores each sequence x_0 … x_{n-1}: the sum (or mean) over t ≥ 1 of",
        "log p(x_t | x_0 … x_{t-1}) in nats, the log-softmax of the logits at t - 1.",
        "The first token has no prediction and is not scored (the byte tokenizer",
        "has no beginning-of-sequence token).",
        "Sequences of one length run together, up to --batch at a time; results",
        "come in input order. A sequence longer than --chunk runs as one parallel",
        "pass over its first --chunk tokens, then one recurrent step per further",
        "token: the same numbers as one pass over it all.",
        "Output: TSV (name, length, scored_tokens, log_likelihood) or JSON, on",
        "stdout or into --out FILE.",
        "Weights: --weights, else those a .hyx carries, else seeded random",
        "numbers (the scores are then meaningless)."})
final class ScoreCommand implements Callable<Integer> {
    static final String NAME = "hyenac score";

    enum Reduce { sum, mean }

    enum Format { tsv, json }

    @Parameters(paramLabel = "MODEL", description = "a .hyena spec, or a .hyx artifact from `hyenac compile`") Path model;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Mixin SequenceInput input;

    @Mixin ModelOptions options;

    @Option(names = "--per-position", description = "also each position's log-probability (TSV: one row per scored position instead of per sequence)")
    boolean perPosition;

    @Option(names = "--reduce", defaultValue = "sum", paramLabel = "sum|mean",
            description = "a sequence's score: the sum of its positions' log-probabilities (default), or their mean")
    Reduce reduce;

    @Option(names = "--format", defaultValue = "tsv", paramLabel = "tsv|json", description = "tsv (default) or json") Format format;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "write the scores here (default: stdout)") Path out;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "sequences of one length run together, up to N (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--chunk", paramLabel = "N", description = "tokens one parallel pass holds; the rest go through the recurrent state (default: the model's context)")
    Integer chunk;

    @Option(names = "--seed", defaultValue = "0", description = "for random weights (default ${DEFAULT-VALUE})") long seed;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (batch < 1 || (chunk != null && chunk < 1)) {
            err.println(NAME + ": --batch and --chunk must be at least 1");
            return Main.INTERNAL_ERROR;
        }
        Targets.Picked target = Targets.forRunning(NAME, options.target, err);
        if (target == null) return Main.INTERNAL_ERROR;
        try (Models.Opened m = Models.open(NAME, model, modelName, stdout, err)) {
            if (m == null) return Main.USER_ERROR;
            long vocab = m.graph().value(m.graph().outputs().getFirst()).type().channels();
            List<SequenceInput.Sequence> sequences = input.read(NAME, vocab, m.name(), 2, "the first token has no prediction", err);
            if (sequences == null) return Main.USER_ERROR;
            if (out != null && !Outputs.writable(NAME, "--out", out, inputs(), err)) return Main.USER_ERROR;
            int passLength = chunk != null ? chunk : Models.context(m.graph()).orElse(Integer.MAX_VALUE);
            int longest = sequences.stream().mapToInt(s -> s.tokens().length).max().orElseThrow();
            Models.warnPastContext(NAME, m.graph(), longest, "the longest sequence's tokens", err);
            Progress progress = TerminalProgress.on(err);
            WeightStore weights = Models.weights(NAME, options.weightsFile, options.noWeightCheck, seed, m.graph(), m.embedded(),
                    "the scores are meaningless", progress, err);
            if (weights == null) return Main.USER_ERROR;
            long started = System.nanoTime();
            double[][] logProbs = new double[sequences.size()][];
            try (Session session = Models.session(NAME, target, m, weights, 1, progress, err, options)) {
                if (session == null) return Main.USER_ERROR;
                int logits = m.graph().outputs().getFirst();
                long positions = sequences.stream().mapToLong(s -> s.tokens().length - 1L).sum();
                try (Progress.Task scoring = progress.start("scoring", positions, "tokens")) {
                    for (int[] group : SequenceInput.batches(sequences, batch)) {
                        long[][] tokens = new long[group.length][];
                        for (int i = 0; i < group.length; i++) tokens[i] = sequences.get(group[i]).tokens();
                        double[][] scored;
                        try {
                            scored = Scorer.logProbs(session, logits, tokens, passLength, scoring);
                        } catch (Scorer.NonFiniteLogitsException e) {
                            err.println(NAME + ": " + sequences.get(group[e.sequence()]).where() + ": " + e.getMessage());
                            return Main.USER_ERROR;
                        } catch (BackendException e) {
                            if (e instanceof BackendUnavailableException) throw e;
                            // too long for one pass here (memory, array limits): the two options that size a pass
                            err.println(NAME + ": " + e.getMessage() + " (a pass holds --batch sequences of up to --chunk tokens; lower either)");
                            return Main.USER_ERROR;
                        }
                        for (int i = 0; i < group.length; i++) logProbs[group[i]] = scored[i];
                    }
                }
            }
            String text = format == Format.json ? json(m.name(), target.name(), sequences, logProbs) : tsv(sequences, logProbs);
            if (out == null) {
                stdout.print(text);
                stdout.flush();
            } else {
                SourceFiles.writeAtomically(out, text);
            }
            long scored = sequences.stream().mapToLong(s -> s.tokens().length - 1L).sum();
            String stepped = longest > passLength ? String.format(Locale.ROOT, "; past %d tokens, recurrent steps", passLength) : "";
            err.printf(Locale.ROOT, "[%s on %s: %d sequence%s, %d tokens scored (the first of each has no prediction)%s, %.2f s]%n", m.name(),
                    target.name(), sequences.size(), sequences.size() == 1 ? "" : "s", scored, stepped, (System.nanoTime() - started) / 1e9);
            return Main.OK;
        }
    }

    private Map<String, Path> inputs() {
        Map<String, Path> inputs = new LinkedHashMap<>(input.files());
        inputs.put("the model", model);
        inputs.put("the --weights file", options.weightsFile);
        return inputs;
    }

    private double score(double[] logProbs) {
        double sum = 0;
        for (double p : logProbs) sum += p;
        return reduce == Reduce.sum ? sum : sum / logProbs.length;
    }

    private String scoreColumn() { return reduce == Reduce.sum ? "log_likelihood" : "mean_log_likelihood"; }

    /** One row per sequence, or with --per-position one per scored position. */
    private String tsv(List<SequenceInput.Sequence> sequences, double[][] logProbs) {
        StringBuilder b = new StringBuilder();
        if (perPosition) {
            b.append("name\tposition\ttoken\tlog_prob\n");
            for (int i = 0; i < sequences.size(); i++) {
                long[] tokens = sequences.get(i).tokens();
                for (int t = 1; t < tokens.length; t++) {
                    b.append(sequences.get(i).name()).append('\t').append(t).append('\t').append(token(tokens[t])).append('\t')
                            .append(number(logProbs[i][t - 1])).append('\n');
                }
            }
        } else {
            b.append("name\tlength\tscored_tokens\t").append(scoreColumn()).append('\n');
            for (int i = 0; i < sequences.size(); i++) {
                SequenceInput.Sequence s = sequences.get(i);
                b.append(s.name()).append('\t').append(s.tokens().length).append('\t').append(logProbs[i].length).append('\t')
                        .append(number(score(logProbs[i]))).append('\n');
            }
        }
        return b.toString();
    }

    private String json(String modelName, String targetName, List<SequenceInput.Sequence> sequences, double[][] logProbs) throws IOException {
        StringWriter s = new StringWriter();
        try (JsonWriter w = new JsonWriter(s)) {
            w.beginObject();
            w.name("model").value(modelName);
            w.name("target").value(targetName);
            w.name("reduce").value(reduce.name());
            w.name("unit").value("nats");
            w.name("first_token").value("not scored: it has no prediction");
            w.name("sequences").beginArray();
            for (int i = 0; i < sequences.size(); i++) {
                SequenceInput.Sequence seq = sequences.get(i);
                w.beginObject();
                w.name("name").value(seq.name());
                w.name("length").value(seq.tokens().length);
                w.name("scored_tokens").value(logProbs[i].length);
                w.name(scoreColumn()).value(score(logProbs[i]));
                if (perPosition) {
                    // indexed by position: the first has no prediction
                    w.name("log_probs").beginArray().nullValue();
                    for (double p : logProbs[i]) w.value(p);
                    w.endArray();
                }
                w.endObject();
            }
            w.endArray();
            w.endObject();
        }
        return s + "\n";
    }

    /** A token as TSV shows it: its character when printable ASCII, else \xNN. */
    private static String token(long t) {
        return t > 0x20 && t < 0x7f ? String.valueOf((char) t) : String.format(Locale.ROOT, "\\x%02x", t);
    }

    private static String number(double v) { return String.format(Locale.ROOT, "%.6f", v); }
}
