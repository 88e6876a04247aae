package hyenac.compiler.kernels;

import static hyenac.compiler.kernels.KernelPipelineTest.costs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.artifact.Executable;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Phase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hyenac tune's measurements: kept per device, shape and version in one file, and chosen by where they cover a choice. */
class TuningTest {
    private static final String VERSION = Executable.hyenacVersion();

    private static Node conv(Graph g) { return g.nodes().stream().filter(n -> n.op().equals("causal_conv")).findFirst().orElseThrow(); }

    private static String key(Graph g) { return Tuning.key(g, conv(g), KernelPipeline.REFERENCE); }

    private static Tuning.Entry entry(String device, String key, Object... secondsByAlgorithm) {
        Map<Algorithm, Double> s = costs(secondsByAlgorithm);
        return new Tuning.Entry(device, VERSION, key, s, "2026-12-07T12:00:00Z");
    }

    private static SelectAlgorithms.Choice choose(Graph g, KernelPipelineTest.FakeLowering target, SelectAlgorithms.Guides guides) {
        KernelPipeline p = new KernelPipeline(g, target, false, guides);
        return p.choices(Phase.PARALLEL).getFirst();
    }

    @Test
    void aMeasurementOfEveryOfferOnTheTargetsDeviceWinsOverTheCostModel(@TempDir Path dir) {
        Graph g = KernelPipelineTest.graph();
        // the model thinks fft cheaper; the device measured direct faster
        var target = new KernelPipelineTest.FakeLowering(costs(Algorithm.DIRECT, 2.0, Algorithm.FFT, 1.0));
        Tuning measured = Tuning.of(dir.resolve("t.json"), List.of(entry("fake", key(g), Algorithm.DIRECT, 1e-3, Algorithm.FFT, 3e-3)));
        SelectAlgorithms.Choice c = choose(g, target, new SelectAlgorithms.Guides(measured, null, Map.of()));
        assertEquals(Algorithm.DIRECT, c.algorithm());
        assertEquals(SelectAlgorithms.Basis.MEASURED, c.basis());
        assertEquals(Map.of(Algorithm.DIRECT, 1e-3, Algorithm.FFT, 3e-3), c.costs(), "the measured times are what it was weighed by");

        StringWriter out = new StringWriter();
        new KernelPipeline(g, target, false, new SelectAlgorithms.Guides(measured, null, Map.of()))
                .printAfter(Set.of("select-algorithms"), new PrintWriter(out)).plan(Phase.PARALLEL);
        assertTrue(out.toString().contains("-> direct  measured (direct 1.00e+03 us, fft 3.00e+03 us)"), out.toString());

        // another GPU's measurements, or one that missed an offer, leave the choice to the model
        Tuning elsewhere = Tuning.of(dir.resolve("t.json"), List.of(entry("other GPU", key(g), Algorithm.DIRECT, 1e-3, Algorithm.FFT, 3e-3)));
        assertEquals(SelectAlgorithms.Basis.MODEL, choose(g, target, new SelectAlgorithms.Guides(elsewhere, null, Map.of())).basis());
        Tuning partial = Tuning.of(dir.resolve("t.json"), List.of(entry("fake", key(g), Algorithm.DIRECT, 1e-3)));
        SelectAlgorithms.Choice byModel = choose(g, target, new SelectAlgorithms.Guides(partial, null, Map.of()));
        assertEquals(List.of(Algorithm.FFT, SelectAlgorithms.Basis.MODEL), List.of(byModel.algorithm(), byModel.basis()));
    }

