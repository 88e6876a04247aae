package hyenac.train;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.Weight;
import hyenac.ir.autodiff.ParametriseDecay;
import hyenac.runtime.weights.SafetensorsType;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A checkpoint of step N is two files, each written to a temporary name and renamed (a failed write never damages
 * an earlier checkpoint): {@code step-N.safetensors}, the model's weights under our names as inference reads them
 * (Hyena-MR filters as the decayed product), and {@code step-N.optim.safetensors}, what resuming needs: the fp32
 * master parameters, AdamW's moments, the step, and the run's settings and weight manifest in the metadata.
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final Pattern OPTIM = Pattern.compile("step-(\\d+)\\.optim\\.safetensors");

    public static Path weightsFile(Path dir, long step) { return dir.resolve("step-" + step + ".safetensors"); }

    public static Path optimFile(Path dir, long step) { return dir.resolve("step-" + step + ".optim.safetensors"); }

    /** The training graph's weights, name and shape: a checkpoint resumes only with the same manifest. */
    public static String manifest(Graph training) {
        return training.weights().values().stream().map(w -> w.name() + w.shape()).collect(Collectors.joining(";"));
    }

    public record State(long step, Map<String, float[]> params, Map<String, float[]> m, Map<String, float[]> v, Map<String, String> metadata) {}

    /** Writes step N's checkpoint; {@code settings} go into the metadata of both files. */
    public static void save(Path dir, long step, Graph training, Map<String, float[]> params, AdamW opt, Map<String, String> settings) {
        Map<String, String> meta = new LinkedHashMap<>(settings);
        meta.put("step", Long.toString(step));
        List<TensorData> weights = new ArrayList<>();
        Map<String, float[]> inference = inferenceWeights(training, params);
        for (Weight w : training.weights().values()) {
            String name = w.name().endsWith("." + ParametriseDecay.POLE_RATES) ? ParametriseDecay.logPolesName(w.name()) : w.name();
            if (inference.containsKey(name)) weights.add(tensor(name, w, inference.get(name)));
        }
        SafeTensors.write(weightsFile(dir, step), meta, weights);
        meta.put("manifest", manifest(training));
        List<TensorData> state = new ArrayList<>();
        for (Weight w : training.weights().values()) {
            state.add(tensor("master." + w.name(), w, params.get(w.name())));
            state.add(tensor("adam.m." + w.name(), w, opt.firstMoments().get(w.name())));
            state.add(tensor("adam.v." + w.name(), w, opt.secondMoments().get(w.name())));
        }
        SafeTensors.write(optimFile(dir, step), meta, state);
    }

    /**
     * The weights inference reads: every parameter but MR's decay rates, with MR's taps multiplied by their decay, and
     * LI's log λ = −exp(ρ) in place of its trained rates ρ (in the order of the inference graph's weights).
     */
    static Map<String, float[]> inferenceWeights(Graph training, Map<String, float[]> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            if (name.endsWith("." + ParametriseDecay.POLE_RATES)) out.put(ParametriseDecay.logPolesName(name), ParametriseDecay.logPoles(p));
            else out.put(name, p);
        });
        for (Node n : training.nodes()) {
            String rates = n.weights().get(ParametriseDecay.ROLE);
            if (rates == null || !n.is(Primitive.CAUSAL_CONV)) continue;
            String taps = n.weights().get("weight");
            out.put(taps, ParametriseDecay.effectiveTaps(params.get(taps), params.get(rates), Math.toIntExact(n.intAttr("groups")),
                    Math.toIntExact(n.intAttr("len")), "xcorr".equals(n.stringAttr("taps"))));
            out.remove(rates);
        }
        return out;
    }

    /** The newest step with an optimizer state in {@code dir}. */
    public static OptionalLong latest(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> OPTIM.matcher(p.getFileName().toString())).filter(Matcher::matches)
                    .mapToLong(m -> Long.parseLong(m.group(1))).max();
        } catch (IOException e) {
            throw new TrainException(dir + ": cannot list the checkpoints: " + e.getMessage());
        }
    }

    /** Reads step N's state for the training graph, refusing one written for another spec. */
    public static State load(Path dir, long step, Graph training) {
        Path file = optimFile(dir, step);
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            Map<String, String> meta = f.metadata();
            String want = manifest(training), have = meta.getOrDefault("manifest", "");
            if (!want.equals(have)) {
                throw new TrainException(file + " was written for another spec: its weights differ from this spec's (" + firstDifference(have, want)
                        + "); resume with the spec it was trained from, or start afresh with another --out");
            }
            Map<String, float[]> params = new LinkedHashMap<>(), m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
            for (Weight w : training.weights().values()) {
                params.put(w.name(), f.floats("master." + w.name()));
                m.put(w.name(), f.floats("adam.m." + w.name()));
                v.put(w.name(), f.floats("adam.v." + w.name()));
            }
            return new State(Long.parseLong(meta.get("step")), params, m, v, meta);
        }
    }

    private static String firstDifference(String have, String want) {
        List<String> a = List.of(have.split(";")), b = List.of(want.split(";"));
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : "nothing", y = i < b.size() ? b.get(i) : "nothing";
            if (!x.equals(y)) return "the checkpoint has " + x + " where the spec has " + y;
        }
        return "the same weights in another form";
    }

    private static TensorData tensor(String name, Weight w, float[] values) {
        return TensorData.of(name, SafetensorsType.F32, w.shape().stream().mapToLong(Long::longValue).toArray(), values);
    }
}
