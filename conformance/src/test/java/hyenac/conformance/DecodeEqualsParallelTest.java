package hyenac.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Prefill then recurrent decode gives the logits of a stateless parallel pass over the whole
 * sequence, for every operator kind and for user-defined operators and blocks: decoding is derived
 * per primitive, nothing is specific to one model.
 */
class DecodeEqualsParallelTest {
    static final String HEADER = "import \"std\"\n";

    static String model(String ops, String layers, String block) {
        return HEADER + "model m {\n  vocab = 512\n  width = 32\n  context = 256\n  dtype = fp32\n" + block
                + "  op mlp = gated_mlp(hidden = 48, act = gelu)\n" + ops + "  layers = " + layers + "\n}\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"se", "mr", "li", "mha", "mha-scaled", "striped", "custom"})
    void decodeMatchesTheParallelPass(String kind, @TempDir Path dir) throws IOException {
        String spec = switch (kind) {
            case "se" -> model("  op x = hyena_se(len = 7, groups = 2)\n", "[x] * 2", "");
            case "mr" -> model("  op x = hyena_mr(len = 20, groups = 2)\n", "[x] * 2", "");
            case "li" -> model("  op x = hyena_li(modes = 4)\n", "[x] * 2", "");
            case "mha" -> model("  op x = attention(heads = 2)\n", "[x] * 2", "");
            case "mha-scaled" -> model("  op x = attention(heads = 4, rope = rope(base = 1e6, scale = 4))\n", "[x] * 2", "");
            case "striped" -> model("  op se = hyena_se(groups = 2)\n  op mr = hyena_mr(groups = 2)\n  op li = hyena_li()\n"
                    + "  op mha = attention(heads = 2)\n", "[se, mr, li, mha]", "");
            default -> Files.readString(Path.of(System.getProperty("hyenac.root", ".."), "samples/custom-ops.hyena"));
        };
        Path file = dir.resolve(kind + ".hyena");
        Files.writeString(file, spec);
        Compilation.Result c = Compilation.compile(file, null);
        assertTrue(c.ok(), c.checked().diagnostics().all().toString());
        Graph g = c.graph();
        WeightStore w = WeightStore.random(g, 11);
        int batch = 2, prompt = 37, steps = 10, vocab = 512;
        SplittableRandom rng = new SplittableRandom(5);
        long[] tokens = new long[batch * prompt];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(256);

        CpuExecutor exec = new CpuExecutor(g, w);
        float[][] decoded = new float[steps + 1][];
        long[][] fed = new long[steps][batch];
        decoded[0] = exec.prefill(tokens, batch, prompt);
        for (int s = 1; s <= steps; s++) {
            for (int b = 0; b < batch; b++) fed[s - 1][b] = Sampler.argmax(decoded[s - 1], b * vocab, vocab);
            decoded[s] = exec.step(fed[s - 1]);
        }

        int full = prompt + steps;
        long[] sequence = new long[batch * full];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(tokens, b * prompt, sequence, b * full, prompt);
            for (int s = 0; s < steps; s++) sequence[b * full + prompt + s] = fed[s][b];
        }
        int out = g.outputs().getFirst();
        float[] parallel = new CpuExecutor(g, w).run(batch, full, sequence, Map.of(), List.of(out)).get(out);
        double maxErr = 0, maxRef = 0;
        for (int s = 0; s <= steps; s++) {
            for (int b = 0; b < batch; b++) {
                for (int v = 0; v < vocab; v++) {
                    float ref = parallel[(b * full + prompt - 1 + s) * vocab + v];
                    maxErr = Math.max(maxErr, Math.abs(decoded[s][b * vocab + v] - ref));
                    maxRef = Math.max(maxRef, Math.abs(ref));
                }
            }
        }
        // fp32 both ways; the two orders of summation differ by rounding only (cf. the reference's 4.9e-5 on logits up to 43).
        assertTrue(maxErr <= 2e-5 * maxRef, kind + ": max|decode − parallel| = " + maxErr + ", max|logit| = " + maxRef);
    }
}
