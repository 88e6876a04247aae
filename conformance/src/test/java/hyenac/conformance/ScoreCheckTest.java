package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.cpu.CpuBackend;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.compiler.Compilation;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.runtime.exec.Session;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * GpuCheck's score check without a GPU: the CPU backend's session in the device's place passes it, and a session whose
 * logits are off at one position, in the forward pass or in a step, fails it.
 */
class ScoreCheckTest {
    static Graph tiny() {
        Compilation.Result c = Compilation.compile(Path.of(System.getProperty("hyenac.root", ".."), "samples/sh2-tiny.hyena"), null);
        assertTrue(c.ok());
        return c.graph();
    }

    @Test
    void theCpuBackendPassesAsTheDevice() {
        Graph g = tiny();
        WeightStore w = WeightStore.random(g, 1);
        KernelPipeline pipeline = new KernelPipeline(g, CudaTarget.lowering(Precision.FP32));
        GpuCheck.ScoreComparison r = GpuCheck.compareScores(g, w, pipeline, Precision.FP32, new CpuBackend().open(g, w, 1), GpuCheck.scoreTokens(g));
        assertTrue(r.ok(), String.join("\n", r.lines()));
        assertEquals(4, r.lines().size(), "two ways of scoring, two embedded values: " + r.lines());
    }

    /**
     * The CPU's session with the first channel raised by 100 at position {@code at} of row 1 (for logits: token 0's, which
     * then outweighs the rest), in the forward pass and in the step that computes that position.
     */
    static Session offAt(Session cpu, int at, int vocab) {
        return new Session() {
            int position;

            public int vocab() { return vocab; }
            public float[] prefill(long[] tokens, int length) { return cpu.prefill(tokens, length); }

            public float[] step(long[] tokens) {
                float[] l = cpu.step(tokens);
                if (position++ == at) l[vocab] += 100;
                return l;
            }

            public Map<Integer, float[]> forward(long[] tokens, int batch, int length, Collection<Integer> wanted) {
                Map<Integer, float[]> out = new java.util.HashMap<>(cpu.forward(tokens, batch, length, wanted));
                for (var e : out.entrySet()) {
                    float[] copy = e.getValue().clone();
                    int width = copy.length / (batch * length);
                    copy[(length + at) * width] += 100;
                    e.setValue(copy);
                }
                return out;
            }

            public float[] prefillAllPositions(long[] tokens, int batch, int length, int maxLength) {
                position = length;
                return cpu.prefillAllPositions(tokens, batch, length, maxLength);
            }
        };
    }

    @Test
    void aLogitOffInThePassOrInAStepFails() {
        Graph g = tiny();
        WeightStore w = WeightStore.random(g, 1);
        KernelPipeline pipeline = new KernelPipeline(g, CudaTarget.lowering(Precision.FP32));
        int vocab = Math.toIntExact(g.value(g.outputs().getFirst()).type().channels());
        // position 60 lies past the check's chunk: the forward pass is off there, and so is the step at it
        GpuCheck.ScoreComparison r = GpuCheck.compareScores(g, w, pipeline, Precision.FP32, offAt(new CpuBackend().open(g, w, 1), 60, vocab),
                GpuCheck.scoreTokens(g));
        assertTrue(r.lines().get(0).startsWith("  BAD  log p, one forward pass"), String.join("\n", r.lines()));
        assertTrue(r.lines().get(1).startsWith("  BAD  log p, prefill 37 + steps"), String.join("\n", r.lines()));
        assertTrue(r.lines().get(2).startsWith("  BAD  embed layers.3") && r.lines().get(3).startsWith("  BAD  embed final_norm"),
                String.join("\n", r.lines()));
        assertEquals(4, r.failed());
    }
}
