package hyenac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our JSON beside the peer script's, on two small hand-written files (bench/src/test/resources/compare). */
class ComparisonTest {
    static final Path DIR = Cli.ROOT.resolve("bench/src/test/resources/compare");

    static JsonObject read(String name) throws Exception {
        return JsonParser.parseString(Files.readString(DIR.resolve(name))).getAsJsonObject();
    }

    @Test
    void pointsMatchByOperatorBatchLengthAndWidthAgainstTheFastestPeer() throws Exception {
        Comparison c = Comparison.of(read("ours.json"), read("peer.json"));
        assertEquals(List.of(), c.warnings());
        assertEquals(List.of("copy", "hyena_se", "hyena_mr", "attention"), c.rows().stream().map(Comparison.Row::op).toList());

        Comparison.Row copy = c.rows().get(0);
        // 2 GiB against the peer's 1 GiB: the bandwidths divide, 2863.3 / 2147.5 GB/s
        assertEquals(4.0 / 3, copy.best().oursOverPeer(), 1e-9);

        Comparison.Row se = c.rows().get(1);
        assertEquals("se_bcl", se.best().impl(), "the faster of the two layouts; not the D = 2048 or L = 16384 rows");
        assertEquals(2, se.variants().size());
        assertEquals(0.4, se.best().oursOverPeer(), 1e-12);
        assertEquals(2.5, se.speedup(), 1e-12);
        assertEquals(0.22, se.paperKernelMs());

        Comparison.Row mr = c.rows().get(2);
        assertEquals(1, mr.variants().size(), "skipped peer rows do not count");
        assertEquals(0.5 / 1.76, mr.best().oursOverPeer(), 1e-12);

        Comparison.Row attention = c.rows().get(3);
        assertEquals("attn_cudnn", attention.best().impl());
        assertEquals(2.5, attention.best().oursOverPeer(), 1e-12);
        assertEquals(0.4, attention.speedup(), 1e-12);

        assertEquals(List.of("prefill B=1 L=8192"), c.unmatched(), "our failed LI point is not compared; prefill has no peer");
    }

    @Test
    void differentGpusAreWarnedAbout() throws Exception {
        JsonObject peer = read("peer.json");
        peer.getAsJsonObject("environment").addProperty("gpu", "NVIDIA H200");
        Comparison c = Comparison.of(read("ours.json"), peer);
        assertEquals(1, c.warnings().size());
        assertTrue(c.text().contains("WARNING: the two files come from different devices (NVIDIA H100 80GB HBM3 vs NVIDIA H200)"), c.text());
    }

    @Test
    void theCompareCommandPrintsAndWrites(@TempDir Path dir) throws Exception {
        Path md = dir.resolve("ratios.md"), json = dir.resolve("ratios.json");
        Cli.Result r = Cli.run("bench", "compare", DIR.resolve("ours.json").toString(), DIR.resolve("peer.json").toString(),
                "--markdown", md.toString(), "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("ours: NVIDIA H100 80GB HBM3 (hyenac test, cuda bf16, 2026-01-01T00:00:00Z)\n"
                + "peer: NVIDIA H100 80GB HBM3 (torch 2.11.0, CUDA 13.0, driver 580.65.06, 2026-01-01T00:05:00+00:00)\n"), r.out());
        String se = r.out().lines().filter(l -> l.startsWith("hyena_se")).findFirst().orElseThrow();
        assertTrue(se.matches("hyena_se\\s+1\\s+8192\\s+0\\.2000\\s+0\\.5000\\s+se_bcl\\s+0\\.400\\s+2\\.50x.*0\\.220\\s+0\\.909"), se);
        assertTrue(r.out().contains("no peer point for: prefill B=1 L=8192"), r.out());
        assertTrue(Files.readString(md).contains("| hyena_se | 1 | 8192 | 0.2000 | 0.5000 | se_bcl | 0.400 | 2.50x |"), Files.readString(md));
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(4, o.getAsJsonArray("rows").size());
        assertEquals(0.4, o.getAsJsonArray("rows").get(1).getAsJsonObject().get("ours_over_peer").getAsDouble(), 1e-12);
    }

    @Test
    void severalFilesOfOursComparedTogether() {
        Cli.Result r = Cli.run("bench", "compare", DIR.resolve("ours.json").toString(), DIR.resolve("ours-more.json").toString(),
                DIR.resolve("peer.json").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(5, r.out().lines().filter(l -> l.matches("(copy|hyena_|attention).*")).count(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("hyena_se\\s+1\\s+16384\\s+0\\.4000\\s+1\\.0000\\s+se_bcl\\s+0\\.400.*")), r.out());
    }

    @Test
    void filesThatAreNotBenchResultsAreRefused(@TempDir Path dir) throws Exception {
        Path notJson = Files.writeString(dir.resolve("x.json"), "not json {");
        assertEquals(1, Cli.run("bench", "compare", notJson.toString(), DIR.resolve("peer.json").toString()).code());
        Cli.Result swapped = Cli.run("bench", "compare", DIR.resolve("peer.json").toString(), DIR.resolve("ours.json").toString());
        assertEquals(1, swapped.code());
        assertTrue(swapped.err().contains("expected hyenac bench's JSON"), swapped.err());
    }
}
