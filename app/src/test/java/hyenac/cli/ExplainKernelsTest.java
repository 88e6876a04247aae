package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.compiler.Compilation;
import hyenac.ir.fusion.FuseKernels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainKernelsTest {
    static final String TINY = CommandLineTest.samples().resolve("sh2-tiny.hyena").toString();

    static JsonArray kernels(String... extra) {
        List<String> args = new ArrayList<>(List.of("explain", "--json", "--kernels"));
        args.addAll(List.of(extra));
        args.add(TINY);
        CommandLineTest.Run r = CommandLineTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        return JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("kernels");
    }

    static JsonObject byPath(JsonArray ks, String path) {
        for (JsonElement e : ks) if (e.getAsJsonObject().get("path").getAsString().equals(path)) return e.getAsJsonObject();
        throw new AssertionError("no kernel at " + path);
    }

    /** The first kernel of an op within a layer (paths of weightless ops name the scope they ran in). */
    static JsonObject first(JsonArray ks, String layer, String op) {
        for (JsonElement e : ks) {
            JsonObject k = e.getAsJsonObject();
            if (k.get("path").getAsString().startsWith(layer + ".") && k.get("op").getAsString().equals(op)) return k;
        }
        throw new AssertionError("no " + op + " in " + layer);
    }

    @Test
    void onePlanEntryPerNodeAfterThePassesInExecutionOrder() {
        JsonArray ks = kernels();
        var graph = Compilation.compile(java.nio.file.Path.of(TINY), null).graph();
        List<String> executed = FuseKernels.standard().run(graph).stream().flatMap(g -> g.nodes().stream()).map(n -> n.op()).toList();
        assertEquals(graph.nodes().size(), ks.size());
        for (int i = 0; i < ks.size(); i++) {
            JsonObject k = ks.get(i).getAsJsonObject();
            assertEquals(i, k.get("index").getAsInt());
            assertEquals(executed.get(i), k.get("op").getAsString());
        }
        assertTrue(ks.asList().stream().noneMatch(k -> k.getAsJsonObject().get("op").getAsString().equals("identity")),
                "the passes removed the MLPs' identities");
        JsonObject first = ks.get(0).getAsJsonObject();
        assertEquals("embedding", first.get("op").getAsString());
        assertTrue(first.getAsJsonArray("input_widths").get(0).isJsonNull(), "token ids have no width");
        assertEquals(64, first.getAsJsonArray("output_widths").get(0).getAsLong());
        assertEquals("unembed", ks.get(ks.size() - 1).getAsJsonObject().get("op").getAsString());
    }

    @Test
    void nodesAreGroupedIntoTheKernelsTheFusionPassForms() {
        CommandLineTest.Run r = CommandLineTest.run("explain", "--json", "--kernels", TINY);
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray groups = root.getAsJsonArray("groups");
        JsonArray ks = root.getAsJsonArray("kernels");
        assertEquals(67, groups.size(), "106 nodes in 67 kernels");
        JsonObject core = byPath(ks, "layers.0.mixer.filter");
        assertEquals("hyena_core", core.get("fusion").getAsString());
        JsonObject group = groups.get(core.get("group").getAsInt()).getAsJsonObject();
        assertEquals(List.of("causal_conv", "deinterleave", "mul", "causal_conv", "mul"),
                group.getAsJsonArray("ops").asList().stream().map(JsonElement::getAsString).toList());
        JsonObject featurizer = byPath(ks, "layers.0.mixer.featurizer");
        assertEquals("hyena_core", featurizer.get("fusion").getAsString(), "the featurizer is inside the core's kernel");
        assertEquals(core.get("group").getAsInt(), featurizer.get("group").getAsInt());
        assertEquals(1, group.getAsJsonArray("writes").size(), "the core writes y alone");
        assertEquals("norm_residual", byPath(ks, "layers.0.post_norm").get("fusion").getAsString());
        assertEquals("single", byPath(ks, "layers.0.mixer.proj_in").get("fusion").getAsString(), "GEMMs are library calls");
        int previous = -1;
        for (JsonElement e : ks) {
            int g = e.getAsJsonObject().get("group").getAsInt();
            assertTrue(g == previous || g == previous + 1, "a kernel's nodes are listed together, kernels in order");
            previous = g;
        }
    }

    @Test
    void convolutionsShowTheAlgorithmTheCpuBackendPicks() {
        JsonArray ks = kernels();
        assertEquals("direct", byPath(ks, "layers.0.mixer.featurizer").get("algorithm").getAsString());
        assertEquals("direct", byPath(ks, "layers.0.mixer.filter").get("algorithm").getAsString(), "7 taps");
        assertEquals("fft", byPath(ks, "layers.1.mixer.filter").get("algorithm").getAsString(), "128 taps over 4096 tokens");
        assertEquals("fft", byPath(ks, "layers.2.mixer.filter").get("algorithm").getAsString(), "modal");
        assertTrue(byPath(ks, "layers.0.mixer.proj_in").get("algorithm").isJsonNull());
        // Over 64 tokens only 64 of the 128 taps ever meet data: direct.
        assertEquals("direct", byPath(kernels("--context", "64"), "layers.1.mixer.filter").get("algorithm").getAsString());
    }

    @Test
    void widthsWeightsFlopsAndOrigins() {
        CommandLineTest.Run r = CommandLineTest.run("explain", "--json", "--kernels", "--context", "1024", TINY);
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray ks = root.getAsJsonArray("kernels");
        JsonObject proj = byPath(ks, "layers.0.mixer.proj_in");
        assertEquals(List.of(64L), longs(proj.getAsJsonArray("input_widths")));
        assertEquals(List.of(192L), longs(proj.getAsJsonArray("output_widths")));
        assertEquals("layers.0.mixer.proj_in.weight", proj.getAsJsonArray("weights").get(0).getAsString());
        assertEquals(2.0 * 64 * 192, proj.get("flops_per_token").getAsDouble());
        assertTrue(proj.get("origin").getAsString().endsWith("sh2-tiny.hyena:12:11 via std:14:7"), proj.get("origin").getAsString());
        JsonObject split = first(ks, "layers.0", "deinterleave");
        assertEquals(List.of(192L), longs(split.getAsJsonArray("input_widths")));
        assertEquals(List.of(64L, 64L, 64L), longs(split.getAsJsonArray("output_widths")));
        assertEquals(2.0 * 1024 * 64, first(ks, "layers.3", "causal_attention").get("flops_per_token").getAsDouble(), "causal_attention");
        double sum = ks.asList().stream().mapToDouble(k -> k.getAsJsonObject().get("flops_per_token").getAsDouble()).sum();
        assertEquals(root.getAsJsonObject("totals").get("flops_per_token").getAsDouble(), sum, 1e-6);
    }

    @Test
    void theTextPlanNumbersEachKernelAndListsItsNodes() {
        CommandLineTest.Run r = CommandLineTest.run("explain", "--kernels", TINY);
        assertEquals(0, r.code(), r.err());
        var graph = Compilation.compile(java.nio.file.Path.of(TINY), null).graph();
        int nodes = graph.nodes().size(), kernels = FuseKernels.standard().run(graph).size();
        List<String> plan = r.out().lines().dropWhile(l -> !l.startsWith("plan: ")).toList();
        assertTrue(plan.getFirst().startsWith("plan: " + kernels + " kernels for " + nodes + " nodes in execution order (fused: 1 elementwise, 6 hyena_core,"
                + " 14 norm_residual)"), plan.getFirst());
        assertEquals(kernels, plan.stream().filter(l -> l.matches("\\s+\\d+  \\S+.*")).count(), r.out());
        assertEquals(nodes, plan.size() - 2, "a line per node under the header and the column names");
        assertTrue(r.out().contains("causal_conv      fft    64 → 64"), r.out());
        assertTrue(r.out().contains("single         embedding        -      ids → 64"), r.out());
        assertTrue(r.out().contains("hyena_core     causal_conv      direct 192 → 192"), "the core's kernel opens with its featurizer: " + r.out());
    }

    @Test
    void theCudaPlanShowsEvo2sHyenaLiByTheScan() {
        String evo = CommandLineTest.samples().resolve("evo2-7b.hyena").toString();
        CommandLineTest.Run r = CommandLineTest.run("explain", evo, "--kernels", "--target", "cuda");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("modal_conv layers.2.mixer.filter -> scan  (fft "), r.out());
        // its three kernels, launched in the core's place with their scratch of states between them, the first and third
        // computing the featurizer from u
        for (String kernel : List.of("scan_states_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16", "scan_carry_c4096_m16_t128",
                "scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16")) {
            assertTrue(r.out().contains("launch " + kernel + "("), kernel + ":\n" + r.out());
        }
        assertTrue(r.out().contains("causal_conv+deinterleave+mul+modal_conv+mul layers.2.mixer [scan]"), "the featurizer inside: " + r.out());
        assertTrue(!r.out().contains("layers.2.mixer.featurizer [direct]"), "no featurizer's kernel of its own: " + r.out());
    }

    @Test
    void aTunedChoiceIsMadeByTheMeasurementAndSaysSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        String evo = CommandLineTest.samples().resolve("evo2-7b.hyena").toString();
        CommandLineTest.Run byModel = CommandLineTest.run("explain", evo, "--kernels", "--target", "cuda");
        assertEquals(0, byModel.code(), byModel.err());
        String mr = "causal_conv layers.1.mixer.filter -> blocked  (direct ";
        assertTrue(byModel.out().contains(mr), "the cost model puts Evo 2's MR filters on the tensor cores: " + byModel.out());

        // a tuning file whose H100 measured direct faster for those filters (made up: the choice follows whatever was measured)
        var g = Compilation.compile(java.nio.file.Path.of(evo), null).graph();
        var filter = g.nodes().stream().filter(n -> n.path().equals("layers.1.mixer.filter")).findFirst().orElseThrow();
        String key = hyenac.compiler.kernels.Tuning.key(g, filter, hyenac.compiler.kernels.KernelPipeline.REFERENCE);
        java.nio.file.Path file = dir.resolve("tuning.json");
        java.nio.file.Files.writeString(file, """
                {"measurements": [{"device": "NVIDIA H100 80GB HBM3", "hyenac": "%s", "key": "%s",
                  "ms": {"direct": 0.15, "blocked": 0.25, "fused_fft": 0.3}, "measured": "2026-12-07T12:00:00Z"}]}
                """.formatted(hyenac.compiler.artifact.Executable.hyenacVersion(), key));
        System.setProperty("hyenac.tuning", file.toString());
        try {
            CommandLineTest.Run tuned = CommandLineTest.run("explain", evo, "--kernels", "--target", "cuda");
            assertEquals(0, tuned.code(), tuned.err());
            assertTrue(tuned.out().contains("causal_conv layers.1.mixer.filter -> direct  measured (direct 150 us, blocked 250 us, fused_fft 300 us)"), tuned.out());
            assertTrue(tuned.out().contains("[direct]") && tuned.out().contains("algorithm choices"), tuned.out());
            java.nio.file.Files.writeString(file, "{ broken");
            CommandLineTest.Run broken = CommandLineTest.run("explain", evo, "--kernels", "--target", "cuda");
            assertEquals(List.of(true, false), List.of(broken.err().contains(file + ": not a hyenac tuning file"), broken.err().contains("\tat ")),
                    broken.err());
        } finally {
            System.clearProperty("hyenac.tuning");
        }
    }

    static List<Long> longs(JsonArray a) {
        return a.asList().stream().map(JsonElement::getAsLong).toList();
    }
}
