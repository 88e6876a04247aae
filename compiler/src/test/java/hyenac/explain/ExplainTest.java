package hyenac.explain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.dsl.check.EvalValue;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * explain counts over the graph IR; these tests hold it to an independent count over the checker's
 * elaborated model (how explain used to count), row by row, on every sample.
 */
class ExplainTest {
    static Path root() { return Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize(); }

    static List<Elaborated.Model> samples() throws IOException {
        List<Elaborated.Model> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(root().resolve("samples"))) {
            for (Path spec : files.filter(p -> p.toString().endsWith(".hyena")).sorted().toList()) {
                Checker.Result r = Checker.check(List.of(spec));
                assertTrue(r.ok(), spec + ": " + r.diagnostics().all());
                out.addAll(r.models());
            }
        }
        assertTrue(out.size() >= 8, "every sample declares a model");
        return out;
    }

    @Test
    void theElaboratedGraphCountsExactlyAsTheCheckerDoes() throws IOException {
        for (Elaborated.Model m : samples()) {
            for (long context : new long[] {m.context(), 1024}) {
                Explain.Report r = Explain.of(ToGraph.of(m), context);
                assertEquals(Oracle.rows(m, context), r.rows(), m.name() + " at " + context);
                assertEquals(m.parameters(), r.parameters(), m.name());
                assertEquals(m.name(), r.model());
                assertEquals(m.width(), r.width());
                assertEquals(m.vocab(), r.vocab());
                assertEquals(m.dtype(), r.dtype());
                assertEquals(m.layers().size(), r.layers());
            }
        }
    }

    /**
     * After the passes the parameters and FLOPs are unchanged on every sample; the activation bytes
     * drop by exactly what the eliminated identities wrote (the passes remove nothing else there).
     */
    @Test
    void afterThePassesOnlyTheEliminatedIdentitiesStopCounting() throws IOException {
        for (Elaborated.Model m : samples()) {
            Graph before = ToGraph.of(m);
            Graph after = PassManager.standard().run(before);
            Set<Integer> kept = after.nodes().stream().map(Node::id).collect(Collectors.toSet());
            List<Node> removed = before.nodes().stream().filter(n -> !kept.contains(n.id())).toList();
            assertTrue(removed.stream().allMatch(n -> n.op().equals("identity")), m.name() + ": " + removed);

            List<Explain.Row> want = Oracle.rows(m, m.context());
            Explain.Report r = Explain.of(after, m.context());
            assertEquals(want.size(), r.rows().size());
            for (int i = 0; i < want.size(); i++) {
                Explain.Row w = want.get(i), got = r.rows().get(i);
                String where = m.name() + " row " + i;
                assertEquals(w.index(), got.index(), where);
                assertEquals(w.operator(), got.operator(), where);
                assertEquals(w.parameters(), got.parameters(), where);
                assertEquals(w.flopsPerToken(), got.flopsPerToken(), where);
                String layer = w.index().equals("-") ? null : "layers." + w.index();
                double gone = removed.stream().filter(n -> layer != null && (n.path() + ".").startsWith(layer + "."))
                        .mapToDouble(n -> Explain.bytes(before, n)).sum();
                assertEquals(w.activationBytesPerToken() - gone, got.activationBytesPerToken(), where);
            }
            assertEquals(m.parameters(), r.parameters(), m.name());
        }
    }

    @Test
    void evo2TotalsArePinned() throws IOException {
        Elaborated.Model m = samples().stream().filter(x -> x.name().equals("evo2_7b")).findFirst().orElseThrow();
        Explain.Report r = Explain.of(PassManager.standard().run(ToGraph.of(m)), m.context());
        assertEquals(6_481_059_584L, r.parameters());
        assertEquals(34, r.rows().size(), "embedding, 32 layers, head");
        assertEquals("hyena_se", r.rows().get(1).operator());
        assertEquals("attention", r.rows().get(4).operator());
    }

    @Test
    void aWeightReadTwiceCountsOnce() throws IOException {
        Elaborated.Model m = samples().stream().filter(x -> x.name().equals("sh2_tiny")).findFirst().orElseThrow();
        Graph g = ToGraph.of(m);
        long readers = g.nodes().stream().filter(n -> n.weights().containsValue("embedding.weight")).count();
        assertEquals(2, readers, "the embedding and the tied unembedding");
        Explain.Report r = Explain.of(g, m.context());
        assertEquals(512L * 64, r.rows().getFirst().parameters());
        assertEquals(64, r.rows().getLast().parameters(), "the head holds only the final norm's scale");
        assertEquals("head (norm, tied unembedding)", r.rows().getLast().operator());
    }

    /** The count explain made over the checker's model before it moved to the graph, kept as the reference. */
    static final class Oracle {
        static List<Explain.Row> rows(Elaborated.Model m, long context) {
            List<Explain.Row> rows = new ArrayList<>();
            rows.add(new Explain.Row("-", "embedding", sum(m.embedding()), 0, bytes(m, m.headNodes().subList(0, 1))));
            for (Elaborated.Layer layer : m.layers()) {
                rows.add(new Explain.Row(Integer.toString(layer.index()), layer.mixer(), layer.parameters(),
                        flops(m, layer.nodes(), context), bytes(m, layer.nodes())));
            }
            List<Elaborated.Node> head = m.headNodes().subList(1, m.headNodes().size());
            rows.add(new Explain.Row("-", "head (norm, tied unembedding)", sum(m.head()), flops(m, head, context), bytes(m, head)));
            return rows;
        }

        static long sum(List<Elaborated.Weight> weights) {
            return weights.stream().mapToLong(Elaborated.Weight::elements).sum();
        }

        static double flops(Elaborated.Model m, List<Elaborated.Node> nodes, long l) {
            double total = 0;
            for (Elaborated.Node n : nodes) {
                long in = n.inputs().isEmpty() ? 0 : m.width(n.inputs().getFirst());
                long out = n.outputs().isEmpty() ? 0 : m.width(n.outputs().getFirst());
                total += switch (n.op()) {
                    case "linear" -> 2.0 * in * out;
                    case "unembed" -> 2.0 * in * m.vocab();
                    case "causal_conv" -> 2.0 * ((EvalValue.Int) n.args().get("len")).value() * in;
                    case "modal_conv" -> {
                        double fft = 2.0 * l;
                        yield in * (10 * fft * (Math.log(fft) / Math.log(2)) + 6 * fft) / l;
                    }
                    case "causal_attention" -> 2.0 * l * in;
                    default -> 0;
                };
            }
            return total;
        }

        static double bytes(Elaborated.Model m, List<Elaborated.Node> nodes) {
            int size = m.dtype().equals("fp32") ? 4 : 2;
            double total = 0;
            for (Elaborated.Node n : nodes) for (int out : n.outputs()) total += (double) Math.max(0, m.width(out)) * size;
            return total;
        }
    }
}
