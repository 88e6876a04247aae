package hyenac.cli;

import com.google.gson.JsonArray;
import hyenac.compiler.commands.Targets;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.BackendUnavailableException;
import hyenac.runtime.exec.Session;
import hyenac.runtime.progress.Progress;
import hyenac.runtime.weights.Npy;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafetensorsType;
import hyenac.runtime.weights.TensorData;
import hyenac.runtime.weights.WeightStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "embed", header = "A layer's hidden states for sequences, into .safetensors or .npy.",
        mixinStandardHelpOptions = true, description = {
        "Runs each sequence through the model in one parallel pass and writes the",
        "value --layer names: N, the output of layer N (the residual stream after",
        "its block); N.POINT, a value inside it (N.h its pre-norm, N.m its mixer's",
        "output, N.r the stream after the mixer, N.mixer.q …); embedding,",
        "final_norm. An unknown name lists every name the model has.",
        "--pool mean (default): one vector per sequence, the mean over its",
        "positions; --pool none: every position.",
        ".safetensors: `embeddings` [sequences, width] (mean), or `embeddings.I`",
        "[length, width] for sequence I (none); `lengths`; the sequences' names",
        "in the metadata. .npy: one float32 array, [sequences, width] (mean) or",
        "[sequences, length, width] (none, sequences of one length).",
        "Weights: --weights, else those a .hyx carries, else seeded random",
        "numbers (the values are then meaningless)."})
final class EmbedCommand implements Callable<Integer> {
    static final String NAME = "hyenac embed";

    enum Pool { mean, none }

    @Parameters(paramLabel = "MODEL", description = "a .hyena spec, or a .hyx artifact from `hyenac compile`") Path model;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Mixin SequenceInput input;

    @Mixin ModelOptions options;

