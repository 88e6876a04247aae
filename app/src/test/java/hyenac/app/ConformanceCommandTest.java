package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import hyenac.runtime.exec.DeviceTarget;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac conformance} as a user meets it: the messages and exit codes of its input and target. */
class ConformanceCommandTest {
    static final Path VORTEX = Cli.ROOT.resolve("conformance/data/vortex");

    @Test
    void aMissingDirectoryIsSaidToNotExist(@TempDir Path dir) {
        Cli.Result r = Cli.run("conformance", dir.resolve("nowhere").toString());
        assertEquals(1, r.code());
        assertEquals("hyenac conformance: " + dir.resolve("nowhere") + " does not exist", r.err().strip());
    }

    @Test
    void cudaWithoutAGpuIsOneErrorLikeRun() {
        assumeFalse(DeviceTarget.find("cuda").map(t -> t.availability().usable()).orElse(false), "a usable GPU is here");
        Cli.Result r = Cli.run("conformance", VORTEX.toString(), "--target", "cuda");
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out(), "no FAIL line per case");
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("hyenac conformance: --target cuda: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
