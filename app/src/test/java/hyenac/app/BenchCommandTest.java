package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.backends.cuda.bindings.CudaContext;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyenac bench} as a user meets it: real runs on the cpu target, small enough for CI (the table, and the JSON's
 * schema and arithmetic), {@code bench compare}, and the one-line errors. Its parts are tested in the bench module.
 */
class BenchCommandTest {
    static final Path COMPARE = Cli.ROOT.resolve("bench/src/test/resources/compare");

    static final List<String> POINT_FIELDS = List.of("op", "variant", "B", "L", "D", "status", "median_ms", "p10_ms", "p90_ms", "min_ms", "mean_ms",
            "reps", "tokens_per_s", "min_bytes", "flops", "gb_per_s", "pct_copy", "tflops");

    @Test
    void anOperatorPointWritesTheSchema(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("out/se.json");
        Cli.Result r = Cli.run("bench", "--target", "cpu", "--op", "se", "--shapes", "1x256", "--width", "64", "--reps", "3", "--warmup", "1",
                "--quick", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("hyena_se  1  256  64"), r.out());
        assertTrue(r.out().contains("note: cpu target: fp32, timed with the host clock"), r.out());

        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (String k : List.of("tool", "hyenac_version", "date_utc", "machine", "target", "precision", "spec", "model", "ops", "config",
                "timing", "conventions", "copy_gbps", "points", "notes")) {
            assertTrue(o.has(k), k);
        }
        assertEquals("cpu", o.get("target").getAsString());
        assertEquals("fp32", o.get("precision").getAsString());
        assertTrue(o.get("spec").isJsonNull());
        JsonObject machine = o.getAsJsonObject("machine");
        for (String k : List.of("host", "cpu", "cores", "java")) assertTrue(machine.has(k), k);
        JsonObject timing = o.getAsJsonObject("timing");
        assertTrue(timing.get("timer").getAsString().contains("no cache flush"));
        assertEquals(3, timing.get("reps").getAsInt());

        assertEquals(1, o.getAsJsonArray("points").size());
        JsonObject p = o.getAsJsonArray("points").get(0).getAsJsonObject();
        assertEquals(Set.copyOf(POINT_FIELDS), p.keySet());
        assertEquals("hyena_se", p.get("op").getAsString());
        assertEquals("ok", p.get("status").getAsString());
        assertEquals(1, p.get("B").getAsInt());
        assertEquals(256, p.get("L").getAsInt());
        assertEquals(64, p.get("D").getAsInt());
        assertEquals(3, p.get("reps").getAsInt());
        double ms = p.get("median_ms").getAsDouble();
        assertTrue(ms > 0 && p.get("p10_ms").getAsDouble() <= ms && ms <= p.get("p90_ms").getAsDouble());
        assertEquals(4L * 256 * 64 * 4, p.get("min_bytes").getAsLong(), "q, k, v and y in fp32");
        assertEquals(2.0 * 7 * 64 * 256, p.get("flops").getAsDouble());
        assertEquals(256 / (ms / 1e3), p.get("tokens_per_s").getAsDouble(), 1e-6 * p.get("tokens_per_s").getAsDouble());
        assertEquals(4.0 * 256 * 64 * 4 / (ms / 1e3) / 1e9, p.get("gb_per_s").getAsDouble(), 1e-9);
        assertEquals(2.0 * 7 * 64 * 256 / (ms / 1e3) / 1e12, p.get("tflops").getAsDouble(), 1e-12);
        assertTrue(p.get("pct_copy").isJsonNull(), "no copy measured");
    }