    @Test
    void anArtifactsStoredChoiceComesFirstThenAPreferredOne(@TempDir Path dir) {
        Graph g = KernelPipelineTest.graph();
        var target = new KernelPipelineTest.FakeLowering(costs(Algorithm.DIRECT, 2.0, Algorithm.FFT, 1.0, Algorithm.BLOCKED, 3.0));
        Tuning measured = Tuning.of(dir.resolve("t.json"), List.of(entry("fake", key(g), Algorithm.DIRECT, 1e-3, Algorithm.FFT, 3e-3, Algorithm.BLOCKED, 4e-3)));
        var stored = Map.of(Phase.PARALLEL, Map.of(conv(g).id(), Algorithm.BLOCKED));
        SelectAlgorithms.Choice c = choose(g, target, new SelectAlgorithms.Guides(measured, Algorithm.FFT, stored));
        assertEquals(List.of(Algorithm.BLOCKED, SelectAlgorithms.Basis.STORED), List.of(c.algorithm(), c.basis()));
        c = choose(g, target, new SelectAlgorithms.Guides(measured, Algorithm.FFT, Map.of(Phase.STEP, Map.of(conv(g).id(), Algorithm.BLOCKED))));
        assertEquals(List.of(Algorithm.FFT, SelectAlgorithms.Basis.PREFERRED), List.of(c.algorithm(), c.basis()), "stored for another phase");
        KernelPipeline pinned = new KernelPipeline(g, target, false, new SelectAlgorithms.Guides(measured, null, Map.of())).withStored(stored);
        assertEquals(Algorithm.BLOCKED, pinned.choices(Phase.PARALLEL).getFirst().algorithm());
    }

    @Test
    void theFileKeepsEveryMeasurementAndOtherVersionsUntouched(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cache/hyenac/tuning.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
                {"measurements": [
                  {"device": "GPU A", "hyenac": "0.0.1", "key": "old", "ms": {"direct": 5.0}, "measured": "2025-01-01T00:00:00Z"}
                ]}
                """);
        Tuning t = Tuning.load(file);
        assertTrue(t.isEmpty(), "another version's kernels are not this one's");
        t.put(entry("GPU A", "causal_conv len=128", Algorithm.DIRECT, 1.5e-3, Algorithm.BLOCKED, 0.2e-3));
        t.put(entry("GPU B", "causal_conv len=128", Algorithm.DIRECT, 1.0e-3, Algorithm.BLOCKED, 2.0e-3));
        t.save();
        Tuning back = Tuning.load(file);
        assertEquals(Algorithm.BLOCKED, back.find("GPU A", "causal_conv len=128").orElseThrow().fastest());
        assertEquals(Algorithm.DIRECT, back.find("GPU B", "causal_conv len=128").orElseThrow().fastest());
        assertEquals(1.5e-3, back.find("GPU A", "causal_conv len=128").orElseThrow().seconds().get(Algorithm.DIRECT), 1e-12);
        assertTrue(back.find("GPU C", "causal_conv len=128").isEmpty());
        String text = Files.readString(file);
        assertTrue(text.contains("\"hyenac\": \"0.0.1\"") && text.contains("\"key\": \"old\""), "the old version's entry is kept: " + text);
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file left beside it");
        }
    }

    @Test
    void aMissingFileIsEmptyAndABrokenOneIsNamedWithWhatToDo(@TempDir Path dir) throws IOException {
        assertTrue(Tuning.load(dir.resolve("none.json")).isEmpty());
        Path broken = dir.resolve("tuning.json");
        Files.writeString(broken, "{\"measurements\": [{\"device\": \"GPU\"}]}");
        var e = assertThrows(IllegalArgumentException.class, () -> Tuning.load(broken));
        assertTrue(e.getMessage().startsWith(broken + ": not a hyenac tuning file") && e.getMessage().contains("hyenac tune")
                && e.getMessage().contains("-Dhyenac.tuning=off"), e.getMessage());
        Files.writeString(broken, "not json at all {");
        assertThrows(IllegalArgumentException.class, () -> Tuning.load(broken));
    }

    @Test
    void theKeyNamesWhatTheTimesDependOn() {
        Graph g = KernelPipelineTest.graph();
        assertEquals("causal_conv len=3 channels=4 dtype=fp32 B=1 L=8192", key(g));
    }
}
