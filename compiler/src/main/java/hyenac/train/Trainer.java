package hyenac.train;

import hyenac.backends.cpu.GradientExecutor;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The training loop on the CPU: per step a batch (a function of the step), the loss and gradients of the training
 * graph, global-norm clipping, the scheduled learning rate and an AdamW update of the fp32 master weights. Logs one
 * JSON object per step (and per evaluation) to {@code DIR/log.jsonl}; checkpoints every K steps, at the end and when
 * interrupted. Everything is a function of the seed and the step, so a resumed run repeats an uninterrupted one bit
 * for bit.
 */
public final class Trainer {
    public record Options(long steps, int batch, int seqLen, double lr, long warmup, double minLrRatio, AdamW.Config adam, double clip,
                          long seed, long checkpointEvery, long evalEvery, boolean profile, double maxSeconds) {
        public Options(long steps, int batch, int seqLen, double lr, long warmup, double minLrRatio, AdamW.Config adam, double clip,
                       long seed, long checkpointEvery, long evalEvery) {
            this(steps, batch, seqLen, lr, warmup, minLrRatio, adam, clip, seed, checkpointEvery, evalEvery, false, 0);
        }
    }

    /**
     * How the run ended: every step done, interrupted (checkpoint saved), out of time ({@link Options#maxSeconds}: evaluated
     * and saved after the step that reached it), or stopped at a non-finite loss.
     */
    public enum End { DONE, INTERRUPTED, TIME_LIMIT, NOT_FINITE }

    public record Result(End end, long step, double loss, long lastCheckpoint) {}

    /** What the command line shows; the log file is written here regardless. */
    public interface Listener {
        void step(long step, long steps, double loss, double lr, double tokensPerSecond, double etaSeconds);

        void evaluated(long step, String metric, double value);

        void saved(long step, Path weights);
    }

    private final Graph training;
    private final TrainingData data;
    private final Options o;
    private final Path out;
    private final Map<String, float[]> params = new LinkedHashMap<>();
    private final GradientExecutor executor;
    private final AdamW opt;
    private final Schedule schedule;
    private final LossCurve curve;
    private long step;
    private long lastCheckpoint = -1;
    /** With {@link Options#profile}: steps timed, and nanoseconds spent making batches and updating the weights. */
    private long profiledSteps, dataNanos, optimizerNanos;

    /** A fresh run from seeded weights, or a resumed one from {@code resume} (null: fresh). */
    public Trainer(Graph training, TrainingData data, Options o, Path out, Checkpoints.State resume) {
        this.training = training;
        this.data = data;
        this.o = o;
        this.out = out;
        WeightStore weights = Parameters.initial(training, o.seed());
        training.weights().keySet().forEach(name -> params.put(name, weights.get(name)));
        this.opt = new AdamW(o.adam(), params, training);
        if (resume != null) {
            params.forEach((name, p) -> System.arraycopy(resume.params().get(name), 0, p, 0, p.length));
            opt.restore(resume.step(), resume.m(), resume.v());
            step = resume.step();
            lastCheckpoint = step;
        }
        this.executor = new GradientExecutor(training, weights); // reads the same arrays the optimizer updates
        if (o.profile()) executor.profiling();
        this.schedule = new Schedule(o.lr(), o.warmup(), o.steps(), o.minLrRatio());
        this.curve = new LossCurve("hyenac train: " + data.describe(), data.reportsAccuracy() ? "accuracy" : "val_loss");
    }

    /** The loss-curve picture, rewritten at each evaluation. */
    public static final String CURVE = "loss.svg";