    @Test
    void aModelReportsPrefillAndDecode(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("tiny.json");
        Cli.Result r = Cli.run("bench", Cli.ROOT.resolve("samples/sh2-tiny.hyena").toString(), "--target", "cpu", "--prefill", "32",
                "--decode", "4", "--prompt", "8", "--reps", "2", "--warmup", "1", "--quick", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals("sh2_tiny", o.get("model").getAsString());
        var points = o.getAsJsonArray("points");
        assertEquals(2, points.size());
        JsonObject prefill = points.get(0).getAsJsonObject(), decode = points.get(1).getAsJsonObject();
        assertEquals("prefill", prefill.get("op").getAsString());
        assertEquals(32, prefill.get("L").getAsInt());
        assertEquals(2, prefill.get("reps").getAsInt());
        assertTrue(prefill.get("tflops").getAsDouble() > 0);
        assertTrue(prefill.get("gb_per_s").isJsonNull(), "prefill is judged in TFLOP/s");
        assertEquals("decode", decode.get("op").getAsString());
        assertEquals(8, decode.get("L").getAsInt(), "the prompt");
        assertEquals(4, decode.get("reps").getAsInt(), "one repetition per decoded token");
        assertEquals(1000 / decode.get("median_ms").getAsDouble(), decode.get("tokens_per_s").getAsDouble(), 1e-6);
        assertTrue(decode.get("note").getAsString().contains("logits"));
    }

    /** Decode at several batch sizes: a step makes one token per sequence, so tokens/s in total is B times the per-sequence rate. */
    @Test
    void theDecodePointIsTimedAtEachBatchSize(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("batch.json");
        Cli.Result r = Cli.run("bench", Cli.ROOT.resolve("samples/sh2-tiny.hyena").toString(), "--target", "cpu", "--prefill", "0",
                "--decode", "3", "--prompt", "8", "--batch", "1,4,16", "--warmup", "1", "--quick", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("decode\s+16\s+8\s+64\s.*ok")), r.out());
        assertTrue(r.out().lines().findFirst().orElseThrow().contains("tokens/s  per seq"), r.out());
        assertTrue(r.err().contains(" per sequence)"), r.err());
        var points = JsonParser.parseString(Files.readString(json)).getAsJsonObject().getAsJsonArray("points");
        assertEquals(3, points.size());
        int[] batches = {1, 4, 16};
        double bytesAtOne = 0;
        for (int i = 0; i < 3; i++) {
            JsonObject p = points.get(i).getAsJsonObject();
            int b = batches[i];
            assertEquals("decode", p.get("op").getAsString());
            assertEquals("ok", p.get("status").getAsString());
            assertEquals(b, p.get("B").getAsInt());
            assertEquals(8, p.get("L").getAsInt());
            assertEquals(3, p.get("reps").getAsInt());
            double ms = p.get("median_ms").getAsDouble(), perSequence = p.get("tokens_per_s_per_sequence").getAsDouble();
            assertEquals(1000 / ms, perSequence, 1e-9 * perSequence);
            assertEquals(b * perSequence, p.get("tokens_per_s").getAsDouble(), 1e-9 * b * perSequence);
            assertTrue(p.get("variant").getAsString().contains("decode step of " + b + " sequence"), p.get("variant").getAsString());
            if (b == 1) bytesAtOne = p.get("min_bytes").getAsDouble();
            else assertTrue(p.get("min_bytes").getAsDouble() > bytesAtOne, "every sequence brings its KV caches");
        }
        assertEquals(16 * points.get(0).getAsJsonObject().get("flops").getAsDouble(), points.get(2).getAsJsonObject().get("flops").getAsDouble(), 1e-6);
    }

    @Test
    void aSpecThatDoesNotCheckIsAnInputError(@TempDir Path dir) throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.hyena"), "model m { width = }\n");
        Cli.Result r = Cli.run("bench", bad.toString(), "--target", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad.hyena:1:"), r.err());
    }

    @Test
    void theCompareCommandPrintsAndWrites(@TempDir Path dir) throws Exception {
        Path md = dir.resolve("ratios.md"), json = dir.resolve("ratios.json");
        Cli.Result r = Cli.run("bench", "compare", COMPARE.resolve("ours.json").toString(), COMPARE.resolve("peer.json").toString(),
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
        Cli.Result r = Cli.run("bench", "compare", COMPARE.resolve("ours.json").toString(), COMPARE.resolve("ours-more.json").toString(),
                COMPARE.resolve("peer.json").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(5, r.out().lines().filter(l -> l.matches("(copy|hyena_|attention).*")).count(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("hyena_se\\s+1\\s+16384\\s+0\\.4000\\s+1\\.0000\\s+se_bcl\\s+0\\.400.*")), r.out());
    }

    @Test
    void filesThatAreNotBenchResultsAreRefused(@TempDir Path dir) throws Exception {
        Path notJson = Files.writeString(dir.resolve("x.json"), "not json {");
        assertEquals(1, Cli.run("bench", "compare", notJson.toString(), COMPARE.resolve("peer.json").toString()).code());
        Cli.Result swapped = Cli.run("bench", "compare", COMPARE.resolve("peer.json").toString(), COMPARE.resolve("ours.json").toString());
        assertEquals(1, swapped.code());
        assertTrue(swapped.err().contains("expected hyenac bench's JSON"), swapped.err());
    }

    @Test
    void theCommandLineExitsTwoWithOneLine() {
        Cli.Result r = Cli.run("bench", "--op", "softmax", "--target", "cpu");
        assertEquals(2, r.code());
        assertEquals("hyenac bench: unknown operator `softmax`; choose from se, mr, li, attention, copy\n", r.err());
    }

    @Test
    void withoutAGpuTheCudaTargetSaysSoInOneLine() {
        boolean gpu;
        try (CudaContext ignored = CudaContext.open(0)) {
            gpu = true;
        } catch (CudaUnavailableException e) {
            gpu = false;
        }
        assumeTrue(!gpu, "this machine has a GPU");
        Cli.Result r = Cli.run("bench", "--op", "se", "--shapes", "1x64", "--width", "64", "--quick", "--reps", "1");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("hyenac bench: ") && r.err().contains("--target cpu"), r.err());
        assertEquals("", r.out());
    }
}
