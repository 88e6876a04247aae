package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.HopperAttention;
import hyenac.backends.cpu.Attention;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The wgmma attention kernel, with one and two warpgroups per block and key tiles of 64 and 128 keys, through the
 * emulator at the shapes the GPU check runs it at (AttentionCheck): several sequences and heads, lengths that end in a
 * partial tile (with two warpgroups, one whose queries all lie past the end), both head dims; and at d = 128 several
 * whole tiles, and several ending in a partial one (the overlapped schedule's V buffers alternate). A 128-key tile may
 * start 64 keys before a warpgroup's queries and reach past its last one and past the sequence's end.
 */
class HopperAttentionTest {
    @Test
    void matchesTheReferenceWhereTheGpuCheckRunsIt() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-hopper"));
        record Case(int batch, int heads, int headDim, int length) {}
        List<Case> cases = List.of(new Case(2, 4, 64, 300), new Case(1, 2, 128, 300), new Case(1, 2, 64, 256), new Case(1, 4, 64, 1),
                new Case(1, 2, 128, 256), new Case(1, 2, 128, 200));
        Random random = new Random(7);
        List<Object[]> expected = new ArrayList<>();
        for (Case c : cases) {
            int n = c.batch() * c.length() * c.heads() * c.headDim();
            float[] q = bf16(random, n), k = bf16(random, n), v = bf16(random, n);
            float[] reference = Attention.causal(q, k, v, c.batch(), c.length(), c.heads(), c.headDim());
            for (int keys : new int[] {64, 128}) {
                for (int warpgroups = 1; warpgroups <= 2; warpgroups++) {
                    var s = emu.scenario("hopper_wg" + warpgroups + "_k" + keys + "_b" + c.batch() + "_h" + c.heads() + "_d" + c.headDim() + "_l" + c.length())
                            .buffer("q", Precision.BF16.storage(), q).buffer("k", Precision.BF16.storage(), k).buffer("v", Precision.BF16.storage(), v)
                            .zeros("out", Precision.BF16.storage(), n);
                    s.launch(HopperAttention.generate(c.heads(), c.headDim(), Precision.BF16, warpgroups, keys), c.batch(), c.length(),
                            Map.of("length", (long) c.length()));
                    expected.add(new Object[] {c + " with " + warpgroups + " warpgroups, key tiles of " + keys, s, reference});
                }
            }
        }
        emu.run(cxx.get());
        List<String> failures = new ArrayList<>();
        for (Object[] e : expected) {
            String problem = EmulatedKernelsTest.compare((float[]) e[2], ((CudaOnCpu.Scenario) e[1]).read("out"), 2e-2, 2e-2);
            if (problem != null) failures.add(e[0] + ": " + problem);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static float[] bf16(Random random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = CudaOnCpu.bf16((float) random.nextGaussian());
        return x;
    }
}
