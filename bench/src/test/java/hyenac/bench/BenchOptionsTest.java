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
        assertEquals(8192, m.prefill());
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
}