    @Option(names = "--layer", required = true, paramLabel = "NAME", description = "N, N.POINT (short for layers.N.POINT), embedding or final_norm")
    String layer;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "FILE.safetensors or FILE.npy") Path out;

    @Option(names = "--pool", defaultValue = "mean", paramLabel = "mean|none", description = "mean over positions (default) or none: every position")
    Pool pool;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "sequences of one length run together, up to N (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "for random weights (default ${DEFAULT-VALUE})") long seed;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (batch < 1) {
            err.println(NAME + ": --batch must be at least 1");
            return Main.INTERNAL_ERROR;
        }
        String file = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean npy = file.endsWith(".npy");
        if (!npy && !file.endsWith(".safetensors")) {
            err.println(NAME + ": --out " + out + ": name the file .safetensors or .npy; its name says which format to write");
            return Main.INTERNAL_ERROR;
        }
        Targets.Picked target = Targets.forRunning(NAME, options.target, err);
        if (target == null) return Main.INTERNAL_ERROR;
        try (Models.Opened m = Models.open(NAME, model, modelName, stdout, err)) {
            if (m == null) return Main.USER_ERROR;
            String point = LayerNames.resolve(m.graph(), layer);
            if (point == null) {
                err.println(NAME + ": --layer " + layer + ": " + m.name() + " has no value of that name; name one of: " + LayerNames.valid(m.graph()));
                return Main.USER_ERROR;
            }
            int value = m.graph().probes().get(point);
            int width = Math.toIntExact(m.graph().value(value).type().channels());
            long vocab = m.graph().value(m.graph().outputs().getFirst()).type().channels();
            List<SequenceInput.Sequence> sequences = input.read(NAME, vocab, m.name(), 1, "an embedding needs a position", err);
            if (sequences == null) return Main.USER_ERROR;
            if (npy && pool == Pool.none) {
                SequenceInput.Sequence first = sequences.getFirst();
                for (SequenceInput.Sequence s : sequences) {
                    if (s.tokens().length != first.tokens().length) {
                        err.printf(Locale.ROOT, "%s: --pool none into .npy writes one array [sequences, length, width], so every sequence needs one"
                                + " length, but %s has %d tokens and %s %d; write .safetensors (a tensor per sequence), or use --pool mean%n",
                                NAME, first.where(), first.tokens().length, s.where(), s.tokens().length);
                        return Main.USER_ERROR;
                    }
                }
            }
            if (!Outputs.writable(NAME, "--out", out, inputs(), err)) return Main.USER_ERROR;
            int longest = sequences.stream().mapToInt(s -> s.tokens().length).max().orElseThrow();
            Models.warnPastContext(NAME, m.graph(), longest, "the longest sequence's tokens", err);
            Progress progress = TerminalProgress.on(err);
            WeightStore weights = Models.weights(NAME, options.weightsFile, options.noWeightCheck, seed, m.graph(), m.embedded(),
                    "the values are meaningless", progress, err);
            if (weights == null) return Main.USER_ERROR;
            long started = System.nanoTime();
            // per sequence: [width] pooled, or [length, width]
            float[][] values = new float[sequences.size()][];
            try (Session session = Models.session(NAME, target, m, weights, 1, progress, err, options)) {
                if (session == null) return Main.USER_ERROR;
                try (Progress.Task embedding = progress.start("embedding", sequences.size(), "sequences")) {
                    for (int[] group : SequenceInput.batches(sequences, batch)) {
                        int length = sequences.get(group[0]).tokens().length;
                        long[] tokens = new long[group.length * length];
                        for (int i = 0; i < group.length; i++) System.arraycopy(sequences.get(group[i]).tokens(), 0, tokens, i * length, length);
                        float[] all;
                        try {
                            all = session.forward(tokens, group.length, length, List.of(value)).get(value);
                        } catch (BackendException e) {
                            if (e instanceof BackendUnavailableException) throw e;
                            // too long for one pass here (memory, array limits)
                            err.println(NAME + ": " + sequences.get(group[0]).where() + ": " + e.getMessage()
                                    + " (embed runs each sequence in one pass, --batch at a time: shorten the sequences or lower --batch)");
                            return Main.USER_ERROR;
                        }
                        for (int i = 0; i < group.length; i++) {
                            float[] rows = Arrays.copyOfRange(all, i * length * width, (i + 1) * length * width);
                            values[group[i]] = pool == Pool.mean ? mean(rows, length, width) : rows;
                        }
                        embedding.advance(group.length);
                    }
                }
            }
            if (npy) writeNpy(sequences, values, width);
            else writeSafetensors(m.name(), point, sequences, values, width);
            err.printf(Locale.ROOT, "[%s on %s: %s of %d sequence%s, %s, width %d, into %s, %.2f s]%n", m.name(), target.name(), point, sequences.size(),
                    sequences.size() == 1 ? "" : "s", pool == Pool.mean ? "mean-pooled" : "every position", width, out,
                    (System.nanoTime() - started) / 1e9);
            return Main.OK;
        }
    }

    private Map<String, Path> inputs() {
        Map<String, Path> inputs = new LinkedHashMap<>(input.files());
        inputs.put("the model", model);
        inputs.put("the --weights file", options.weightsFile);
        return inputs;
    }

    /** The mean over positions of [length, width] rows, summed in double. */
    static float[] mean(float[] rows, int length, int width) {
        double[] sum = new double[width];
        for (int t = 0; t < length; t++) {
            for (int c = 0; c < width; c++) sum[c] += rows[t * width + c];
        }
        float[] out = new float[width];
        for (int c = 0; c < width; c++) out[c] = (float) (sum[c] / length);
        return out;
    }

    private void writeNpy(List<SequenceInput.Sequence> sequences, float[][] values, int width) {
        long[] shape = pool == Pool.mean ? new long[] {sequences.size(), width}
                : new long[] {sequences.size(), sequences.getFirst().tokens().length, width};
        Npy.write(out, shape, Arrays.asList(values));
    }

    private void writeSafetensors(String modelName, String point, List<SequenceInput.Sequence> sequences, float[][] values, int width) {
        List<TensorData> tensors = new ArrayList<>();
        long[] lengths = sequences.stream().mapToLong(s -> s.tokens().length).toArray();
        if (pool == Pool.mean) {
            float[] all = new float[Math.multiplyExact(sequences.size(), width)];
            for (int i = 0; i < values.length; i++) System.arraycopy(values[i], 0, all, i * width, width);
            tensors.add(TensorData.of("embeddings", SafetensorsType.F32, new long[] {sequences.size(), width}, all));
        } else {
            for (int i = 0; i < values.length; i++) {
                tensors.add(TensorData.of("embeddings." + i, SafetensorsType.F32, new long[] {lengths[i], width}, values[i]));
            }
        }
        tensors.add(TensorData.of("lengths", SafetensorsType.I64, new long[] {lengths.length}, lengths));
        JsonArray names = new JsonArray();
        for (SequenceInput.Sequence s : sequences) names.add(s.name());
        Map<String, String> metadata = new TreeMap<>();
        metadata.put("model", modelName);
        metadata.put("layer", point);
        metadata.put("pool", pool.name());
        metadata.put("names", names.toString());
        SafeTensors.write(out, metadata, tensors);
    }
}