    /** The settings a resume must share with the run it continues. */
    public Map<String, String> settings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("format", "hyenac-train 1");
        s.put("data", data.describe());
        s.put("seed", Long.toString(o.seed()));
        s.put("batch", Integer.toString(o.batch()));
        s.put("seq_len", Integer.toString(o.seqLen()));
        return s;
    }

    public Map<String, float[]> params() { return params; }

    public Result run(Listener listener, BooleanSupplier interrupted) {
        Path log = out.resolve("log.jsonl");
        for (String line : keepLogUpTo(log, step)) { // a resumed run's picture starts from the steps before it
            com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(line).getAsJsonObject();
            long s = o.get("step").getAsLong();
            if (o.has("loss") && o.get("loss").isJsonPrimitive()) curve.loss(s, o.get("loss").getAsDouble());
            for (String metric : List.of("accuracy", "val_loss")) {
                if (o.has(metric) && o.get(metric).isJsonPrimitive()) curve.evaluation(s, o.get(metric).getAsDouble());
            }
        }
        long start = System.nanoTime(), firstStep = step;
        double loss = Double.NaN;
        while (step < o.steps()) {
            long s = step + 1;
            long t0 = System.nanoTime();
            Batch b = data.train(s, o.batch(), o.seqLen());
            long t1 = System.nanoTime();
            GradientExecutor.Result r = executor.run(b.batch(), b.length(), b.tokens(), b.targets(), b.mask());
            long t2 = System.nanoTime();
            loss = r.loss();
            double norm = AdamW.clip(params, r.grads(), o.clip());
            if (!Double.isFinite(loss) || !Double.isFinite(norm)) return new Result(End.NOT_FINITE, s, loss, lastCheckpoint);
            double lr = schedule.at(s);
            opt.update(r.grads(), lr);
            dataNanos += t1 - t0;
            optimizerNanos += System.nanoTime() - t2;
            profiledSteps++;
            step = s;
            double seconds = (System.nanoTime() - start) / 1e9;
            double tokensPerSecond = (double) (step - firstStep) * o.batch() * o.seqLen() / seconds;
            double eta = seconds / (step - firstStep) * (o.steps() - step);
            append(log, String.format(Locale.ROOT, "{\"step\": %d, \"loss\": %s, \"lr\": %s, \"grad_norm\": %s, \"tokens_per_s\": %.1f, \"seconds\": %.2f}",
                    step, num(loss), num(lr), num(norm), tokensPerSecond, seconds));
            curve.loss(step, loss);
            listener.step(step, o.steps(), loss, lr, tokensPerSecond, eta);
            boolean timeUp = o.maxSeconds() > 0 && seconds >= o.maxSeconds() && step < o.steps();
            boolean last = step == o.steps() || timeUp;
            if ((o.evalEvery() > 0 && step % o.evalEvery() == 0) || last) evaluate(log, listener, start);
            if ((o.checkpointEvery() > 0 && step % o.checkpointEvery() == 0) || last || interrupted.getAsBoolean()) save(listener);
            if (timeUp) return new Result(End.TIME_LIMIT, step, loss, lastCheckpoint);
            if (!last && interrupted.getAsBoolean()) return new Result(End.INTERRUPTED, step, loss, lastCheckpoint);
        }
        return new Result(End.DONE, step, loss, lastCheckpoint);
    }

    /**
     * With {@link Options#profile}: where a training step's time went (evaluations and checkpoints left out), as
     * lines of a table: the step, forward and backward passes, the optimizer and the data, then each primitive.
     */
    public List<String> profile() {
        if (!o.profile() || profiledSteps == 0) return List.of();
        List<GradientExecutor.OpTime> ops = executor.profile();
        double n = profiledSteps;
        double forward = ops.stream().filter(t -> !t.backward()).mapToLong(GradientExecutor.OpTime::nanos).sum() / n / 1e6;
        double backward = ops.stream().filter(GradientExecutor.OpTime::backward).mapToLong(GradientExecutor.OpTime::nanos).sum() / n / 1e6;
        double optimizer = optimizerNanos / n / 1e6, batches = dataNanos / n / 1e6;
        double total = forward + backward + optimizer + batches;
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "profile of %d steps: %.1f ms a step: forward %.1f, backward %.1f, optimizer %.1f, data %.1f",
                profiledSteps, total, forward, backward, optimizer, batches));
        for (GradientExecutor.OpTime t : ops) {
            double ms = t.nanos() / n / 1e6;
            out.add(String.format(Locale.ROOT, "  %-8s %-24s %4d a step %9.2f ms %5.1f%%", t.backward() ? "backward" : "forward", t.op(),
                    Math.round(t.calls() / n), ms, 100 * ms / total));
        }
        return out;
    }

    private void save(Listener listener) {
        Checkpoints.save(out, step, training, params, opt, settings());
        lastCheckpoint = step;
        listener.saved(step, Checkpoints.weightsFile(out, step));
    }

    private void evaluate(Path log, Listener listener, long start) {
        List<Batch> batches = data.evaluation(o.batch(), o.seqLen());
        String metric;
        double value;
        if (data.reportsAccuracy()) {
            metric = "accuracy";
            value = accuracy(batches);
        } else {
            metric = "val_loss";
            double sum = 0;
            for (Batch b : batches) sum += executor.loss(b.batch(), b.length(), b.tokens(), b.targets(), b.mask());
            value = sum / batches.size();
        }
        append(log, String.format(Locale.ROOT, "{\"step\": %d, \"%s\": %s, \"seconds\": %.2f}", step, metric, num(value),
                (System.nanoTime() - start) / 1e9));
        curve.evaluation(step, value);
        curve.write(out.resolve(CURVE));
        listener.evaluated(step, metric, value);
    }

    /** The fraction of scored positions whose most likely next token is the target. */
    public double accuracy(List<Batch> batches) {
        long right = 0, scored = 0;
        for (Batch b : batches) {
            float[] logits = executor.logits(b.batch(), b.length(), b.tokens());
            int vocab = logits.length / b.tokens().length;
            for (int r = 0; r < b.tokens().length; r++) {
                if (b.mask()[r] == 0) continue;
                int best = 0;
                for (int v = 1; v < vocab; v++) if (logits[r * vocab + v] > logits[r * vocab + best]) best = v;
                if (best == b.targets()[r]) right++;
                scored++;
            }
        }
        return scored == 0 ? 0 : (double) right / scored;
    }

    private static String num(double x) { return Double.isFinite(x) ? Double.toString(x) : "null"; }

    private static void append(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new TrainException(log + ": cannot write the log: " + e.getMessage());
        }
    }

    /** A resumed run continues the log from its checkpoint: lines of later steps (from the interrupted run) go. Returns those kept. */
    private static List<String> keepLogUpTo(Path log, long step) {
        try {
            if (step == 0 || !Files.exists(log)) {
                Files.deleteIfExists(log);
                return List.of();
            }
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\{\"step\": (\\d+)").matcher(line);
                if (m.find() && Long.parseLong(m.group(1)) <= step) kept.add(line);
            }
            Files.write(log, kept, StandardCharsets.UTF_8);
            return kept;
        } catch (IOException e) {
            throw new TrainException(log + ": cannot rewrite the log: " + e.getMessage());
        }
    }
}
