package hyenac.cli;

import static hyenac.cli.CommandLineTest.run;
import static hyenac.cli.CommandLineTest.samples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** --context-parallel and --cp-mode on run, conformance, graph and explain. */
class ContextParallelCommandsTest {
    static String tiny() { return samples().resolve("sh2-tiny.hyena").toString(); }

    @Test
    void runGeneratesTheSameTokensOnFourRanks() {
        CommandLineTest.Run one = run("run", tiny(), "--target", "cpu", "--prompt", "ACGTACGTTG", "--generate", "6", "--print-tokens");
        for (String mode : new String[] {"auto", "a2a", "p2p"}) {
            CommandLineTest.Run four = run("run", tiny(), "--target", "cpu", "--prompt", "ACGTACGTTG", "--generate", "6", "--print-tokens",
                    "--context-parallel", "4", "--cp-mode", mode);
            assertEquals(0, four.code(), four.err());
            assertEquals(one.out(), four.out(), mode);
        }
    }

    @Test
    void conformancePassesOnTwoRanks() {
        CommandLineTest.Run r = run("conformance", samples().resolve("../conformance/data/vortex").toString(), "--context-parallel", "2");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("context parallel: 2 ranks, --cp-mode auto") && r.out().contains("8 of 8 cases pass"), r.out());
    }

    @Test
    void graphPrintsThePlanAndExplainTheVolumes() {
        CommandLineTest.Run g = run("graph", tiny(), "--context-parallel", "2", "--print-after=context-parallel");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().contains("a2a   region 1") && g.out().contains("\n%22 channels\n"), g.out());
        CommandLineTest.Run e = run("explain", "--kernels", tiny(), "--context-parallel", "4", "--context", "8192");
        assertEquals(0, e.code(), e.err());
        // 4·(N−1)/N²·D·L = 4·3/16·64·8192
        assertTrue(e.out().contains("sends 393,216"), e.out());
        assertTrue(e.out().contains("sends 768"), e.out()); // 2·D·(ℓh−1) = 2·64·6
    }

    @Test
    void mistakesAreOneLineWithTheFix() {
        CommandLineTest.Run r = run("run", tiny(), "--target", "cpu", "--prompt", "A", "--context-parallel", "8");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a whole number of filter groups; use a number of ranks that divides 4"), r.err());
        r = run("run", tiny(), "--prompt", "A", "--cp-mode", "ring");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown --cp-mode `ring`; modes: auto, a2a, p2p"), r.err());
        r = run("graph", tiny(), "--print-after=context-parallel");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("runs with --context-parallel N"), r.err());
    }
}
