package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Weight;
import hyenac.runtime.weights.HostTensor;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU runs a bf16 model on its weights held as bf16, with the numbers of the fp32 path on the same weights. */
class Bf16WeightsForwardTest {
    @Test
    void bf16WeightsGiveTheBitsOfTheirFp32Widening(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("sh2-tiny-bf16.hyena");
        String tiny = Files.readString(Path.of(System.getProperty("hyenac.root", ".."), "samples/sh2-tiny.hyena"));
        Files.writeString(spec, tiny.replace("dtype = fp32", "dtype = bf16"));
        Compilation.Result c = Compilation.compile(spec, null);
        assertTrue(c.ok(), c.checked().diagnostics().all().toString());
        Graph g = c.graph();

        WeightStore held = WeightStore.random(g, 3);
        Path file = dir.resolve("w.safetensors");
        held.save(file, g, Map.of());  // widened to fp32
        WeightStore widened;
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            widened = WeightStore.load(f, g, WeightStore.Options.defaults().storingFp32());
        }
        long bf16 = 0, fp32 = 0;
        for (Weight w : g.weights().values()) {
            if (w.dtype() == DType.BF16) {
                assertInstanceOf(HostTensor.Bf16.class, held.tensor(w.name()), w.name());
                bf16 += w.elements();
            } else {
                fp32 += w.elements();
            }
            assertInstanceOf(HostTensor.Fp32.class, widened.tensor(w.name()), w.name());
        }
        assertTrue(bf16 > 10 * fp32, "the projections are bf16");
        assertEquals(2 * bf16 + 4 * fp32, held.bytes());

        int batch = 2, prompt = 23, vocab = 512;
        long[] tokens = new SplittableRandom(4).longs(batch * prompt, 0, 256).toArray();
        CpuExecutor a = new CpuExecutor(g, held), b = new CpuExecutor(g, widened);
        int layer0 = g.probes().get("layers.0");
        Map<Integer, float[]> pa = a.prefill(tokens, batch, prompt, List.of(layer0)), pb = b.prefill(tokens, batch, prompt, List.of(layer0));
        assertArrayEquals(pb.get(layer0), pa.get(layer0));
        float[] la = a.lastPosition(pa, batch, prompt), lb = b.lastPosition(pb, batch, prompt);
        assertArrayEquals(lb, la, "prefill logits");
        for (int s = 0; s < 4; s++) {
            long[] next = {s, 255 - s};
            assertArrayEquals(b.step(next), a.step(next), "decode step " + s + " (one row: the kernels' other split)");
        }
        assertEquals(batch * vocab, la.length);
    }
}
