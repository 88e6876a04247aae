package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.codegen.kernels.Gemv;
import hyenac.backends.cpu.Activation;
import hyenac.ir.Primitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The decode-step GEMV ({@link Gemv}) run on the CPU through the emulator against sums in double of the same stored
 * inputs: bf16 and fp32; 1, 3, 9, 16 and 20 rows (the last in two blocks along z; past two rows bf16 takes the tensor
 * cores); K and N that are no multiple of the tiles, K split across blocks, K too odd for 16-byte loads; each epilogue
 * alone and together.
 */
class EmulatedGemvTest {
    private record Case(String name, Gemv.Spec spec, int rows) {}

    private record Expect(CudaOnCpu.Scenario scenario, float[] want, String what, boolean bf16) {}

    private final Random random = new Random(20261205);

    private float[] normal(int n, double scale, Precision p) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        if (p == Precision.BF16) for (int i = 0; i < n; i++) x[i] = CudaOnCpu.bf16(x[i]);
        return x;
    }

    static List<Case> cases() {
        Primitive id = Primitive.IDENTITY;
        return List.of(
                // N = 37: a ragged last tile; K = 200: three chunks and a partial one, no split
                new Case("plain", new Gemv.Spec(37, 200, 1, false, id, false), 1),
                new Case("residual", new Gemv.Spec(37, 200, 1, false, id, true), 1),
                new Case("gelu", new Gemv.Spec(37, 200, 1, false, Primitive.GELU, false), 1),
                new Case("gate", new Gemv.Spec(44, 520, 2, false, id, false), 16),
                new Case("bias_residual", new Gemv.Spec(37, 200, 1, true, id, true), 3),
                // 5 tiles of 4 features cannot fill a GPU: K = 3000 splits into 5 (the last shorter)
                new Case("split_bias", new Gemv.Spec(20, 3000, 1, true, id, false), 16),
                new Case("split_gate", new Gemv.Spec(20, 3000, 2, false, Primitive.SILU, true), 3),
                new Case("gelu_gate_bias", new Gemv.Spec(44, 520, 2, true, Primitive.GELU, false), 3),
                // 20 rows: a block of 16 and one of 4 along x
                new Case("gate_20_rows", new Gemv.Spec(44, 520, 2, false, id, true), 20),
                new Case("relu", new Gemv.Spec(300, 72, 1, true, Primitive.RELU, false), 16),
                // 9 rows on the tensor cores: row g + 8 of the fragment real for g = 0 only
                new Case("rows_9", new Gemv.Spec(37, 200, 1, true, id, true), 9),
                // K = 100, 102, 101: 8-, 4-byte and element loads in bf16
                new Case("k100", new Gemv.Spec(13, 100, 1, false, id, false), 3),
                new Case("k102", new Gemv.Spec(13, 102, 1, false, id, false), 3),
                new Case("k101", new Gemv.Spec(13, 101, 1, true, id, false), 3));
    }

    @Test
    void gemvComputesWhatSumsInDoubleCompute() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-gemv"));
        List<Expect> expectations = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (Case c : cases()) expectations.add(scenario(emu, c, p));
        }
        emu.run(cxx.get());
        List<String> failures = new ArrayList<>();
        for (Expect e : expectations) {
            // bf16: the result's own rounding (2^-8) and the fp32 sums' order; fp32: the sums' order over up to 3000 terms
            String problem = EmulatedKernelsTest.compare(e.want, e.scenario.read("y"), e.bf16 ? 8e-3 : 2e-5, e.bf16 ? 8e-3 : 2e-5);
            if (problem != null) failures.add(e.what + ": " + problem);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + expectations.size() + " GEMVs differ:\n" + String.join("\n", failures));
    }

    private Expect scenario(CudaOnCpu emu, Case c, Precision p) {
        Gemv.Spec s = c.spec();
        int n = Math.toIntExact(s.n()), k = Math.toIntExact(s.k()), rows = c.rows();
        Scalar st = p.storage();
        float[] x = normal(rows * k, 1, p);
        List<float[]> w = new ArrayList<>(), bias = new ArrayList<>();
        for (int m = 0; m < s.matrices(); m++) {
            w.add(normal(n * k, 1 / Math.sqrt(k), p));
            bias.add(normal(n, 0.5, p));
        }
        float[] residual = normal(rows * n, 1, p);
        String name = "gemv_" + c.name() + "_" + p.suffix();
        CudaOnCpu.Scenario sc = emu.scenario(name).buffer("x", st, x).zeros("y", st, rows * n);
        Map<String, Object> args = new HashMap<>(Map.of("rows", (long) rows));
        for (int m = 0; m < s.matrices(); m++) {
            sc.buffer("w" + m, st, w.get(m));
            if (s.bias()) sc.buffer("bias" + m, st, bias.get(m));
        }
        if (s.residual()) sc.buffer("residual", st, residual);
        List<GeneratedKernel> kernels = Gemv.generate(s, p);
        long partials = Gemv.partialsPerRow(s, p) * rows;
        assertEquals(partials > 0, kernels.size() == 2, c.name() + ": a split GEMV is two kernels, partial sums and their reduction");
        // the scratch starts as NaN, as a fresh pool does: every partial sum read must have been written
        if (partials > 0) sc.buffer("partials", Scalar.FLOAT, nans(Math.toIntExact(partials)));
        for (GeneratedKernel kernel : kernels) sc.launch(kernel, rows, 1, args);

        float[] want = new float[rows * n];
        Activation act = Activation.of(s.activation());
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < n; f++) {
                double[] prod = new double[s.matrices()];
                for (int m = 0; m < s.matrices(); m++) {
                    double sum = s.bias() ? bias.get(m)[f] : 0;
                    for (int i = 0; i < k; i++) sum += (double) x[r * k + i] * w.get(m)[f * k + i];
                    prod[m] = sum;
                }
                double y = act.apply(prod[0]);
                if (s.matrices() == 2) y *= prod[1];
                if (s.residual()) y += residual[r * n + f];
                want[r * n + f] = (float) y;
            }
        }
        return new Expect(sc, want, name + " " + Gemv.tiling(s, p) + " rows " + rows, p == Precision.BF16);
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, Float.NaN);
        return a;
    }

    @Test
    void tilingSplitsKOnlyWhereTheFeaturesCannotFillTheGpu() {
        // Evo 2 7B's decode projections: enough features for every block without a split
        for (long n : new long[] {4096, 11008, 12288}) {
            Gemv.Tiling t = Gemv.tiling(Gemv.Spec.linear(n, 4096, false), Precision.BF16);
            assertEquals(1, t.splits(), "n = " + n);
            assertEquals(8, t.vector(), "16-byte loads of bf16");
            assertTrue(t.tiles(n) >= Gemv.FILL_BLOCKS, "n = " + n + ": " + t.tiles(n) + " blocks");
        }
        // the logits (512 of them) come from 128 blocks of 4 features: K splits in 3 to fill the GPU
        Gemv.Tiling logits = Gemv.tiling(Gemv.Spec.linear(512, 4096, false), Precision.BF16);
        assertEquals(1, logits.rowsPerLane());
        assertEquals(3, logits.splits());
        assertTrue(logits.splits() * logits.tiles(512) >= Gemv.FILL_BLOCKS);
        // a gated MLP's two matrices share a lane's registers: half the rows of each
        assertEquals(2, Gemv.tiling(new Gemv.Spec(11008, 4096, 2, false, Primitive.GELU, false), Precision.BF16).rowsPerLane());
        // a split never leaves a warp without a chunk, nor a short K split at all
        assertEquals(1, Gemv.tiling(Gemv.Spec.linear(8, 64, false), Precision.FP32).splits());
    }
}
