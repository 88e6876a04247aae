package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sample model, narrowed (width 32, 4 filter groups, 2 heads of 16, MLP 48; depth, stripes and operators as
 * written), differentiated and checked against central differences: every weight of the first layer of each operator
 * kind (filter parameters included: SE/MR taps, MR decay, LI poles and residues), the tied embedding and the final norm.
 * Bound: relative error of each directional derivative below 1e-3 (measured at most 7.1e-6 from the savanna start, 7.2e-4 from unscaled linears), where derivatives smaller than a tenth of the model's
 * median count as that tenth: a tensor whose gradient is tiny beside the rest (a deep model's first featurizer) carries
 * the fp32 rounding of the whole backward pass, which is small against the model's gradients but not against its own.
 * (The per-primitive test holds every tensor to the plain relative bound.)
 */
class SampleGradientTest {
    static final Path SAMPLES = Path.of("..", "samples");
    static final double BOUND = 1e-3;

    static Stream<String> samples() throws IOException {
        try (Stream<Path> s = Files.list(SAMPLES)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".hyena")).sorted().toList().stream();
        }
    }

    /** The same architecture at test size. */
    static String narrowed(String spec) {
        return spec.replaceAll("width = \\d+", "width = 32")
                .replaceAll("let g = \\d+", "let g = 4")
                .replaceAll("groups: int = width / 16", "groups: int = 4")
                .replaceAll("hidden = \\d+", "hidden = 48")
                .replaceAll("heads = \\d+", "heads = 2")
                .replaceAll("head_dim = \\d+", "head_dim = 16");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void gradientsMatchCentralDifferences(String sample) throws IOException {
        String spec = narrowed(Files.readString(SAMPLES.resolve(sample)));
        Graph g = GradCheck.training(sample, spec);
        assertEquals(32L, g.weights().get("final_norm.scale").shape().getFirst(), "the sample was narrowed");
        WeightStore w = Parameters.initial(g, 3);
        Set<String> kinds = new LinkedHashSet<>();
        List<String> checked = new ArrayList<>(List.of("embedding.weight", "final_norm.scale"));
        for (int i = 0; g.attrs().containsKey("layers." + i + ".mixer"); i++) {
            if (!kinds.add((String) g.attrs().get("layers." + i + ".mixer"))) continue;
            String prefix = "layers." + i + ".";
            g.weights().keySet().stream().filter(k -> k.startsWith(prefix)).forEach(checked::add);
        }
        List<GradCheck.Outcome> outcomes = GradCheck.check(g, w, checked, 2, 8, 5, PrimitiveGradientTest.EPS);
        double[] sizes = outcomes.stream().mapToDouble(o -> Math.abs(o.numeric())).sorted().toArray();
        double floor = 0.1 * sizes[sizes.length / 2];
        double worst = 0;
        for (GradCheck.Outcome o : outcomes) {
            double error = Math.abs(o.analytic() - o.numeric()) / Math.max(floor, Math.max(Math.abs(o.analytic()), Math.abs(o.numeric())));
            assertTrue(error < BOUND, sample + ": " + o + " (floor " + floor + ")");
            worst = Math.max(worst, error);
        }
        System.out.printf("gradient check %s: worst relative error %.2e%n", sample, worst); // what the README quotes
    }
}
