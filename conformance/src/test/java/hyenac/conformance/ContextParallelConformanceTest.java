package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.cp.CpMode;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The vortex reference set, every sequence split over N in-process ranks, within the one-rank tolerances. */
class ContextParallelConformanceTest {
    static final Path DATA = Path.of(System.getProperty("hyenac.root", ".."), "conformance/data/vortex");

    @ParameterizedTest(name = "N={0} {1}")
    @CsvSource({"2, auto", "2, a2a", "2, p2p", "4, auto", "4, a2a", "4, p2p"})
    void everyCasePasses(int ranks, String mode) throws Exception {
        List<VortexConformance.CaseResult> results = VortexConformance.run(DATA, UnaryOperator.identity(), VortexConformance.Target.CPU,
                new VortexConformance.ContextParallel(ranks, CpMode.of(mode)));
        assertTrue(results.size() >= 8, "cases: " + results.size());
        String failed = results.stream().filter(r -> !r.ok()).map(r -> r.file() + ": " + (r.error() != null ? r.error()
                : r.checks().stream().filter(c -> !c.ok()).map(c -> c.tensor() + " rel " + c.relative()).toList())).collect(Collectors.joining("\n"));
        assertTrue(failed.isEmpty(), failed);
    }
}
