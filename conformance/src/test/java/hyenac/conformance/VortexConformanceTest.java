package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The vortex reference set through the whole pipeline on the CPU backend (tolerance and its
 * justification: {@link VortexConformance#RELATIVE_TOLERANCE}).
 */
class VortexConformanceTest {
    static Path vortexDir() {
        return Path.of(System.getProperty("hyenac.root", "..")).resolve("conformance/data/vortex").normalize();
    }

    @Test
    void everyCaseReproducesTheReference() throws Exception {
        List<VortexConformance.CaseResult> results = VortexConformance.run(vortexDir());
        assertTrue(results.size() >= 8, "op cases, the model forward and the decodes: " + results);
        for (VortexConformance.CaseResult r : results) {
            String detail = r.error() != null ? r.error() : r.checks().stream().filter(c -> !c.ok())
                    .map(c -> c.tensor() + " rel " + c.relative()).collect(Collectors.joining(", "));
            assertTrue(r.ok(), r.file() + ": " + detail);
            assertTrue(r.checks().stream().anyMatch(c -> c.tensor().startsWith("output.")), r.file() + " compares its outputs");
        }
        VortexConformance.CaseResult forward = results.stream().filter(r -> r.kind().equals("model_forward")).findFirst().orElseThrow();
        assertEquals(1 + 7 + 2, forward.checks().size(), "logits, every layer's output, the embedding and the final norm");
    }

    @Test
    void decodingMatchesTokensExactlyAndTheParallelPass() throws Exception {
        for (VortexConformance.CaseResult r : VortexConformance.run(vortexDir())) {
            if (!r.kind().equals("model_decode")) continue;
            List<String> names = r.checks().stream().map(VortexConformance.Check::tensor).toList();
            assertTrue(names.contains("output.tokens") && names.contains("output.step_logits"), names.toString());
            assertTrue(names.contains("decode vs our parallel pass"), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.endsWith(".iir")) && names.stream().anyMatch(n -> n.endsWith(".k_cache")),
                    "recurrent states are compared: " + names);
        }
    }

    /** The same reference set with the prelude's Hyena operators replaced by user-written copies. */
    @Test
    void userCopiesOfTheHyenaOperatorsReproduceEveryCaseDecodeIncluded() throws Exception {
        Path copies = Path.of(VortexConformanceTest.class.getResource("/user-hyena.hyena").toURI());
        List<VortexConformance.CaseResult> results = VortexConformance.run(vortexDir(), spec -> {
            assertTrue(spec.contains("hyena_se(") || spec.contains("hyena_li(") || spec.contains("attention("), spec);
            return spec.replace("import \"std\"", "import \"std\"\nimport \"" + copies + "\"")
                    .replace("hyena_se(", "short_conv_mixer(").replace("hyena_mr(", "medium_conv_mixer(")
                    .replace("hyena_li(", "long_conv_mixer(");
        });
        assertTrue(results.size() >= 8);
        for (VortexConformance.CaseResult r : results) {
            assertTrue(r.ok(), r.file() + ": " + (r.error() != null ? r.error() : r.checks().stream()
                    .filter(c -> !c.ok()).map(VortexConformance.Check::tensor).toList()));
        }
    }
}
