package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The CPU's bf16-storage mode, the floor GpuCheck reads a bf16 backend's difference against. */
class Bf16StorageTest {
    @Test
    void everyStoredValueIsABf16AndTheModelMovesByBf16SizedSteps() {
        Graph g = Compilation.compile(Path.of("../samples/sh2-tiny.hyena"), null).graph();
        WeightStore w = WeightStore.random(g, 1).roundedToBf16();
        long[] tokens = new SplittableRandom(3).longs(2 * 40, 0, 512).toArray();
        List<Integer> wanted = List.of(g.probes().get("layers.0"), g.outputs().getFirst());
        Map<Integer, float[]> exact = new CpuExecutor(g, w).run(2, 40, tokens, Map.of(), wanted);
        Map<Integer, float[]> stored = new CpuExecutor(g, w).storingBf16().run(2, 40, tokens, Map.of(), wanted);
        for (int v : wanted) {
            double err = 0, max = 0;
            for (int i = 0; i < exact.get(v).length; i++) {
                float x = stored.get(v)[i];
                assertEquals(x, Floats.bf16ToFloat(Floats.floatToBf16(x)), "not a bf16: " + x);
                err = Math.max(err, Math.abs(x - exact.get(v)[i]));
                max = Math.max(max, Math.abs(exact.get(v)[i]));
            }
            // rounded after every node: more than one bf16 step of the largest value (2^-9), far less than the value
            assertTrue(err > max / 512 && err < 0.2 * max, "%" + v + ": max|err| " + err + " of max|ref| " + max);
        }
    }
}
