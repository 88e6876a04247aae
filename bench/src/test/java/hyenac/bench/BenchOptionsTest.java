package hyenac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchOptionsTest {
    static BenchCommand.Plan plan(String... args) {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs(args);
        return c.plan();
    }

    static String problem(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> plan(args)).getMessage();
    }

    @Test
    void defaultsAreTheIssuesOnTheGpu() {
        BenchCommand.Plan p = plan("--op", "se,mr");
        assertEquals(List.of(Operator.SE, Operator.MR), p.ops());
        assertEquals("cuda", p.target());
        assertEquals(Precision.BF16, p.precision());
        assertEquals(List.of(new BenchCommand.Shape(1, 8192)), p.shapes());
        assertEquals(new Operator.Config(4096, 256, 32, 128), p.config());
        assertEquals(50, p.reps());
        assertEquals(5, p.warmup());
        assertEquals(2L << 30, p.copyBytes());
        BenchCommand.Plan m = plan(Repo.ROOT.resolve("samples/evo2-7b.hyena").toString());
        assertEquals(List.of(8192), m.prefills());
        assertEquals(List.of(8192, 32768), plan(Repo.ROOT.resolve("samples/evo2-7b.hyena").toString(), "--prefill", "8192,32768,0").prefills());
        assertTrue(problem(Repo.ROOT.resolve("samples/evo2-7b.hyena").toString(), "--prefill", "8192,-1").contains("0 (skip) or positive"));
        assertEquals(64, m.decode());
        assertEquals(1024, m.prompt());
    }

    @Test
    void aProfileBreaksDownAModelsForwardPassOrDecodeStep() {
        String spec = Repo.ROOT.resolve("samples/evo2-7b.hyena").toString();
        assertTrue(plan(spec, "--profile").profile());
        assertTrue(plan(spec, "--profile", "--prefill", "0").profile(), "the decode step alone");
        assertTrue(plan(spec, "--profile", "--decode", "0").profile(), "the forward pass alone");
        assertTrue(problem("--op", "se", "--profile").contains("give a SPEC and --prefill or --decode"));
        assertTrue(problem(spec, "--profile", "--prefill", "0", "--decode", "0").contains("give a SPEC and --prefill or --decode"));
    }

    @Test
    void shapesOperatorsAndWidths() {
        BenchCommand.Plan p = plan("--ops", "attention,copy,attention", "--shapes", "1x8192,2X16384", "--width", "2048", "--heads", "16",
                "--target", "cpu");
        assertEquals(List.of(Operator.ATTENTION, Operator.COPY), p.ops());
        assertEquals(List.of(new BenchCommand.Shape(1, 8192), new BenchCommand.Shape(2, 16384)), p.shapes());
        assertEquals(new Operator.Config(2048, 256, 16, 128), p.config());
        assertEquals(Precision.FP32, p.precision());
        assertEquals(64, plan("--op", "se", "--width", "64", "--target", "cpu").config().groups());
    }

    @Test
    void theDecodePointIsTimedAtEachBatchSize() {
        String spec = Repo.ROOT.resolve("samples/sh2-tiny.hyena").toString();
        assertEquals(List.of(1), plan(spec).batches());
        assertEquals(List.of(1, 4, 16, 64), plan(spec, "--batch", "1,4,16,64").batches());
        assertEquals(List.of(4, 2), plan(spec, "--batch", "4,2,4").batches(), "in the order given, once each");
        assertTrue(problem(spec, "--batch", "4,0").contains("--batch sizes must be at least 1"));
        assertTrue(problem("--op", "se", "--batch", "4").contains("--batch sizes a model's decode point: give a SPEC and --decode N"));
        assertTrue(problem(spec, "--decode", "0", "--batch", "2").contains("give a SPEC and --decode N"));
        assertEquals(List.of(1), plan(spec, "--decode", "0").batches(), "the default needs no decode point");
    }

    @Test
    void unknownOperatorsListTheKnownOnes() {
        assertEquals("unknown operator `gemm`; choose from se, mr, li, attention, copy", problem("--op", "se,gemm"));
    }

    @Test
    void badOptionsAreOneSentence() {
        assertTrue(problem("--op", "se", "--reps", "10").contains("at least 50 timed repetitions on cuda"));
        assertEquals(10, plan("--op", "se", "--reps", "10", "--quick").reps());
        assertEquals(3, plan("--op", "se", "--reps", "3", "--target", "cpu").reps());
        assertTrue(problem("--op", "se", "--target", "cpu", "--precision", "bf16").contains("cpu target runs fp32"));
        assertTrue(problem("--op", "se", "--target", "rocm").contains("--target must be cuda or cpu"));
        assertTrue(problem("--op", "se", "--precision", "fp8").contains("bf16 or fp32"));
        for (String bad : List.of("1x", "0x8192", "ax8192", "8192")) assertTrue(problem("--op", "se", "--shapes", bad).contains("is not BxL"), bad);
        assertTrue(problem("--op", "se", "--width", "300").contains("--groups 256 must divide --width 300"));
        assertTrue(problem("--op", "se", "--width", "4096", "--groups", "3").contains("must divide --width 4096"));
        assertTrue(problem("--op", "attention", "--width", "100", "--heads", "32").contains("--heads 32 must divide"));
        assertTrue(problem().contains("give a SPEC to time a model, or --op"));
        String spec = Repo.ROOT.resolve("samples/sh2-tiny.hyena").toString();
        assertTrue(problem(spec, "--op", "se").contains("not both"));
        assertTrue(problem(spec, "--decode", "10").contains("at least 50"));
        assertTrue(problem(spec, "--prefill", "0", "--decode", "0").contains("nothing to time"));
        assertTrue(problem("no/such/spec.hyena").contains("no such file"));
    }
    @Test
    void contextParallelSplitsAModelsForwardPassOnTheCpu() {
        String spec = Repo.ROOT.resolve("samples/sh2-tiny.hyena").toString();
        BenchCommand.Plan p = plan(spec, "--target", "cpu", "--decode", "0", "--context-parallel", "4", "--cp-mode", "a2a");
        assertEquals(4, p.contextParallel());
        assertEquals(hyenac.ir.cp.CpMode.A2A, p.cpMode());
        assertEquals(1, plan(spec).contextParallel());
        assertTrue(problem(spec, "--context-parallel", "2", "--decode", "0").contains("pass --target cpu"));
        assertTrue(problem(spec, "--target", "cpu", "--context-parallel", "2").contains("pass --decode 0"));
        assertTrue(problem("--op", "se", "--target", "cpu", "--context-parallel", "2").contains("give a SPEC and --prefill L"));
        assertTrue(problem(spec, "--target", "cpu", "--decode", "0", "--context-parallel", "0").contains("at least 1"));
        assertTrue(problem(spec, "--target", "cpu", "--decode", "0", "--context-parallel", "2", "--cp-mode", "ring").contains("modes: auto, a2a, p2p"));
    }

    @Test
    void aContextParallelRunReportsWhatEachRankSent(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        String spec = Repo.ROOT.resolve("samples/sh2-tiny.hyena").toString();
        java.nio.file.Path json = dir.resolve("cp.json");
        CommandLine cl = new CommandLine(new BenchCommand());
        cl.setOut(new java.io.PrintWriter(java.io.Writer.nullWriter()));
        int ranks = 2, length = 64;
        assertEquals(0, cl.execute(spec, "--target", "cpu", "--prefill", String.valueOf(length), "--decode", "0", "--context-parallel", String.valueOf(ranks),
                "--cp-mode", "a2a", "--reps", "1", "--warmup", "0", "--json", json.toString()));
        com.google.gson.JsonObject r = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(json)).getAsJsonObject();
        assertEquals("ok", r.getAsJsonArray("points").get(0).getAsJsonObject().get("status").getAsString());
        com.google.gson.JsonObject cp = r.getAsJsonObject("context_parallel");
        assertEquals(ranks, cp.get("ranks").getAsInt());
        assertEquals("a2a", cp.get("mode").getAsString());
        com.google.gson.JsonArray perRank = cp.getAsJsonObject("per_rank_by_length").getAsJsonArray(String.valueOf(length));
        assertEquals(ranks, perRank.size());
        // each all-to-all moves 4(N−1)/N²·D·L elements per rank (there and back): whole multiples of it, the same on every rank
        long width = 64, perExchange = 4L * (ranks - 1) * width * length / ((long) ranks * ranks);
        long first = -1;
        for (var e : perRank) {
            long a2a = e.getAsJsonObject().getAsJsonObject("sent_elements_by_kind").get("a2a").getAsLong();
            assertTrue(a2a > 0 && a2a % perExchange == 0, a2a + " is no multiple of " + perExchange);
            if (first < 0) first = a2a;
            assertEquals(first, a2a, "the zig-zag balances the ranks");
        }
    }
}
