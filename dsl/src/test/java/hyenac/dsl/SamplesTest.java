package hyenac.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.ModuleLoader;
import hyenac.dsl.check.EvalValue;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.diag.HumanRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The samples are the language's showcase: they must check without a single diagnostic. */
class SamplesTest {
    static Elaborated.Model model(String sample) {
        Checker.Result r = Checker.check(List.of(TestFiles.samples().resolve(sample)));
        assertTrue(r.diagnostics().all().isEmpty(), render(r.diagnostics()));
        assertEquals(1, r.models().size());
        return r.models().getFirst();
    }

    static String render(Diagnostics d) {
        return d.all().stream().map(HumanRenderer::render).collect(Collectors.joining());
    }

    @Test
    void everySampleChecksWithoutDiagnostics() throws IOException {
        try (Stream<Path> files = Files.list(TestFiles.samples())) {
            List<Path> samples = files.filter(p -> p.toString().endsWith(".hyena")).sorted().toList();
            assertTrue(samples.size() >= 8, "samples: " + samples);
            Checker.Result r = Checker.check(samples);
            assertTrue(r.diagnostics().all().isEmpty(), render(r.diagnostics()));
            assertEquals(samples.size(), r.models().size());
        }
    }

    @Test
    void thePreludeChecksCleanOnItsOwn() {
        Diagnostics diags = new Diagnostics();
        var prelude = new ModuleLoader(diags).prelude();
        assertTrue(diags.all().isEmpty(), render(diags));
        assertEquals(List.of("hyena_se", "hyena_mr", "hyena_li", "attention", "gated_mlp", "prenorm"),
                List.copyOf(prelude.declared().keySet()));
    }

    /** SEMANTICS.md §3: every tensor of the reference state dict, buffers excluded. */
    @ParameterizedTest
    @CsvSource({
        "evo2-1b.hyena, 1107989760, 25",
        "evo2-7b.hyena, 6481059584, 32",
        "evo2-40b.hyena, 40331142144, 50",
        "evo2-7b-1m.hyena, 6581722880, 32",
        "evo2-40b-1m.hyena, 41117574144, 50",
        "sh2-tiny.hyena, 394296, 7",
    })
    void parameterTotalsMatchTheReference(String sample, long parameters, int layers) {
        Elaborated.Model m = model(sample);
        assertEquals(parameters, m.parameters());
        assertEquals(layers, m.layers().size());
    }

    /** The released stripe patterns, SEMANTICS.md §3. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "evo2-1b.hyena; 0,4,7,11,14,18,21; 1,5,8,12,15,19,22; 2,6,9,13,16,20,23; 3,10,17,24",
        "evo2-7b.hyena; 0,4,7,11,14,18,21,25,28; 1,5,8,12,15,19,22,26,29; 2,6,9,13,16,20,23,27,30; 3,10,17,24,31",
        "evo2-40b.hyena; 0,4,7,11,14,18,21,25,28,32,36,39,43,46; 1,5,8,12,15,19,22,26,29,33,37,40,44,47; 2,6,9,13,16,20,23,27,30,34,38,41,45,48; 3,10,17,24,31,35,42,49",
    })
    void stripesReproduceTheReleasedLayouts(String sample, String se, String mr, String li, String mha) {
        Elaborated.Model m = model(sample);
        Map<String, String> expected = Map.of("hyena_se", se, "hyena_mr", mr, "hyena_li", li, "attention", mha);
        for (var e : expected.entrySet()) {
            String got = m.layers().stream().filter(l -> l.mixer().equals(e.getKey()))
                    .map(l -> Integer.toString(l.index())).collect(Collectors.joining(","));
            assertEquals(e.getValue(), got, e.getKey());
        }
    }

    @Test
    void onlyLayerZeroUsesGelu() {
        Elaborated.Model m = model("evo2-7b.hyena");
        for (Elaborated.Layer layer : m.layers()) {
            EvalValue.Op mlp = (EvalValue.Op) layer.config().args().get("mlp").value();
            String act = ((EvalValue.Op) mlp.args().get("act").value()).template().name();
            assertEquals(layer.index() == 0 ? "gelu" : "identity", act, "layer " + layer.index());
            boolean gelu = layer.nodes().stream().anyMatch(n -> n.op().equals("gelu"));
            assertEquals(layer.index() == 0, gelu, "layer " + layer.index() + " applies gelu");
        }
    }

    @Test
    void weightNamesFollowBindingPaths() {
        Elaborated.Model m = model("sh2-tiny.hyena");
        Map<String, List<Long>> shapes = m.weights().stream()
                .collect(Collectors.toMap(Elaborated.Weight::name, Elaborated.Weight::shape));
        assertEquals(List.of(512L, 64L), shapes.get("embedding.weight"));
        assertEquals(List.of(192L, 64L), shapes.get("layers.0.mixer.proj_in.weight"));
        assertEquals(List.of(192L, 3L), shapes.get("layers.0.mixer.featurizer.weight"));
        assertEquals(List.of(4L, 7L), shapes.get("layers.0.mixer.filter.weight"));
        assertEquals(List.of(4L, 128L), shapes.get("layers.1.mixer.filter.weight"));
        assertEquals(List.of(64L), shapes.get("layers.1.mixer.filter.skip"));
        assertEquals(List.of(64L, 16L), shapes.get("layers.2.mixer.filter.log_poles"));
        assertEquals(List.of(192L, 64L), shapes.get("layers.3.mixer.qkv.weight"));
        assertEquals(List.of(64L), shapes.get("layers.3.mixer.proj_out.bias"));
        assertEquals(List.of(176L, 64L), shapes.get("layers.6.mlp.w1.weight"));
        assertEquals(List.of(64L), shapes.get("layers.6.pre_norm.scale"));
        assertEquals(List.of(64L), shapes.get("final_norm.scale"));
        assertTrue(!shapes.containsKey("layers.0.mixer.filter.skip"), "Hyena-SE has no skip");
        // Deterministic: the same spec gives the same names in the same order.
        assertEquals(m.weights().stream().map(Elaborated.Weight::name).toList(),
                model("sh2-tiny.hyena").weights().stream().map(Elaborated.Weight::name).toList());
    }

    @Test
    void tapOrderIsAStatedLayoutFact() {
        Elaborated.Model m = model("sh2-tiny.hyena");
        Map<String, String> layout = m.weights().stream()
                .collect(Collectors.toMap(Elaborated.Weight::name, Elaborated.Weight::layout));
        assertTrue(layout.get("layers.0.mixer.filter.weight").startsWith("cross-correlation order"));
        assertTrue(layout.get("layers.1.mixer.filter.weight").startsWith("FIR order"));
    }

    @Test
    void overridesReplaceLayers() {
        Elaborated.Model m = model("custom-ops.hyena");
        assertEquals(List.of("hyena_x", "hyena_li", "hyena_x", "attention", "hyena_x", "hyena_li", "hyena_x", "hyena_li"),
                m.layers().stream().map(Elaborated.Layer::mixer).toList());
    }

    @Test
    void valuesAreNamedByBindingPathForProbes() {
        Elaborated.Model m = model("sh2-tiny.hyena");
        for (String name : List.of("tokens", "embedding", "layers.0.mixer.q", "layers.0.mixer.v", "layers.0.r",
                "layers.3.mixer.k", "layers.6", "final_norm", "logits")) {
            assertTrue(m.probes().containsKey(name), name + " in " + m.probes().keySet());
        }
        assertEquals(64L, m.width(m.probes().get("layers.0.mixer.q")));
        assertEquals(512L, m.width(m.probes().get("logits")));
    }
}
