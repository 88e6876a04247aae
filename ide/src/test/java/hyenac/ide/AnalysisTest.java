package hyenac.ide;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class AnalysisTest {
    @Test
    void aModelCutOffInALayerOverrideIsDiagnosedNotExplained() throws Exception {
        Path sample = TestClient.root().resolve("samples/custom-ops.hyena");
        String text = Files.readString(sample);
        // the editor's text as typed so far: the last layer override has just been opened
        String typing = text.substring(0, text.indexOf("layers[7] = ") + "layers[7] = ".length()) + "( ";
        Analysis a = Analysis.run(sample.toUri().toString(), 2, typing);
        assertTrue(a.result.diagnostics().hasErrors());
        assertFalse(a.reports.containsKey("custom_hybrid"), "no numbers for a model its errors left without an embedding");
        assertTrue(Analysis.run(sample.toUri().toString(), 3, text).reports.containsKey("custom_hybrid"), "the whole file is explained");
    }
}
