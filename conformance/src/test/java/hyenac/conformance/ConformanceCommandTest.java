package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import hyenac.cli.Main;
import hyenac.runtime.exec.DeviceTarget;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac conformance} as a user meets it: the messages and exit codes of its input and target. */
class ConformanceCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void aMissingDirectoryIsSaidToNotExist(@TempDir Path dir) {
        Run r = run("conformance", dir.resolve("nowhere").toString());
        assertEquals(1, r.code());
        assertEquals("hyenac conformance: " + dir.resolve("nowhere") + " does not exist", r.err().strip());
    }

    @Test
    void cudaWithoutAGpuIsOneErrorLikeRun() {
        assumeFalse(DeviceTarget.find("cuda").map(t -> t.availability().usable()).orElse(false), "a usable GPU is here");
        Run r = run("conformance", VortexConformanceTest.vortexDir().toString(), "--target", "cuda");
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out(), "no FAIL line per case");
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("hyenac conformance: --target cuda: "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
