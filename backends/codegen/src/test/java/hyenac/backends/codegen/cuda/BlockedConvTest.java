package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.BlockedConv;
import hyenac.backends.codegen.kernels.BlockedConv.Walk;
import hyenac.backends.codegen.kernels.CausalConv.Filter;
import hyenac.backends.codegen.kernels.CausalConv.Taps;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Conv;
import hyenac.backends.cpu.Elementwise;
import hyenac.backends.cpu.Fir;
import hyenac.ir.Primitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The two-stage blocked convolution ({@link BlockedConv}) run on the CPU through {@link CudaOnCpu} (mma, ldmatrix and
 * cp.async by the shim's warp emulation), against the CPU backend: at the bf16 tolerance of the other kernel tests, and
 * against the same sums with s and h rounded to bf16 as the tensor cores take them, within the final rounding to bf16.
 * The shapes cross every edge: lengths that are not a multiple of 16 or of a segment, one step, segments shorter than
 * the halo (so a block's history comes from several blocks before it), a fixed number of blocks per channel slice
 * (some with nothing to do), a last block with idle warps, odd group counts,
 * filters of 1, 2, 7, 17, 127 and 128 taps in both tap orders, with and without skip, gated and plain, B up to 3.
 */
class BlockedConvTest {
    private record Case(String name, Filter filter, boolean core, Primitive gate, Walk walk, int batch, int length) {}

    static final List<Case> CASES = List.of(
            // Hyena-MR's filter: 3 groups of 16 (the block's fourth warp idle), L crossing 3 segments of 64 and ending mid-strip
            new Case("mr", new Filter(48, 128, 3, Taps.FIR, true), true, Primitive.IDENTITY, Walk.segments(64), 2, 150),
            // Hyena-SE's: cross-correlation order, no skip, a GELU gate, the default segment
            new Case("se", new Filter(64, 7, 4, Taps.XCORR, false), true, Primitive.GELU, Walk.segments(BlockedConv.SEGMENT), 2, 70),
            // chunk − 1 taps, groups of 32, segments of 48 (3 strips: the halo spans 3 blocks)
            new Case("k127", new Filter(64, 127, 2, Taps.FIR, true), true, Primitive.SILU, Walk.segments(48), 1, 200),
            // chunk taps, two blocks of channels, one-strip segments, B = 3, 33 steps
            new Case("k128", new Filter(128, 128, 8, Taps.FIR, true), true, Primitive.IDENTITY, Walk.segments(16), 3, 33),
            // one step
            new Case("one_step", new Filter(48, 128, 3, Taps.FIR, true), true, Primitive.IDENTITY, Walk.segments(64), 2, 1),
            // the plain convolution: one tap with skip, two taps in xcorr order, 17 taps across a tile edge
            new Case("k1", new Filter(32, 1, 2, Taps.FIR, true), false, Primitive.IDENTITY, Walk.segments(32), 2, 37),
            new Case("k2", new Filter(96, 2, 3, Taps.XCORR, false), false, Primitive.IDENTITY, Walk.segments(32), 1, 100),
            new Case("k17", new Filter(16, 17, 1, Taps.XCORR, true), false, Primitive.IDENTITY, Walk.segments(64), 2, 129),
            // a fixed number of blocks per channel slice: 4 sharing 150 steps (48 each), and 8 for 37 steps (7 with nothing to do)
            new Case("nine_strips", new Filter(48, 128, 3, Taps.FIR, true), true, Primitive.IDENTITY, Walk.segments(144), 2, 350),
            new Case("short", new Filter(64, 7, 4, Taps.XCORR, true), true, Primitive.IDENTITY, Walk.segments(BlockedConv.SEGMENT), 1, 37));

    private final Random random = new Random(20261212);

    private float[] normal(int n, double scale, boolean bf16) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        return bf16 ? bf16(x) : x;
    }

    private static float[] bf16(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = CudaOnCpu.bf16(x[i]);
        return y;
    }

    private record Check(CudaOnCpu.Scenario scenario, Case c, float[] oracle, float[] matched) {}

    @Test
    void blockedKernelsComputeWhatTheCpuBackendComputes() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-blocked"));
        List<Check> checks = new ArrayList<>();
        for (Case c : CASES) checks.add(scenario(emu, c));
        emu.run(cxx.get());

        List<String> failures = new ArrayList<>();
        for (Check ch : checks) {
            float[] got = ch.scenario().read("y");
            String loose = EmulatedKernelsTest.compare(ch.oracle(), got, 2e-2, 2e-2);
            if (loose != null) failures.add(ch.c().name() + " against the CPU backend: " + loose);
            // the kernel's only roundings beyond the matched sums' are fp32 summation order and y's rounding to bf16
            String tight = EmulatedKernelsTest.compare(ch.matched(), got, 1.0 / 256, 1e-4);
            if (tight != null) failures.add(ch.c().name() + " against the bf16-matched sums: " + tight);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + 2 * checks.size() + " checks failed:\n" + String.join("\n", failures));
        System.out.println("blocked convolution: " + 2 * checks.size() + " checks against the CPU backend passed");
    }

    private Check scenario(CudaOnCpu emu, Case c) {
        Filter f = c.filter();
        int channels = Math.toIntExact(f.channels()), rows = c.batch() * c.length();
        // the scales of WeightStore.random (filters N(0, 1/K), skips N(0, 1/4)), taps in bf16 as a bf16 model holds them
        float[] taps = normal(f.len() * (int) f.groups(), 1 / Math.sqrt(f.len()), true), skip = normal(channels, 0.5, false);
        float[] input = normal(rows * channels * (c.core() ? 3 : 1), 1, true);
        GeneratedKernel k = BlockedConv.generate(f, Precision.BF16, c.core(), c.gate(), c.walk());
        var s = emu.scenario("blocked_" + c.name()).buffer(c.core() ? "z" : "x", Scalar.BF16, input).buffer("h", Scalar.FLOAT, taps)
                .buffer("skip", Scalar.FLOAT, skip).zeros("y", Scalar.BF16, rows * channels);
        s.launch(k, c.batch(), c.length(), Map.of("length", (long) c.length()));

        float[] q = null, sv = input;
        if (c.core()) {
            float[][] qkv = hyenac.backends.cpu.Channels.deinterleave(input, rows, 3 * channels, 3);
            q = Activation.of(c.gate()).apply(qkv[0]);
            sv = Elementwise.mul(qkv[1], qkv[2]);
        }
        Fir fir = Fir.of(taps, Math.toIntExact(f.groups()), f.len(), f.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
        float[] oracle = Conv.direct(sv, c.batch(), c.length(), channels, fir, f.skip() ? skip : null);
        float[] matched = matched(f, c.batch(), c.length(), taps, sv, f.skip() ? skip : null);
        if (q != null) {
            oracle = Elementwise.mul(q, oracle);
            matched = Elementwise.mul(q, matched);
        }
        return new Check(s, c, oracle, matched);
    }

    /** h ∗ s with s rounded to bf16 (taps already are), summed in double, plus skip ⊙ s unrounded: what the kernel's products take. */
    static float[] matched(Filter f, int batch, int length, float[] taps, float[] s, float[] skip) {
        int channels = Math.toIntExact(f.channels()), K = f.len();
        float[] sRounded = bf16(s), y = new float[s.length];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                for (int ch = 0; ch < channels; ch++) {
                    int g = Math.toIntExact(ch / f.groupSize());
                    double sum = 0;
                    for (int j = 0; j < K && j <= t; j++) {
                        float h = taps[g * K + (f.taps() == Taps.FIR ? j : K - 1 - j)];
                        sum += (double) h * sRounded[((b * length) + t - j) * channels + ch];
                    }
                    int at = (b * length + t) * channels + ch;
                    if (skip != null) sum += (double) skip[ch] * s[at];
                    y[at] = (float) sum;
                }
            }
        }
        return y;
    }

    @Test
    void takesOnlyWhatItCanCompute() {
        var dialect = CudaDialect.INSTANCE;
        assertTrue(BlockedConv.supports(new Filter(4096, 128, 256, Taps.FIR, true), Precision.BF16, dialect), "Evo 2's Hyena-MR");
        assertTrue(BlockedConv.supports(new Filter(4096, 7, 256, Taps.XCORR, false), Precision.BF16, dialect), "Evo 2's Hyena-SE");
        assertTrue(!BlockedConv.supports(new Filter(4096, 129, 256, Taps.FIR, true), Precision.BF16, dialect), "longer than the chunk");
        assertTrue(!BlockedConv.supports(new Filter(1920, 128, 128, Taps.FIR, true), Precision.BF16, dialect), "15 channels a group (Evo 2 1B)");
        assertTrue(!BlockedConv.supports(new Filter(4096, 128, 256, Taps.FIR, true), Precision.FP32, dialect), "fp32");
        assertTrue(!BlockedConv.supports(new Filter(192, 3, 192, Taps.XCORR, false), Precision.BF16, dialect), "the featurizer: one channel a group");
        assertThrows(IllegalArgumentException.class, () -> BlockedConv.core(new Filter(64, 129, 4, Taps.FIR, true), Primitive.IDENTITY, Precision.BF16));
        assertThrows(IllegalArgumentException.class, () -> Walk.segments(40), "a segment of whole strips");
        assertEquals(9, BlockedConv.tiles(128));
        assertEquals(9, BlockedConv.tiles(127));
        assertEquals(2, BlockedConv.tiles(7));
        assertEquals(1, BlockedConv.tiles(1));
        assertEquals(2, BlockedConv.tiles(2));
        assertTrue(BlockedConv.sharedBytes(new Filter(4096, 128, 256, Taps.FIR, true), true) <= dialect.maxSharedBytes());
    }
}
