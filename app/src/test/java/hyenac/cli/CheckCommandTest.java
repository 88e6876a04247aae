package hyenac.cli;

import static hyenac.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.cli.CommandLineTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac check --max-diagnostics N}: a batch of files in one process, each file's diagnostics shown. */
class CheckCommandTest {
    /** a.hyena with 150 errors, then b.hyena and c.hyena with one each. */
    static Path[] batch(Path dir) throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 150; i++) many.append("op f").append(i).append("() (x) { out nope").append(i).append("(x) }\n");
        Path a = Files.writeString(dir.resolve("a.hyena"), many);
        Path b = Files.writeString(dir.resolve("b.hyena"), "op g() (x) { out gone(x) }\n");
        Path c = Files.writeString(dir.resolve("c.hyena"), "op h() (x) { out x +\n}\n");
        return new Path[] {a, b, c};
    }

    @Test
    void byDefaultTheLaterFilesAreCutOffAfterAHundred(@TempDir Path dir) throws Exception {
        Path[] f = batch(dir);
        Run r = run("check", f[0].toString(), f[1].toString(), f[2].toString());
        assertEquals(1, r.code());
        assertFalse(r.err().contains(f[1] + ":1:18: error[HY0202]"), r.err());
        assertTrue(r.err().contains("52 more diagnostics not shown (limit reached)\n100 errors, 0 warnings\n"
                + "(--max-diagnostics 0 shows them all)\n"), r.err());
    }

    @Test
    void zeroShowsEveryFilesDiagnostics(@TempDir Path dir) throws Exception {
        Path[] f = batch(dir);
        Run r = run("check", "--max-diagnostics", "0", f[0].toString(), f[1].toString(), f[2].toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(f[0] + ":150:21: error[HY0202]: unknown operator `nope149`"), r.err());
        assertTrue(r.err().contains(f[1] + ":1:18: error[HY0202]: unknown operator `gone`"), r.err());
        assertTrue(r.err().contains(f[2] + ":2:1: error[HY0002]"), r.err());
        assertTrue(r.err().endsWith("\n152 errors, 0 warnings\n"), r.err());
        assertFalse(r.err().contains("not shown"), r.err());

        Run json = run("check", "--max-diagnostics=0", "--diagnostics=json", f[0].toString(), f[1].toString(), f[2].toString());
        JsonObject root = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals(152, root.getAsJsonArray("diagnostics").size());
        assertEquals(0, root.get("omitted").getAsInt());
    }

    @Test
    void aSmallLimitCountsWhatItLeavesOut(@TempDir Path dir) throws Exception {
        Path[] f = batch(dir);
        Run r = run("check", "--max-diagnostics", "3", f[1].toString(), f[0].toString());
        assertEquals(1, r.code());
        assertEquals(3, r.err().lines().filter(l -> l.contains(": error[")).count(), r.err());
        assertTrue(r.err().contains("148 more diagnostics not shown (limit reached)\n3 errors, 0 warnings\n"), r.err());
    }

    @Test
    void aNegativeLimitIsAUsageError(@TempDir Path dir) throws Exception {
        Run r = run("check", "--max-diagnostics", "-1", batch(dir)[1].toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--max-diagnostics must be 0 (no limit) or more, not -1"), r.err());
        assertEquals(2, run("check", "--max-diagnostics", "many", batch(dir)[1].toString()).code());
    }
}
