package hyenac.conformance;

import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.source.SourceFile;
import hyenac.importer.VortexImporter;
import hyenac.ir.Graph;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.TensorInfo;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks a directory laid out like {@code ../shared/conformance/vortex}: every case file is run through
 * the real pipeline — its vortex YAML config imported as a spec, checked, elaborated to the graph IR,
 * passed through the compiler passes and run by a backend — and the named graph values (probes) are
 * compared with the file's reference tensors. Nothing here knows the shapes or seeds of any set.
 */
public final class VortexConformance {
    /**
     * Per tensor: max|got − ref| ≤ 2e−5 · max|ref|. The reference README measured three independent
     * fp32/fp64 evaluations within 4.2e−6 of each other (relative to the tensor's largest value);
     * 2e−5 is about 5× that spread, and far below the O(1) errors a layout or order mistake makes.
     */
    public static final double RELATIVE_TOLERANCE = 2e-5;

    public record Check(String tensor, String probe, double maxAbsError, double maxRef, boolean ok) {
        public double relative() { return maxRef == 0 ? maxAbsError : maxAbsError / maxRef; }
    }

    public record CaseResult(String file, String kind, List<Check> checks, List<String> notes, String error) {
        public boolean ok() { return error == null && !checks.isEmpty() && checks.stream().allMatch(Check::ok); }
    }

    /** Reference tensor → our probe, per block kind. {@code %} stands for the layer's probe prefix. */
    private static final Map<String, String> HYENA = linked(
            "inter.pre_norm_out", "%.h", "inter.proj_out", "%.mixer.z", "inter.q", "%.mixer.q", "inter.k", "%.mixer.k",
            "inter.v", "%.mixer.v", "inter.inner_conv", "%.mixer.c", "output.filter_out", "%.mixer.y",
            "inter.mixer_out", "%.r", "output.block_out", "%");
    private static final Map<String, String> ATTENTION = linked(
            "inter.pre_norm_out", "%.h", "inter.q_pre_rope", "%.mixer.q", "inter.k_pre_rope", "%.mixer.k", "inter.v", "%.mixer.v",
            "inter.attn_context", "%.mixer.a", "output.attn_out", "%.m", "inter.mixer_out", "%.r", "output.block_out", "%");

    private VortexConformance() {}

