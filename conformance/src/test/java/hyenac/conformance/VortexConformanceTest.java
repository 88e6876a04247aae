package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The shared vortex reference set through the whole pipeline on the CPU backend (tolerance and its
 * justification: {@link VortexConformance#RELATIVE_TOLERANCE}).
 */
class VortexConformanceTest {
    static Path shared() {
        return Path.of(System.getProperty("hyenac.root", "..")).resolve("../shared/conformance/vortex").normalize();
    }

    @Test
    void everyParallelCaseReproducesTheReference() throws Exception {
        List<VortexConformance.CaseResult> results = VortexConformance.run(shared());
        List<VortexConformance.CaseResult> parallel = results.stream().filter(r -> !r.kind().equals("model_decode")).toList();
        assertTrue(parallel.size() >= 6, "op cases and the model forward: " + results);
        for (VortexConformance.CaseResult r : parallel) {
            String detail = r.error() != null ? r.error() : r.checks().stream().filter(c -> !c.ok())
                    .map(c -> c.tensor() + " rel " + c.relative()).collect(Collectors.joining(", "));
            assertTrue(r.ok(), r.file() + ": " + detail);
        }
        // Every output the files hold is compared, not just some.
        for (VortexConformance.CaseResult r : parallel) {
            assertTrue(r.checks().stream().anyMatch(c -> c.tensor().equals("output.block_out") || c.tensor().equals("output.logits")), r.file());
        }
        VortexConformance.CaseResult forward = parallel.stream().filter(r -> r.kind().equals("model_forward")).findFirst().orElseThrow();
        assertEquals(1 + 7 + 2, forward.checks().size(), "logits, every layer's output, the embedding and the final norm");
    }

    @Test
    void decodeCasesAreReportedNotSilentlyPassed() throws Exception {
        for (VortexConformance.CaseResult r : VortexConformance.run(shared())) {
            if (r.kind().equals("model_decode")) assertTrue(!r.ok() && r.error() != null, r.file());
        }
    }
}
