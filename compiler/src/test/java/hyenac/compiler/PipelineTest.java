package hyenac.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.passes.EliminateCommonSubexpressions;
import hyenac.compiler.passes.EliminateDeadCode;
import hyenac.compiler.passes.EliminateIdentities;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.source.SourceFile;
import hyenac.ir.Dot;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Printer;
import hyenac.ir.Verifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PipelineTest {
    static Path root() { return Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize(); }

    static Graph elaborate(Path spec) {
        Checker.Result r = Checker.check(List.of(spec));
        assertTrue(r.ok(), r.diagnostics().all().toString());
        return ToGraph.of(r.models().getFirst());
    }

    static Graph elaborate(String text) {
        Checker.Result r = Checker.checkSource(new SourceFile("t.hyena", text), null);
        assertTrue(r.ok(), r.diagnostics().all().toString());
        return ToGraph.of(r.models().getFirst());
    }

    static long count(Graph g, String op) { return g.nodes().stream().filter(n -> n.op().equals(op)).count(); }

    @Test
    void everySampleSurvivesThePipelineWithTheVerifierAfterEachPass() throws IOException {
        try (Stream<Path> files = Files.list(root().resolve("samples"))) {
            for (Path spec : files.filter(p -> p.toString().endsWith(".hyena")).sorted().toList()) {
                Graph g = elaborate(spec);
                assertTrue(Verifier.problems(g).isEmpty(), spec + ": " + Verifier.problems(g));
                Graph out = PassManager.standard().verifyEach(true).run(g);
                assertEquals(1, out.outputs().size());
                assertTrue(out.probes().containsKey("logits"), spec.toString());
            }
        }
    }

    @Test
    void identitiesDisappearAndTheirUsersReadTheOperand() {
        Graph g = elaborate(root().resolve("samples/evo2-7b.hyena"));
        assertEquals(31, count(g, "identity"), "every MLP after layer 0 applies identity");
        Graph out = new EliminateIdentities().run(g);
        Verifier.verify(out, "test");
        assertEquals(0, count(out, "identity"));
        assertEquals(count(g, "linear"), count(out, "linear"));
        assertEquals(g.nodes().size() - 31, out.nodes().size());
    }

    @Test
    void commonSubexpressionsMergeButWeightReadersStay() {
        String spec = "op f() (x) { out gelu(x) * gelu(x) }\nblock b(mixer: op) (x) { op p = linear(features = 4)\n out p(mixer(x)) + p(mixer(x)) }\n"
                + "model m { vocab = 8\n width = 4\n context = 16\n block = b\n layers = [f] }\n";
        Graph g = elaborate(spec);
        assertEquals(4, count(g, "gelu"));
        Graph out = new EliminateCommonSubexpressions().run(g);
        Verifier.verify(out, "test");
        assertEquals(1, count(out, "gelu"));
        assertEquals(2, count(out, "linear"), "nodes that read weights are not merged");
    }

    @Test
    void deadCodeGoesAndItsProbesWithIt() {
        String spec = "op f() (x) { _dead = silu(gelu(x))\n out x * x }\nblock b(mixer: op) (x) { out mixer(x) }\n"
                + "model m { vocab = 8\n width = 4\n context = 16\n block = b\n layers = [f] }\n";
        Graph g = elaborate(spec);
        assertTrue(g.probes().containsKey("layers.0.mixer._dead"));
        Graph out = new EliminateDeadCode().run(g);
        Verifier.verify(out, "test");
        assertEquals(0, count(out, "silu") + count(out, "gelu"));
        assertTrue(!out.probes().containsKey("layers.0.mixer._dead"));
        assertEquals(1, count(out, "mul"));
    }

    @Test
    void printingIsDeterministicAndMatchesTheGolden() throws IOException {
        Path spec = root().resolve("samples/sh2-tiny.hyena");
        String first = Printer.print(PassManager.standard().run(elaborate(spec)));
        String second = Printer.print(PassManager.standard().run(elaborate(spec)));
        assertEquals(first, second);
        String text = first.replace(root() + "/", "");
        Path golden = root().resolve("compiler/src/test/resources/golden/sh2-tiny.ir");
        if (Boolean.getBoolean("hyenac.updateGoldens") || !Files.exists(golden)) Files.writeString(golden, text);
        assertEquals(Files.readString(golden), text, "run with -Dhyenac.updateGoldens=true after an intended change");
    }

    @Test
    void dotHasOneBoxPerNodeAndOneEdgePerOperand() {
        Graph g = PassManager.standard().run(elaborate(root().resolve("samples/sh2-tiny.hyena")));
        String dot = Dot.export(g, "sh2_tiny");
        assertEquals(g.nodes().size(), dot.lines().filter(l -> l.matches("\\s+n\\d+ \\[label=.*")).count());
        long operands = g.nodes().stream().mapToLong(n -> n.operands().size()).sum();
        assertEquals(operands, dot.lines().filter(l -> l.matches("\\s+(n|in)\\d+ -> n\\d+ .*")).count());
        assertEquals(g.nodes().size(), g.dag().vertexSet().size());
    }

    @Test
    void originsPointAtTheUserCodeThenThePrelude() {
        Graph g = elaborate(root().resolve("samples/sh2-tiny.hyena"));
        Node proj = g.nodes().stream().filter(n -> n.path().equals("layers.0.mixer.proj_in")).findFirst().orElseThrow();
        assertEquals(2, proj.origins().size());
        assertTrue(proj.origins().get(0).file().endsWith("sh2-tiny.hyena"));
        assertEquals(12, proj.origins().get(0).line(), "op se = hyena_se(…) in the sample");
        assertEquals("std", proj.origins().get(1).file());
    }
}