    public static List<CaseResult> run(Path dir) throws IOException {
        List<CaseResult> results = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                if (f.getFileName().toString().equals("model_weights.safetensors")) continue;
                results.add(runCase(dir, f));
            }
        }
        return results;
    }

    static CaseResult runCase(Path dir, Path file) {
        String name = file.getFileName().toString();
        try (SafeTensorsFile st = SafeTensors.open(file)) {
            String kind = st.metadata().getOrDefault("case", "?");
            return switch (kind) {
                case "hyena_se", "hyena_mr", "hyena_li" -> block(dir, st, kind, HYENA);
                case "attention" -> block(dir, st, kind, ATTENTION);
                case "model_forward" -> forward(dir, st);
                case "model_decode" -> new CaseResult(name, kind, List.of(), List.of(),
                        "prefill + recurrent decode is not implemented in the runtime yet");
                default -> new CaseResult(name, kind, List.of(), List.of(), "unknown case kind `" + kind + "` in the metadata");
            };
        } catch (WeightsException | IOException | IllegalArgumentException | IllegalStateException e) {
            return new CaseResult(name, "?", List.of(), List.of(), e.getMessage());
        }
    }

    /** A model built from the case's config: its graph, and which vortex block each of our layers is. */
    private record Built(Graph graph, List<Integer> blocks) {}

    private static Built build(Path dir, SafeTensorsFile st, String configName) throws IOException {
        Path yml = dir.resolve(configName);
        SourceFile config = Files.exists(yml)
                ? new SourceFile(yml.toString(), Files.readString(yml, StandardCharsets.UTF_8))
                : new SourceFile(st.path() + "#config", st.metadata().getOrDefault("config", "")); // JSON is YAML
        VortexImporter.Result imported = VortexImporter.convert(config);
        if (!imported.ok()) throw new IllegalStateException("the config does not import:\n" + render(imported.diagnostics().all()));
        Checker.Result checked = Checker.checkSource(new SourceFile(config.name() + ".hyena", imported.hyena()), dir);
        if (!checked.ok() || checked.models().isEmpty()) {
            throw new IllegalStateException("the imported spec does not check:\n" + render(checked.diagnostics().all()));
        }
        Graph g = PassManager.standard().run(ToGraph.of(checked.models().getFirst()));
        return new Built(g, imported.vortexBlocks());
    }

    private static CaseResult block(Path dir, SafeTensorsFile st, String kind, Map<String, String> probes) throws IOException {
        String name = st.path().getFileName().toString();
        Built built = build(dir, st, kind.equals("attention") ? "op_attention_config.yml" : "op_config.yml");
        int vortexBlock = Integer.parseInt(st.metadata().get("layer_idx"));
        int layer = built.blocks().indexOf(vortexBlock);
        if (layer < 0) throw new IllegalStateException("the config has no layer " + vortexBlock);
        String prefix = "layers." + layer;
        WeightStore weights = WeightStore.fromVortex(st, built.graph(), built.blocks()::get, w -> w.startsWith(prefix + "."));

        TensorInfo u = st.info("input.u");
        int batch = Math.toIntExact(u.shape()[0]);
        int length = Math.toIntExact(u.shape()[1]);
        Integer input = built.graph().probes().get(layer == 0 ? "embedding" : "layers." + (layer - 1));
        Map<String, Integer> wanted = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        for (var e : probes.entrySet()) {
            if (!st.contains(e.getKey())) continue;
            Integer value = built.graph().probes().get(e.getValue().replace("%", prefix));
            if (value == null) notes.add(e.getKey() + ": no probe " + e.getValue().replace("%", prefix));
            else wanted.put(e.getKey(), value);
        }
        for (String t : st.names()) {
            if ((t.startsWith("inter.") || t.startsWith("output.") || t.startsWith("derived.")) && !probes.containsKey(t)) {
                notes.add(t + ": not a value of the graph (computed inside a primitive)");
            }
        }
        Map<Integer, float[]> got = new CpuExecutor(built.graph(), weights)
                .run(batch, length, null, Map.of(input, st.floats("input.u")), wanted.values());
        return new CaseResult(name, kind, compare(st, wanted, got), notes, null);
    }

    private static CaseResult forward(Path dir, SafeTensorsFile st) throws IOException {
        String name = st.path().getFileName().toString();
        Built built = build(dir, st, "model_config.yml");
        Path weightsFile = dir.resolve("model_weights.safetensors");
        try (SafeTensorsFile wf = SafeTensors.open(weightsFile)) {
            WeightStore weights = WeightStore.fromVortex(wf, built.graph(), built.blocks()::get);
            TensorInfo tokens = st.info("input.tokens");
            int batch = Math.toIntExact(tokens.shape()[0]);
            int length = Math.toIntExact(tokens.shape()[1]);
            Map<String, Integer> wanted = new LinkedHashMap<>();
            Map<String, Integer> probes = built.graph().probes();
            wanted.put("output.logits", probes.get("logits"));
            if (st.contains("inter.hidden.embed")) wanted.put("inter.hidden.embed", probes.get("embedding"));
            if (st.contains("inter.hidden.final_norm")) wanted.put("inter.hidden.final_norm", probes.get("final_norm"));
            for (int i = 0; i < built.blocks().size(); i++) {
                String t = "inter.hidden.layer" + built.blocks().get(i);
                if (st.contains(t)) wanted.put(t, probes.get("layers." + i));
            }
            Map<Integer, float[]> got = new CpuExecutor(built.graph(), weights).run(batch, length, st.longs("input.tokens"), Map.of(), wanted.values());
            return new CaseResult(name, "model_forward", compare(st, wanted, got), List.of(), null);
        }
    }

    private static List<Check> compare(SafeTensorsFile st, Map<String, Integer> wanted, Map<Integer, float[]> got) {
        List<Check> checks = new ArrayList<>();
        for (var e : wanted.entrySet()) {
            float[] ref = st.floats(e.getKey());
            float[] ours = got.get(e.getValue());
            if (ours.length != ref.length) {
                checks.add(new Check(e.getKey(), "%" + e.getValue(), Double.POSITIVE_INFINITY, 0, false));
                continue;
            }
            double maxErr = 0;
            double maxRef = 0;
            for (int i = 0; i < ref.length; i++) {
                maxErr = Math.max(maxErr, Math.abs((double) ours[i] - ref[i]));
                maxRef = Math.max(maxRef, Math.abs(ref[i]));
            }
            boolean ok = maxErr <= RELATIVE_TOLERANCE * maxRef && !Double.isNaN(maxErr);
            checks.add(new Check(e.getKey(), "%" + e.getValue(), maxErr, maxRef, ok));
        }
        return checks;
    }

    private static String render(List<Diagnostic> diags) {
        return diags.stream().map(HumanRenderer::render).collect(Collectors.joining());
    }

    private static Map<String, String> linked(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
