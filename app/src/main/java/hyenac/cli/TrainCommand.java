package hyenac.cli;

import hyenac.compiler.Compilation;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.Suggest;
import hyenac.ir.Graph;
import hyenac.train.AdamW;
import hyenac.train.Checkpoints;
import hyenac.train.Corpus;
import hyenac.train.Task;
import hyenac.train.TaskData;
import hyenac.train.TrainException;
import hyenac.train.Trainer;
import hyenac.train.TrainingData;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", header = "Train a model on the CPU: a design task or a text/FASTA file.", mixinStandardHelpOptions = true,
        description = {"Trains the spec's model from seeded weights (fp32, AdamW, warm-up then cosine) and writes DIR/log.jsonl and checkpoints",
                "DIR/step-N.safetensors (`hyenac run --weights` reads them) with the optimizer state beside them. Ctrl-C saves a checkpoint.",
                "Tasks: recall, noisy-recall, fuzzy-recall, mqar, selective-copy, compression, memorization; --task-* set their knobs."})
final class TrainCommand implements Callable<Integer> {
    static final String NAME = "hyenac train";

    @Parameters(paramLabel = "SPEC", description = "a .hyena spec") Path spec;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Option(names = "--data", paramLabel = "FILE", description = "a byte-level corpus: text, or FASTA (.fa, .fasta, .fna; plain or .gz)") Path dataFile;

    @Option(names = "--task", paramLabel = "NAME", description = "a built-in task instead of --data (see above)") String taskName;

    @Option(names = "--task-keys", defaultValue = "16", paramLabel = "N", description = "the task's key (and value) alphabet (default ${DEFAULT-VALUE})")
    int taskKeys;

    @Option(names = "--task-pairs", defaultValue = "8", paramLabel = "N", description = "mqar: key-value pairs per sequence (default ${DEFAULT-VALUE})")
    int taskPairs;

    @Option(names = "--task-noise", defaultValue = "0.2", paramLabel = "F", description = "noisy-recall: the chance a pair is noise (default ${DEFAULT-VALUE})")
    double taskNoise;

    @Option(names = "--task-motif", defaultValue = "3", paramLabel = "N", description = "fuzzy-recall: the longest key or value, in tokens (default ${DEFAULT-VALUE})")
    int taskMotif;

    @Option(names = "--task-tokens", defaultValue = "8", paramLabel = "N",
            description = "selective-copy, compression: tokens to copy or compress (default ${DEFAULT-VALUE})")
    int taskTokens;

    @Option(names = "--eval-samples", defaultValue = "256", paramLabel = "N", description = "sequences in a task's test set (default ${DEFAULT-VALUE})")
    int evalSamples;

