package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.BlockedConv;
import hyenac.backends.codegen.kernels.BlockedConv.Walk;
import hyenac.backends.codegen.kernels.CausalConv;
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
 * The Hyena cores that compute the featurizer on their loads of the input projection u ({@link CausalConv#hyenaCore}
 * direct, tiled and untiled; {@link BlockedConv#core} on the tensor cores), run on the CPU through {@link CudaOnCpu},
 * against the CPU backend (the featurizer, z rounded to the storage type as the plan stores it, then the core), and bit
 * for bit against the unfused kernels of the same plan: the featurizer's own direct kernel writing z, then the core
 * reading it. Hyena-SE (7 taps, cross-correlation order) and MR (128 taps, FIR order, with skip), at L = 1, 2, 3 and 17,
 * across the direct kernel's 64-step tiles, and for the blocked kernel segments of 16, 32, 48 and 144 steps, so that a
 * block's first strips (and the one before them whose last rows the featurizer reads) come from the blocks before it;
 * B = 2, every gate activation, featurizers with skip, shared filter groups and 5 taps (a tail of 4 rows) too.
 */
class FeaturizedCoreTest {
    /** A core with its featurizer; {@code walk} null: the direct kernel. */
    private record Case(String name, Filter filter, Filter featurizer, Primitive gate, Walk walk, Precision precision, int batch, int length) {
        GeneratedKernel fused() {
            return walk == null ? CausalConv.hyenaCore(filter, featurizer, gate, precision) : BlockedConv.generate(filter, featurizer, precision, gate, walk);
        }

        GeneratedKernel core() {
            return walk == null ? CausalConv.hyenaCore(filter, gate, precision) : BlockedConv.generate(filter, precision, true, gate, walk);
        }
    }

    static final Filter SE = new Filter(64, 7, 4, Taps.XCORR, false), MR = new Filter(48, 128, 3, Taps.FIR, true);

    /** Evo 2's featurizer of a core's 3C channels: 3 taps per channel, cross-correlation order, no skip. */
    static Filter featurizer(Filter core) { return new Filter(3 * core.channels(), 3, 3 * core.channels(), Taps.XCORR, false); }

    static final List<Case> CASES = cases();

    private static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        Primitive[] gates = {Primitive.IDENTITY, Primitive.GELU, Primitive.SILU, Primitive.RELU};
        // the blocked kernel (bf16): L = 1, 2, 3, 17 with segments of 16, 32, 48 (17 steps cross a segment's end), every gate
        int[] lengths = {1, 2, 3, 17};
        Walk[] walks = {Walk.segments(16), Walk.segments(32), Walk.segments(48), Walk.segments(16)};
        for (int i = 0; i < lengths.length; i++) {
            out.add(new Case("blocked_se_l" + lengths[i], SE, featurizer(SE), gates[i], walks[i], Precision.BF16, 2, lengths[i]));
            out.add(new Case("blocked_mr_l" + lengths[i], MR, featurizer(MR), gates[(i + 1) % 4], walks[i], Precision.BF16, 2, lengths[i]));
        }
        // many segments of 9 strips (the MR halo, 8 strips, and the featurizer's strip before it span blocks), the default walk
        out.add(new Case("blocked_mr_seg144", MR, featurizer(MR), Primitive.SILU, Walk.segments(144), Precision.BF16, 2, 350));
        out.add(new Case("blocked_se_default", SE, featurizer(SE), Primitive.GELU, BlockedConv.WALK, Precision.BF16, 2, 37));
        // a featurizer with skip, 3 shared filters and 5 taps in FIR order (a tail of 4 rows), and two blocks of channels
        out.add(new Case("blocked_se_wide_featurizer", SE, new Filter(192, 5, 3, Taps.FIR, true), Primitive.RELU, Walk.segments(32), Precision.BF16, 2, 70));
        Filter twoBlocks = new Filter(128, 128, 8, Taps.FIR, true);
        out.add(new Case("blocked_two_blocks", twoBlocks, featurizer(twoBlocks), Primitive.IDENTITY, Walk.segments(48), Precision.BF16, 2, 100));
        // the direct kernel in both precisions: SE at L = 1, 2, 3, 17, MR across tiles of 64 steps, the untiled form (300 taps)
        for (Precision p : Precision.values()) {
            Filter se = new Filter(48, 7, 4, Taps.XCORR, false), mr = new Filter(48, 128, 4, Taps.FIR, true), long_ = new Filter(48, 300, 2, Taps.XCORR, true);
            for (int i = 0; i < lengths.length; i++) {
                out.add(new Case("direct_se_l" + lengths[i] + "_" + p.suffix(), se, featurizer(se), gates[i], null, p, 2, lengths[i]));
            }
            out.add(new Case("direct_mr_" + p.suffix(), mr, new Filter(144, 3, 144, Taps.XCORR, true), Primitive.SILU, null, p, 2, 150));
            out.add(new Case("direct_untiled_" + p.suffix(), long_, new Filter(144, 5, 3, Taps.FIR, true), Primitive.GELU, null, p, 2, 40));
        }
        return out;
    }

    private final Random random = new Random(20261213);

    private float[] normal(int n, double scale, boolean bf16) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        return bf16 ? stored(Precision.BF16, x) : x;
    }

    private static float[] stored(Precision p, float[] x) {
        if (p == Precision.FP32) return x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = CudaOnCpu.bf16(x[i]);
        return y;
    }

    private static Fir fir(Filter f, float[] taps) {
        return Fir.of(taps, Math.toIntExact(f.groups()), f.len(), f.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
    }

    private record Check(Case c, CudaOnCpu.Scenario fused, CudaOnCpu.Scenario unfused, float[] oracle, float[] matched) {}

    @Test
    void featurizedCoresComputeWhatTheCpuAndTheUnfusedKernelsCompute() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-featurized"));
        List<Check> checks = new ArrayList<>();
        for (Case c : CASES) checks.add(scenario(emu, c));
        emu.run(cxx.get());

        List<String> failures = new ArrayList<>();
        for (Check ch : checks) {
            float[] got = ch.fused().read("y");
            boolean bf16 = ch.c().precision() == Precision.BF16;
            String loose = EmulatedKernelsTest.compare(ch.oracle(), got, bf16 ? 2e-2 : 2e-4, bf16 ? 2e-2 : 2e-4);
            if (loose != null) failures.add(ch.c().name() + " against the CPU backend: " + loose);
            if (ch.matched() != null) {
                // beyond the matched sums' roundings, the blocked kernel's are fp32 summation order and y's rounding to bf16
                String tight = EmulatedKernelsTest.compare(ch.matched(), got, 1.0 / 256, 1e-4);
                if (tight != null) failures.add(ch.c().name() + " against the bf16-matched sums: " + tight);
            }
            String bits = identical(ch.unfused().read("y"), got);
            if (bits != null) failures.add(ch.c().name() + " against the unfused featurizer and core kernels: " + bits);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + 3 * checks.size() + " checks failed:\n" + String.join("\n", failures));
        System.out.println("featurized cores: " + checks.size() + " kernels against the CPU backend and the unfused kernels passed");
    }

    private Check scenario(CudaOnCpu emu, Case c) {
        Filter f = c.filter(), fz = c.featurizer();
        Precision p = c.precision();
        boolean bf16 = p == Precision.BF16;
        int channels = Math.toIntExact(f.channels()), rows = c.batch() * c.length();
        // the scales of WeightStore.random (filters N(0, 1/K), skips N(0, 1/4)); a bf16 model's weights are bf16 values
        float[] taps = normal(f.len() * (int) f.groups(), 1 / Math.sqrt(f.len()), bf16), skip = normal(channels, 0.5, bf16);
        float[] featureTaps = normal(fz.len() * (int) fz.groups(), 1 / Math.sqrt(fz.len()), bf16), featureSkip = normal(3 * channels, 0.5, bf16);
        float[] u = normal(rows * 3 * channels, 1, bf16);
        Map<String, Object> sizes = Map.of("length", (long) c.length(), "rows", (long) rows);

        var fused = emu.scenario("fused_" + c.name()).buffer("u", p.storage(), u).buffer("feature_h", Scalar.FLOAT, featureTaps)
                .buffer("feature_skip", Scalar.FLOAT, featureSkip).buffer("h", Scalar.FLOAT, taps).buffer("skip", Scalar.FLOAT, skip)
                .zeros("y", p.storage(), rows * channels);
        fused.launch(c.fused(), c.batch(), c.length(), sizes);

        // the unfused plan's kernels: the featurizer's own (direct) into z, then the core reading z
        var unfused = emu.scenario("unfused_" + c.name()).buffer("u", p.storage(), u).buffer("feature_h", Scalar.FLOAT, featureTaps)
                .buffer("feature_skip", Scalar.FLOAT, featureSkip).buffer("h", Scalar.FLOAT, taps).buffer("skip", Scalar.FLOAT, skip)
                .zeros("z", p.storage(), rows * 3 * channels).zeros("y", p.storage(), rows * channels);
        unfused.launch(CausalConv.direct(fz, p), c.batch(), c.length(), Map.of("length", (long) c.length(), "rows", (long) rows, "x", "u", "h", "feature_h",
                "skip", "feature_skip", "y", "z"));
        unfused.launch(c.core(), c.batch(), c.length(), sizes);

        // the CPU: z as the plan stores it, then deinterleave, k * v, the filter and the gate
        float[] z = stored(p, Conv.direct(u, c.batch(), c.length(), 3 * channels, fir(fz, featureTaps), fz.skip() ? featureSkip : null));
        float[][] qkv = hyenac.backends.cpu.Channels.deinterleave(z, rows, 3 * channels, 3);
        float[] q = Activation.of(c.gate()).apply(qkv[0]), s = Elementwise.mul(qkv[1], qkv[2]);
        float[] oracle = Elementwise.mul(q, Conv.direct(s, c.batch(), c.length(), channels, fir(f, taps), f.skip() ? skip : null));
        float[] matched = c.walk() == null ? null : Elementwise.mul(q, BlockedConvTest.matched(f, c.batch(), c.length(), taps, s, f.skip() ? skip : null));
        return new Check(c, fused, unfused, oracle, matched);
    }

    private static String identical(float[] want, float[] got) {
        if (want.length != got.length) return "length " + got.length + ", expected " + want.length;
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) return "at " + i + " got " + got[i] + ", the unfused kernels " + want[i];
        }
        return null;
    }

    @Test
    void takesOnlyTheFeaturizersItCanCompute() {
        Filter mr = new Filter(4096, 128, 256, Taps.FIR, true), se = new Filter(4096, 7, 256, Taps.XCORR, false);
        assertTrue(BlockedConv.supportsFeaturizer(mr, featurizer(mr)), "Evo 2's Hyena-MR core with its featurizer");
        assertTrue(BlockedConv.supportsFeaturizer(se, featurizer(se)), "Evo 2's Hyena-SE core with its featurizer");
        assertTrue(BlockedConv.sharedBytes(mr, featurizer(mr)) <= BlockedConv.sharedBytes(mr, true), "no more shared memory than the plain core's");
        assertFalse(BlockedConv.supportsFeaturizer(mr, new Filter(3 * 4096, 18, 3 * 4096, Taps.XCORR, false)), "history past the strip before");
        assertFalse(BlockedConv.supportsFeaturizer(mr, new Filter(3 * 4096, 5, 3, Taps.FIR, true)), "a tail and taps past 48 KiB beside K = 128");
        assertFalse(BlockedConv.supportsFeaturizer(mr, new Filter(4096, 3, 4096, Taps.XCORR, false)), "not the core's 3C channels");
        assertFalse(CausalConv.supportsFeaturizer(se, new Filter(3 * 4096, 17, 3 * 4096, Taps.XCORR, false)), "too many taps to unroll");
        assertThrows(IllegalArgumentException.class, () -> BlockedConv.core(mr, new Filter(3 * 4096, 18, 3 * 4096, Taps.XCORR, false), Primitive.IDENTITY,
                Precision.BF16));
        assertEquals("hyena_core_blocked_c4096_k128_g256_fir_skip_feat_k3_g12288_xcorr_bf16",
                BlockedConv.core(mr, featurizer(mr), Primitive.IDENTITY, Precision.BF16).entry());
    }
}
