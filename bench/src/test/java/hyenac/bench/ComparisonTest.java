package hyenac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our JSON beside the peer script's, on two small hand-written files (bench/src/test/resources/compare). */
class ComparisonTest {
    static final Path DIR = Repo.ROOT.resolve("bench/src/test/resources/compare");

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
    void theCoresAreRecordsOfOursThePeersFastestAndTheCopyRate() throws Exception {
        JsonObject ours = read("ours.json");
        ours.addProperty("copy_gbps", 3000.0);
        var cores = Comparison.cores(ours, read("peer.json"));
        assertEquals(List.of("hyena_se", "hyena_mr"), cores.asList().stream().map(e -> e.getAsJsonObject().get("op").getAsString()).toList(),
                "the Hyena cores only: no copy, no attention");
        JsonObject se = cores.get(0).getAsJsonObject();
        Comparison.Row row = Comparison.of(ours, read("peer.json")).rows().get(1);
        assertEquals(row.oursMs(), se.get("ms").getAsDouble());
        assertEquals(row.best().ms(), se.get("peer_ms").getAsDouble());
        assertEquals("se_bcl", se.get("peer_impl").getAsString());
        assertEquals(row.length(), se.get("L").getAsLong());
        assertEquals(3000.0, se.get("copy_gbps").getAsDouble());
        assertEquals(row.oursGbps() / 3000.0, se.get("copy_fraction").getAsDouble(), 1e-12);
        assertEquals("NVIDIA H100 80GB HBM3", se.get("gpu").getAsString());
    }
}