    @Option(names = "--steps", required = true, paramLabel = "N", description = "optimizer steps in all (a resumed run counts those done)") long steps;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "sequences per step (default ${DEFAULT-VALUE})") int batch;

    @Option(names = "--seq-len", defaultValue = "64", paramLabel = "L", description = "tokens per sequence (default ${DEFAULT-VALUE})") int seqLen;

    @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate (default ${DEFAULT-VALUE})") double lr;

    @Option(names = "--warmup", paramLabel = "N", description = "warm-up steps (default: a tenth of --steps)") Long warmup;

    @Option(names = "--min-lr-ratio", defaultValue = "0.1", paramLabel = "R", description = "the cosine ends at R·lr (default ${DEFAULT-VALUE})")
    double minLrRatio;

    @Option(names = "--weight-decay", defaultValue = "0.1", paramLabel = "WD", description = "AdamW's decoupled decay (default ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--decay-all", description = "decay norms, biases and filter parameters too (default: matrices only)") boolean decayAll;

    @Option(names = "--clip", defaultValue = "1.0", description = "global gradient-norm bound, 0 for none (default ${DEFAULT-VALUE})") double clip;

    @Option(names = "--seed", defaultValue = "0", description = "weights, data order and tasks all follow from it (default ${DEFAULT-VALUE})") long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "where the log and checkpoints go (default with --resume: that directory)") Path out;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "K", description = "also checkpoint every K steps (always at the end)")
    long checkpointEvery;

    @Option(names = "--eval-every", defaultValue = "0", paramLabel = "K", description = "also evaluate every K steps (always at the end)") long evalEvery;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue from the newest checkpoint in DIR, bit for bit") Path resume;

    @Option(names = "--max-minutes", paramLabel = "M", description = "stop (evaluated and saved) after the step that reaches M minutes of training")
    Double maxMinutes;

    @Option(names = "--profile", description = "at the end, where a step's time went: forward, backward, optimizer, each primitive") boolean profile;

    @Option(names = "--target", defaultValue = "cpu", paramLabel = "cpu", description = "training runs on the CPU") String target;

    @Spec picocli.CommandLine.Model.CommandSpec commandSpec;

    private static final long INTERRUPT_GRACE_SECONDS = 60;

    @Override public Integer call() {
        PrintWriter stdout = commandSpec.commandLine().getOut();
        PrintWriter err = commandSpec.commandLine().getErr();
        String bad = invalidOptions();
        if (bad != null) {
            err.println(NAME + ": " + bad);
            return Main.INTERNAL_ERROR;
        }
        Checker.Result checked = Checker.check(List.of(spec));
        DiagnosticOutput.print(checked.diagnostics(), DiagnosticOutput.Format.human, stdout, err);
        if (!checked.ok()) return Main.USER_ERROR;
        Elaborated.Model model = checked.models().stream().filter(m -> modelName == null || m.name().equals(modelName)).findFirst().orElse(null);
        if (model == null) {
            err.println(Compilation.noModel(spec, checked, modelName));
            return Main.USER_ERROR;
        }
        Graph training = Compilation.lowerForTraining(model);
        int vocab = Math.toIntExact(training.weights().get("embedding.weight").shape().getFirst());
        try {
            TrainingData data = data(vocab);
            Checkpoints.State state = null;
            Path dir = out != null ? out : resume;
            if (resume != null) {
                OptionalLong latest = Checkpoints.latest(resume);
                if (latest.isEmpty()) throw new TrainException(resume + " holds no checkpoint (step-N.optim.safetensors) to resume; start without --resume");
                state = Checkpoints.load(resume, latest.getAsLong(), training);
                if (state.step() >= steps) {
                    throw new TrainException(resume + " is already at step " + state.step() + " of --steps " + steps + "; raise --steps to train further");
                }
            }
            Files.createDirectories(dir);
            if (resume == null && Checkpoints.latest(dir).isPresent()) {
                throw new TrainException(dir + " already holds checkpoints; continue them with --resume " + dir + ", or choose another --out");
            }
            long warm = warmup != null ? warmup : steps / 10;
            Trainer.Options o = new Trainer.Options(steps, batch, seqLen, lr, warm, minLrRatio, AdamW.Config.of(weightDecay, decayAll), clip, seed,
                    checkpointEvery, evalEvery, profile, maxMinutes == null ? 0 : maxMinutes * 60);
            Trainer trainer = new Trainer(training, data, o, dir, state);
            if (state != null) sameSettings(trainer.settings(), state.metadata(), Checkpoints.optimFile(resume, state.step()));
            err.println(String.format(Locale.ROOT, "%s: %s, %,d parameters, %s, %d steps of %d × %d tokens%s", NAME, model.name(),
                    trainer.params().values().stream().mapToLong(p -> p.length).sum(), data.describe(), steps, batch, seqLen,
                    state == null ? "" : ", resuming after step " + state.step()));
            return run(trainer, dir, err);
        } catch (TrainException e) {
            err.println(NAME + ": " + e.getMessage());
            return Main.USER_ERROR;
        } catch (IOException e) {
            err.println(NAME + ": " + e.getMessage());
            return Main.USER_ERROR;
        }
    }

    private int run(Trainer trainer, Path dir, PrintWriter err) {
        // Ctrl-C: the step under way finishes and a checkpoint is written before the JVM exits.
        try (CtrlC ctrlC = new CtrlC(INTERRUPT_GRACE_SECONDS)) {
            Trainer.Result r = trainer.run(new Progress(err, Terminal.stderr(), steps), ctrlC::requested);
            trainer.profile().forEach(err::println);
            return switch (r.end()) {
                case DONE -> Main.OK;
                case TIME_LIMIT -> {
                    err.println(NAME + ": stopped at --max-minutes after step " + r.step() + " of " + steps + "; continue with --resume " + dir);
                    yield Main.OK;
                }
                case INTERRUPTED -> {
                    err.println(NAME + ": interrupted after step " + r.step() + "; continue with --resume " + dir);
                    yield Main.OK;
                }
                case NOT_FINITE -> {
                    err.println(NAME + ": the loss or the gradient is not finite at step " + r.step() + " (loss " + r.loss() + "); stopped. "
                            + (r.lastCheckpoint() > 0 ? "The last good checkpoint is " + Checkpoints.weightsFile(dir, r.lastCheckpoint())
                                    + "; resume from it with --resume " + dir + " and a lower --lr or --clip"
                                    : "No checkpoint was written before it; try a lower --lr or --clip"));
                    yield Main.USER_ERROR;
                }
            };
        }
    }

    private TrainingData data(int vocab) {
        if (taskName != null) {
            var make = Task.all().get(taskName);
            if (make == null) {
                String hint = Suggest.closest(taskName, Task.all().keySet()).map(s -> "did you mean `" + s + "`? ").orElse("");
                throw new TrainException("no task named `" + taskName + "`; " + hint + "tasks: " + String.join(", ", Task.all().keySet()));
            }
            Task task = make.apply(new Task.Knobs(taskKeys, taskPairs, taskNoise, taskMotif, taskTokens));
            String problem = task.problem(seqLen, vocab);
            if (problem != null) throw new TrainException(problem);
            return new TaskData(task, seed, evalSamples);
        }
        return Corpus.open(dataFile, seqLen, seed);
    }

    /** Null when the options make sense, else why not (NaN fails every test). */
    private String invalidOptions() {
        if ((dataFile == null) == (taskName == null)) return "give one of --data FILE and --task NAME";
        if (out == null && resume == null) return "--out DIR is needed (where the log and checkpoints go)";
        if (!"cpu".equals(target)) return "--target " + target + ": training runs on the CPU only for now; use --target cpu";
        if (steps < 1 || batch < 1 || seqLen < 2) return "--steps and --batch must be at least 1, --seq-len at least 2";
        if (!(lr > 0 && lr < Double.POSITIVE_INFINITY)) return "--lr must be a positive number";
        if (warmup != null && warmup < 0) return "--warmup must be at least 0";
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) return "--min-lr-ratio must be in [0, 1]";
        if (!(weightDecay >= 0 && weightDecay < Double.POSITIVE_INFINITY)) return "--weight-decay must be a number ≥ 0";
        if (!(clip >= 0 && clip < Double.POSITIVE_INFINITY)) return "--clip must be a number ≥ 0 (0: no clipping)";
        if (maxMinutes != null && !(maxMinutes > 0 && maxMinutes < Double.POSITIVE_INFINITY)) return "--max-minutes must be a positive number";
        if (checkpointEvery < 0 || evalEvery < 0 || evalSamples < 1) return "--checkpoint-every and --eval-every must be ≥ 0, --eval-samples ≥ 1";
        return null;
    }

    private static void sameSettings(Map<String, String> now, Map<String, String> then, Path file) {
        for (var e : now.entrySet()) {
            String was = then.get(e.getKey());
            if (!e.getValue().equals(was)) {
                throw new TrainException(file + " was trained with " + e.getKey() + " " + was + ", not " + e.getValue()
                        + "; a resumed run repeats the original's data, seed, --batch and --seq-len");
            }
        }
    }

    /** The progress line: redrawn in place on a terminal, else a line every twentieth of the run. */
    private static final class Progress implements Trainer.Listener {
        private final PrintWriter err;
        private final boolean terminal;
        private final long every;
        private boolean drawn;

        Progress(PrintWriter err, boolean terminal, long steps) {
            this.err = err;
            this.terminal = terminal;
            this.every = Math.max(1, steps / 20);
        }

        @Override public void step(long step, long steps, double loss, double lr, double tokensPerSecond, double etaSeconds) {
            String line = String.format(Locale.ROOT, "step %d/%d  loss %.4f  lr %.2e  %,.0f tokens/s  ETA %s", step, steps, loss, lr, tokensPerSecond,
                    duration(etaSeconds));
            if (terminal) {
                err.print("\r\033[K" + line);
                drawn = true;
            } else if (step % every == 0 || step == steps) {
                err.println(line);
            }
            err.flush();
        }

        @Override public void evaluated(long step, String metric, double value) {
            say(String.format(Locale.ROOT, "step %d: %s %.4f", step, metric, value));
        }

        @Override public void saved(long step, Path weights) { say("saved " + weights); }

        private void say(String line) {
            if (drawn) err.print("\r\033[K");
            err.println(line);
            drawn = false;
            err.flush();
        }

        private static String duration(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60) : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
