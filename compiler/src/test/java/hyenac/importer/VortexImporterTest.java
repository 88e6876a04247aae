package hyenac.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.diag.Severity;
import hyenac.dsl.source.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class VortexImporterTest {

    static Stream<Path> vortexConfigs() throws IOException {
        Path dir = TestFiles.vortexDir();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir.resolve("configs"))) { s.filter(p -> p.toString().endsWith(".yml")).forEach(all::add); }
        try (Stream<Path> s = Files.list(dir)) { s.filter(p -> p.toString().endsWith(".yml")).forEach(all::add); }
        all.sort(null);
        assertTrue(all.size() >= 8, "expected the 5 Evo 2 configs and the 3 golden-set configs, found " + all);
        return all.stream();
    }

    static VortexImporter.Result importFile(Path p) throws IOException {
        return VortexImporter.convert(new SourceFile(p.getFileName().toString(), Files.readString(p)));
    }

    static Checker.Result check(String name, String hyena) {
        return Checker.checkSource(new SourceFile(name, hyena), null);
    }

    static String render(List<Diagnostic> ds) {
        return ds.stream().map(HumanRenderer::render).collect(Collectors.joining());
    }

    static Elaborated.Model importAndCheck(Path p) throws IOException {
        VortexImporter.Result r = importFile(p);
        assertFalse(r.diagnostics().hasErrors(), () -> render(r.diagnostics().all()));
        assertNotNull(r.hyena());
        Checker.Result checked = check(p.getFileName() + ".hyena", r.hyena());
        List<Diagnostic> errors = checked.diagnostics().all().stream().filter(Diagnostic::isError).toList();
        assertTrue(errors.isEmpty(), () -> r.hyena() + "\n" + render(errors));
        assertEquals(1, checked.models().size(), r::hyena);
        return checked.models().getFirst();
    }

    @ParameterizedTest
    @MethodSource("vortexConfigs")
    void everyShippedConfigImportsAndChecksClean(Path config) throws IOException {
        importAndCheck(config);
    }

    @Test
    void parameterTotalsMatchSemantics() throws IOException {
        Path dir = TestFiles.vortexDir();
        Map<String, Long> expected = Map.of(
                "configs/evo2-1b-8k.yml", 1_107_989_760L,
                "configs/evo2-7b-8k.yml", 6_481_059_584L,
                "configs/evo2-40b-8k.yml", 40_331_142_144L,
                "configs/evo2-7b-1m.yml", 6_581_722_880L,
                "configs/evo2-40b-1m.yml", 41_117_574_144L,
                "model_config.yml", 394_296L);
        for (var e : expected.entrySet()) {
            assertEquals(e.getValue(), importAndCheck(dir.resolve(e.getKey())).parameters(), e.getKey());
        }
    }

    @Test
    void evo2SevenBImportsInTheSampleStyle() throws IOException {
        VortexImporter.Result r = importFile(TestFiles.vortexDir().resolve("configs/evo2-7b-8k.yml"));
        assertEquals("""
                // Imported from evo2-7b-8k.yml (vortex config)
                import "std"

                /// shc-evo2-7b-8k-2T-v2: 32 layers of width 4096.
                model shc_evo2_7b_8k_2T_v2 {
                  vocab = 512
                  width = 4096
                  context = 32768
                  dtype = bf16
                  let g = 256

                  op se = hyena_se(len = 7, groups = g)
                  op mr = hyena_mr(len = 128, groups = g)
                  op li = hyena_li(modes = 16)
                  op mha = attention(heads = 32, rope = rope(base = 1e4))
                  op mlp = gated_mlp(hidden = 11008, act = identity)

                  layers = [se, mr, li, mha, se, mr, li] * 4 + [se, mr, li, mha]
                  layers[0].mlp.act = gelu // the Evo 2 quirk: only layer 0 uses GELU
                }
                """, r.hyena());
        assertTrue(r.diagnostics().all().isEmpty(), () -> render(r.diagnostics().all()));
    }

    @Test
    void longContextConfigsScaleRopeAndWarnAboutFp8() throws IOException {
        VortexImporter.Result r = importFile(TestFiles.vortexDir().resolve("configs/evo2-40b-1m.yml"));
        assertTrue(r.hyena().contains("op mha = attention(heads = 64, rope = rope(base = 1e6, scale = 128))"), r.hyena());
        assertTrue(r.hyena().contains("context = 1048576"), r.hyena());
        List<Diagnostic> ds = r.diagnostics().all();
        assertEquals(1, ds.size(), () -> render(ds));
        assertEquals(Code.HY0504, ds.getFirst().code());
        assertEquals(Severity.WARNING, ds.getFirst().severity());
        assertTrue(ds.getFirst().message().contains("use_fp8_input_projections: True"), ds.getFirst().message());
    }

    @Test
    void absentLayersAreDroppedAndListed() throws IOException {
        VortexImporter.Result r = importFile(TestFiles.vortexDir().resolve("op_attention_config.yml"));
        assertTrue(r.hyena().contains("  layers = [mha]\n"), r.hyena());
        assertTrue(r.hyena().contains("the vortex index of each layer: 3\n"), r.hyena());
        assertFalse(r.hyena().contains("layers[0]"), "vortex layer 0 is absent, so no layer gets GELU:\n" + r.hyena());
        assertFalse(r.hyena().contains("op se"), "unused operators are not declared:\n" + r.hyena());
        assertTrue(r.diagnostics().all().isEmpty(), () -> render(r.diagnostics().all()));
    }

    // ------------------------------------------------------------ diagnostics

    /** A small but complete config; tests edit it. */
    static final String MINIMAL = """
            model_name: tiny
            vocab_size: 512
            hidden_size: 64
            num_layers: 4
            max_seqlen: 1024
            hcs_layer_idxs: [0]
            hcm_layer_idxs: [1]
            hcl_layer_idxs: [2]
            attn_layer_idxs: [3]
            hcs_filter_length: 7
            hcs_filter_groups: 4
            hcm_filter_length: 128
            hcm_filter_groups: 4
            state_size: 16
            num_attention_heads: 2
            inner_mlp_size: 176
            """;

    static VortexImporter.Result convert(String yaml) {
        return VortexImporter.convert(new SourceFile("test.yml", yaml));
    }

    static Diagnostic only(VortexImporter.Result r, Code code) {
        List<Diagnostic> ds = r.diagnostics().all();
        assertEquals(1, ds.size(), () -> render(ds));
        assertEquals(code, ds.getFirst().code(), () -> render(ds));
        return ds.getFirst();
    }

    @Test
    void minimalConfigImportsWithoutDiagnostics() {
        VortexImporter.Result r = convert(MINIMAL);
        assertTrue(r.diagnostics().all().isEmpty(), () -> render(r.diagnostics().all()));
        assertTrue(r.hyena().contains("rope(base = 1e6)"), "vortex's default RoPE base:\n" + r.hyena());
        assertTrue(check("tiny.hyena", r.hyena()).ok(), r.hyena());
    }

    @Test
    void unknownKeyWarnsWithItsName() {
        VortexImporter.Result r = convert(MINIMAL + "use_quantum_attention: true\n");
        Diagnostic d = only(r, Code.HY0500);
        assertEquals(Severity.WARNING, d.severity());
        assertTrue(d.message().contains("use_quantum_attention"), d.message());
        assertEquals(17, d.span().line());
        assertNotNull(r.hyena(), "a warning does not stop the import");
    }

    @Test
    void misspeltKeySuggestsTheKnownOne() {
        Diagnostic d = only(convert(MINIMAL + "use_flash_atn: true\n"), Code.HY0500);
        assertNotNull(d.fix());
        assertEquals("use_flash_attn", d.fix().replacement());
    }

    @Test
    void missingHiddenSizeIsAnError() {
        VortexImporter.Result r = convert(MINIMAL.replace("hidden_size: 64\n", ""));
        Diagnostic d = only(r, Code.HY0501);
        assertTrue(d.isError());
        assertTrue(d.message().contains("hidden_size"), d.message());
        assertNull(r.hyena());
    }

    @Test
    void indexInTwoListsIsAnError() {
        VortexImporter.Result r = convert(MINIMAL.replace("attn_layer_idxs: [3]", "attn_layer_idxs: [3, 1]"));
        Diagnostic d = only(r, Code.HY0503);
        assertTrue(d.message().contains("hcm_layer_idxs") && d.message().contains("attn_layer_idxs"), d.message());
        assertEquals("1", d.span().text());
        assertNull(r.hyena());
    }

    @Test
    void indexBeyondNumLayersIsAnError() {
        Diagnostic d = only(convert(MINIMAL.replace("attn_layer_idxs: [3]", "attn_layer_idxs: [4]")), Code.HY0503);
        assertTrue(d.message().contains("num_layers is 4"), d.message());
    }

    @Test
    void garbageYamlIsADiagnosticNotAnException() {
        for (String garbage : List.of("hidden_size: [1, 2\n", "a: b: c\n", "\t- x\n", "key: 'open\n", "--- a\n--- b\n",
                "- just\n- a list\n", "", "&a [*a]\n", "x: !!binary 123\n  y\n", "\u0000\u0001")) {
            VortexImporter.Result r = convert(garbage);
            assertNull(r.hyena(), garbage);
            assertTrue(r.diagnostics().all().stream().anyMatch(d -> d.code() == Code.HY0502 || d.code() == Code.HY0501),
                    () -> garbage + "\n" + render(r.diagnostics().all()));
        }
        Diagnostic d = only(convert("model_name: x\nhidden_size: [1, 2\nvocab_size: 3\n"), Code.HY0502);
        assertTrue(d.isError());
        assertEquals(3, d.span().line());
    }

    @Test
    void fp8InputProjectionsWarn() {
        VortexImporter.Result r = convert(MINIMAL + "use_fp8_input_projections: True\n");
        Diagnostic d = only(r, Code.HY0504);
        assertEquals(Severity.WARNING, d.severity());
        assertTrue(d.message().contains("FP8") && d.message().contains("bf16"), d.message());
        assertNotNull(r.hyena());
    }

    @Test
    void wrongTypesAreErrors() {
        Diagnostic d = only(convert(MINIMAL.replace("hidden_size: 64", "hidden_size: wide")), Code.HY0505);
        assertTrue(d.message().contains("hidden_size") && d.message().contains("wide"), d.message());
        only(convert(MINIMAL.replace("hidden_size: 64", "hidden_size: 64.0")), Code.HY0505);
        only(convert(MINIMAL + "interleave: 3\n"), Code.HY0505);
        only(convert(MINIMAL + "eps: -1\n"), Code.HY0505);
        only(convert(MINIMAL.replace("hcs_filter_groups: 4", "hcs_filter_groups: 5")), Code.HY0505);
    }

    @Test
    void duplicateKeyIsAnError() {
        only(convert(MINIMAL + "hidden_size: 128\n"), Code.HY0502);
    }

    @Test
    void mlpActivationAndEps() {
        String yaml = MINIMAL + "mlp_activation: silu\neps: 1e-5\n";
        VortexImporter.Result r = convert(yaml);
        assertTrue(r.hyena().contains("op mlp = gated_mlp(hidden = 176, act = silu)"), r.hyena());
        assertTrue(r.hyena().contains("  let eps = 1e-5\n"), r.hyena());
        assertFalse(r.hyena().contains("layers[0]"), r.hyena());
        Checker.Result checked = check("tiny.hyena", r.hyena());
        assertTrue(checked.ok(), () -> render(checked.diagnostics().all()));

        Diagnostic d = only(convert(MINIMAL + "mlp_activation: tanh\n"), Code.HY0504);
        assertTrue(d.message().contains("tanh"), d.message());
    }

    @Test
    void evo2QuirkUsesTheConfiguredActivationAtLayerZero() {
        VortexImporter.Result r = convert(MINIMAL + "evo2_style_activations: true\nmlp_activation: silu\n");
        assertTrue(r.hyena().contains("act = identity)"), r.hyena());
        assertTrue(r.hyena().contains("layers[0].mlp.act = silu"), r.hyena());
    }

    @Test
    void filterLengthDecidesTheHyenaVariantAsInVortex() {
        VortexImporter.Result r = convert(MINIMAL.replace("hcm_filter_length: 128", "hcm_filter_length: 64"));
        Diagnostic d = only(r, Code.HY0504);
        assertTrue(d.message().contains("hcm_filter_length: 64"), d.message());
        assertTrue(r.hyena().contains("op mr = hyena_se(len = 64, groups = g)"), r.hyena());
    }

    @Test
    void differingGroupsArePrintedLiterally() {
        VortexImporter.Result r = convert(MINIMAL.replace("hcm_filter_groups: 4", "hcm_filter_groups: 2"));
        assertFalse(r.hyena().contains("let g"), r.hyena());
        assertTrue(r.hyena().contains("hyena_se(len = 7, groups = 4)"), r.hyena());
        assertTrue(r.hyena().contains("hyena_mr(len = 128, groups = 2)"), r.hyena());
    }

    @Test
    void noLayersIsAnError() {
        String yaml = MINIMAL.replaceAll("(?m)^(hc[sml]|attn)_layer_idxs: .*$", "$1_layer_idxs: []");
        only(convert(yaml), Code.HY0501);
    }

    /** Mangled configs (characters dropped, inserted, lines swapped) give diagnostics, never an exception. */
    @Test
    void mangledConfigsNeverThrow() throws IOException {
        String base = Files.readString(TestFiles.vortexDir().resolve("configs/evo2-7b-1m.yml"));
        java.util.Random rnd = new java.util.Random(5);
        String noise = ":-[]{},#&*!|>'\"%@`?\t\n 0123456789.eE_xTrueFalsenull~\u00e9\ud83d\ude00";
        for (int trial = 0; trial < 1500; trial++) {
            StringBuilder b = new StringBuilder(base);
            for (int edits = 1 + rnd.nextInt(6); edits > 0; edits--) {
                int at = rnd.nextInt(b.length());
                switch (rnd.nextInt(3)) {
                    case 0 -> b.deleteCharAt(at);
                    case 1 -> b.insert(at, noise.charAt(rnd.nextInt(noise.length())));
                    default -> b.replace(at, Math.min(b.length(), at + rnd.nextInt(40)), "");
                }
            }
            String text = b.toString();
            VortexImporter.Result r = convert(text);
            assertEquals(r.diagnostics().hasErrors(), r.hyena() == null, text);
            if (r.hyena() != null) {
                Checker.Result checked = check("mangled.hyena", r.hyena());
                assertTrue(checked.ok() || checked.diagnostics().all().stream().noneMatch(d -> d.code().name().startsWith("HY00")),
                        () -> "the importer printed something that does not parse:\n" + r.hyena() + render(checked.diagnostics().all()));
            }
        }
    }

    /** The language itself must read the printed stripe back as the same layers (not just our expander). */
    @Test
    void importedStripesElaborateToTheConfiguredLayers() {
        java.util.Random rnd = new java.util.Random(11);
        Map<String, String> template = Map.of("hcs_layer_idxs", "hyena_se", "hcm_layer_idxs", "hyena_mr",
                "hcl_layer_idxs", "hyena_li", "attn_layer_idxs", "attention");
        List<String> keys = List.of("hcs_layer_idxs", "hcm_layer_idxs", "hcl_layer_idxs", "attn_layer_idxs");
        for (int trial = 0; trial < 25; trial++) {
            int numLayers = 1 + rnd.nextInt(30);
            Map<String, List<Integer>> lists = new java.util.LinkedHashMap<>();
            keys.forEach(k -> lists.put(k, new ArrayList<>()));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < numLayers; i++) {
                if (trial % 2 == 1 && rnd.nextInt(4) == 0) continue; // absent layer
                String key = keys.get(rnd.nextInt(trial % 3 == 0 ? 2 : 4));
                lists.get(key).add(i);
                expected.add(template.get(key));
            }
            if (expected.isEmpty()) continue;
            StringBuilder yaml = new StringBuilder(MINIMAL.replaceAll("(?m)^(hc[sml]|attn)_layer_idxs: .*\\n", "")
                    .replace("num_layers: 4", "num_layers: " + numLayers));
            lists.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
            VortexImporter.Result r = VortexImporter.convert(new SourceFile("random.yml", yaml.toString()));
            assertTrue(r.ok(), () -> yaml + render(r.diagnostics().all()));
            Checker.Result checked = Checker.checkSource(new SourceFile("random.hyena", r.hyena()), null);
            assertTrue(checked.ok(), () -> r.hyena() + render(checked.diagnostics().all()));
            List<String> mixers = checked.models().getFirst().layers().stream().map(Elaborated.Layer::mixer).toList();
            assertEquals(expected, mixers, r.hyena());
        }
    }

    @Test
    void modelNamesBecomeIdentifiers() {
        assertEquals("shc_evo2_7b_8k_2T_v2", VortexImporter.identifier("shc-evo2-7b-8k-2T-v2"));
        assertEquals("_7b", VortexImporter.identifier("7b"));
        assertEquals("model_", VortexImporter.identifier("model"));
        assertEquals("a_b", VortexImporter.identifier("a.b"));
    }

    @Test
    void numbersPrintShortAndExact() {
        assertEquals("1e4", VortexImporter.formatNumber(10000));
        assertEquals("1e6", VortexImporter.formatNumber(1_000_000));
        assertEquals("1e-6", VortexImporter.formatNumber(0.000001));
        assertEquals("128", VortexImporter.formatNumber(128));
        assertEquals("0.5", VortexImporter.formatNumber(0.5));
        assertEquals("25000", VortexImporter.formatNumber(25000));
        assertEquals("2.5e-7", VortexImporter.formatNumber(2.5e-7));
        for (double v : new double[] {1e4, 1e-6, 0.1, 1.0 / 3, 123456.789, 5e5, 3e-12}) {
            assertEquals(v, Double.parseDouble(VortexImporter.formatNumber(v)));
        }
    }
}
