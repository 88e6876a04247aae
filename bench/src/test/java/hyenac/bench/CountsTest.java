package hyenac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import hyenac.compiler.Compilation;
import hyenac.explain.Explain;
import hyenac.ir.Graph;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The byte and FLOP counts against numbers worked out by hand, and against the peer script's formulas. */
class CountsTest {
    static final Operator.Config EVO2_7B = new Operator.Config(4096, 256, 32, 128);

    @Test
    void coreBytesAreEightBytesPerChannelAndTokenInBf16() {
        // 8 · D · L at D = 4096, L = 8192: the paper's 0.080 ms floor at 3.35 TB/s
        assertEquals(268_435_456L, Counts.coreBytes(1, 8192, 4096, 2));
        assertEquals(8L * 2 * 4096 * 16384, Counts.coreBytes(2, 16384, 4096, 2));
        assertEquals(536_870_912L, Counts.coreBytes(1, 8192, 4096, 4));
        assertEquals(4_294_967_296L, Counts.copyBytes(2L << 30));
    }

    @Test
    void flopsBySemantics7() {
        assertEquals(469_762_048.0, Counts.firFlops(1, 8192, 7, 4096));          // 2 · 7 · 4096 · 8192
        assertEquals(8_589_934_592.0, Counts.firFlops(1, 8192, 128, 4096));      // 2 · 128 · 4096 · 8192
        // N = 16384, log2 N = 14: 4096 · (10 · 16384 · 14 + 6 · 16384) = 4096 · 2,392,064
        assertEquals(9_797_894_144.0, Counts.fftConvFlops(1, 8192, 4096), 1e-3);
        // the peer's 4 · B · H · L² · d / 2 with H = 32, d = 128
        assertEquals(4.0 * 32 * 8192L * 8192 * 128 / 2, Counts.attentionFlops(1, 8192, 4096));
        assertEquals(549_755_813_888.0, Counts.attentionFlops(1, 8192, 4096));
    }

    @Test
    void operatorPointsCountWhatTheirGraphsHold() {
        long l = 8192;
        for (Operator op : new Operator[] {Operator.SE, Operator.MR, Operator.LI, Operator.ATTENTION}) {
            Operator.Model m = op.model(EVO2_7B, l);
            assertEquals(268_435_456L, op.bytes(m, 1, l, 2), op.flag);
            // explain counts the same node per token
            assertEquals(Explain.flops(m.graph(), m.timed(), l) * l, op.flops(m, 1, l), 1e-3 * op.flops(m, 1, l), op.flag);
        }
        assertEquals(469_762_048.0, Operator.SE.flops(Operator.SE.model(EVO2_7B, l), 1, l));
        assertEquals(8_589_934_592.0, Operator.MR.flops(Operator.MR.model(EVO2_7B, l), 1, l));
        assertEquals(9_797_894_144.0, Operator.LI.flops(Operator.LI.model(EVO2_7B, l), 1, l), 1e-3);
        assertEquals(549_755_813_888.0, Operator.ATTENTION.flops(Operator.ATTENTION.model(EVO2_7B, l), 1, l));
    }

    @Test
    void hyenaPointsTimeTheCoreFromTheFeaturizerOutputToThePostGate() {
        Operator.Model m = Operator.MR.model(EVO2_7B, 8192);
        Graph g = m.graph();
        int z = m.given().iterator().next();
        assertEquals("causal_conv", g.producer(z).op());
        assertEquals(3, g.producer(z).intAttr("len"), "the featurizer");
        assertEquals(12288, g.value(z).type().channels());
        assertEquals("mul", g.producer(m.wanted()).op());
        assertEquals("linear", g.users(m.wanted()).getFirst().op(), "y feeds the out-projection");
        assertEquals(128, m.timed().intAttr("len"));
        Operator.Model a = Operator.ATTENTION.model(EVO2_7B, 8192);
        assertEquals(3, a.given().size());
        assertEquals(Set.of("split"), Set.copyOf(a.given().stream().map(v -> a.graph().producer(v).op()).toList()));
    }

    @Test
    void decodeReadsEveryWeightOnceAndTheKvCaches() {
        Graph g = Compilation.compile(Repo.ROOT.resolve("samples/sh2-tiny.hyena"), null).graph();
        // 394,296 parameters in bf16, plus one attention layer's keys and values: 2 · 100 positions · 64 channels · 2 bytes
        assertEquals(394_296 * 2 + 25_600, Counts.decodeBytesPerToken(g, 100, 1, 2));
        // linear layers 2·in·out, FIRs 2·K·C, modal 4·16·C, attention 4·position·C
        double flops = Counts.decodeFlopsPerToken(g, 100);
        assertEquals(Counts.decodeFlopsPerToken(g, 0) + 4.0 * 100 * 64, flops);
    }
}
