package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.CausalConv.Taps;
import hyenac.backends.codegen.kernels.ModalScan;
import hyenac.backends.codegen.kernels.ModalScan.Blocking;
import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Conv;
import hyenac.backends.cpu.Elementwise;
import hyenac.backends.cpu.Fir;
import hyenac.backends.cpu.ModalFilter;
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
 * The modal scan ({@link ModalScan}: the chunks' end states, their carry, the chunks again from their incoming states)
 * run on the CPU through {@link CudaOnCpu} against the CPU backend's modal convolution (the filter materialised in fp64,
 * convolved directly in fp64), in fp32 and bf16: as the gated Hyena core (with and without q's activation) and plain,
 * over lengths 1, 7, T − 1, T, T + 1 and several chunks with a partial last one, batches of two, channel counts that
 * leave a block partly empty; poles that decay within a few steps and poles so close to 1 (λ^T ≈ 0.99) that the carry
 * across 20 chunks holds nearly everything the output has. Small chunks keep the emulation to seconds; one case runs the
 * production blocking ({@link ModalScan#DEFAULT}) across a chunk boundary.
 *
 * <p>The core computing its featurizer from the input projection's output u: against the CPU backend (the featurizer, z
 * rounded to the storage type as the plan stores it, then the core) and bit for bit against the unfused kernels (the
 * featurizer's own direct kernel writing z, then the scan reading it), at L = 1, within one chunk, across chunk
 * boundaries (a chunk's first steps read the rows of u before it) and over several chunks with a partial last one.
 */
class ModalScanTest {
    static final int B = 2;
    /** Chunks of 16 steps, 4 ahead (the carry 8), 32 channels a block. */
    private static final Blocking SMALL = new Blocking(16, 32, 4);

    private record Expect(CudaOnCpu.Scenario scenario, float[] want, String what, double rtol, double atol) {}

    private final List<Expect> expectations = new ArrayList<>();
    private final Random random = new Random(20261207);
    private int featurizedScenarios;

    @Test
    void theScanMatchesTheCpuBackend() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-modal-scan"));
        int t = SMALL.chunk();
        for (Precision p : Precision.values()) {
            for (int length : new int[] {1, 7, t - 1, t, t + 1, 3 * t + 5}) check(emu, p, SMALL, 12, 4, true, Primitive.IDENTITY, length, Poles.TRAINED);
            check(emu, p, SMALL, 40, 16, true, Primitive.SILU, 2 * t + 3, Poles.TRAINED);
            check(emu, p, SMALL, 8, 3, false, Primitive.GELU, 5 * t, Poles.TRAINED);
            check(emu, p, SMALL, 12, 5, true, null, 2 * t + 9, Poles.TRAINED);
            check(emu, p, SMALL, 12, 5, false, null, 1, Poles.TRAINED);
            // the carry across 20 chunks (40 in the plain case) with lambda^T near 1
            check(emu, p, SMALL, 12, 4, true, Primitive.IDENTITY, 20 * t, Poles.SLOW);
            check(emu, p, SMALL, 12, 4, true, null, 40 * t - 3, Poles.SLOW);
        }
        check(emu, Precision.BF16, ModalScan.DEFAULT, 10, 16, true, Primitive.IDENTITY, 300, Poles.TRAINED);
        long t0 = System.nanoTime();
        emu.run(cxx.get());
        System.out.printf("modal scan: %d scenarios emulated in %.1f s%n", expectations.size(), (System.nanoTime() - t0) / 1e9);

        List<String> failures = new ArrayList<>();
        for (Expect e : expectations) {
            float[] got = e.scenario().read("y");
            String problem = EmulatedKernelsTest.compare(e.want(), got, e.rtol(), e.atol());
            System.out.printf("%s: max error %.3g of max|ref| %.3g%n", e.what(), maxError(e.want(), got), maxAbs(e.want()));
            if (problem != null) failures.add(e.what() + ": " + problem);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + expectations.size() + " checks failed:\n" + String.join("\n", failures));
    }

    /** Evo 2's featurizer of a core's 3C channels: 3 taps per channel, cross-correlation order, no skip. */
    private static CausalConv.Filter evo2Featurizer(int c) { return new CausalConv.Filter(3L * c, 3, 3L * c, Taps.XCORR, false); }

    @Test
    void theScanComputingItsFeaturizerMatchesTheCpuAndTheUnfusedKernels() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-featurized-scan"));
        int t = SMALL.chunk();
        List<Featurized> cases = new ArrayList<>();
        for (Precision p : Precision.values()) {
            // one step, within a chunk, one step past a chunk, whole chunks; 40 channels leave the second block of 32 partly empty
            cases.add(featurized(emu, p, SMALL, 12, 4, true, Primitive.IDENTITY, evo2Featurizer(12), 1, Poles.TRAINED));
            cases.add(featurized(emu, p, SMALL, 40, 16, true, Primitive.SILU, evo2Featurizer(40), 7, Poles.TRAINED));
            cases.add(featurized(emu, p, SMALL, 12, 5, false, Primitive.GELU, evo2Featurizer(12), t + 1, Poles.TRAINED));
            cases.add(featurized(emu, p, SMALL, 40, 4, true, Primitive.IDENTITY, evo2Featurizer(40), 2 * t, Poles.TRAINED));
            // several chunks and a partial last one: a featurizer with skip, 3 shared filters in FIR order, 5 taps (4 rows of
            // history); the most taps taken, 7 rows of history, more than the 4 steps loaded ahead
            cases.add(featurized(emu, p, SMALL, 12, 4, true, Primitive.RELU, new CausalConv.Filter(36, 5, 3, Taps.FIR, true), 3 * t + 5, Poles.TRAINED));
            cases.add(featurized(emu, p, SMALL, 12, 3, true, Primitive.SILU,
                    new CausalConv.Filter(36, ModalScan.MAX_FEATURIZER_TAPS, 36, Taps.XCORR, true), 2 * t + 9, Poles.TRAINED));
            // the carry across 20 chunks with lambda^T near 1
            cases.add(featurized(emu, p, SMALL, 12, 4, true, Primitive.IDENTITY, evo2Featurizer(12), 20 * t - 3, Poles.SLOW));
        }
        cases.add(featurized(emu, Precision.BF16, ModalScan.DEFAULT, 10, 16, true, Primitive.IDENTITY, evo2Featurizer(10), 300, Poles.TRAINED));
        long t0 = System.nanoTime();
        emu.run(cxx.get());
        System.out.printf("featurized modal scan: %d cases emulated in %.1f s%n", cases.size(), (System.nanoTime() - t0) / 1e9);

        List<String> failures = new ArrayList<>();
        for (Featurized c : cases) {
            float[] got = c.fused().read("y");
            // against the CPU: as the scan from z, but its z is summed in fp64 before rounding, so in bf16 a z may round
            // the other way (2^-8 of that s, at most 2^-8 of the output's scale)
            double scale = maxAbs(c.want());
            boolean bf16 = c.what().endsWith("bf16");
            String problem = EmulatedKernelsTest.compare(c.want(), got, bf16 ? 0x1p-8 : 1e-5, (bf16 ? 0x1p-8 : 1e-5) * scale);
            System.out.printf("%s: max error %.3g of max|ref| %.3g%n", c.what(), maxError(c.want(), got), scale);
            if (problem != null) failures.add(c.what() + " against the CPU backend: " + problem);
            String bits = identical(c.unfused().read("y"), got);
            if (bits != null) failures.add(c.what() + " against the unfused featurizer and scan kernels: " + bits);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + 2 * cases.size() + " checks failed:\n" + String.join("\n", failures));
    }

    private record Featurized(String what, CudaOnCpu.Scenario fused, CudaOnCpu.Scenario unfused, float[] want) {}

    /**
     * The scan's three kernels from u computing {@code featurizer}, and beside them the unfused plan's: the featurizer's
     * direct kernel into z, then the three kernels from z; with what the CPU backend makes of the same inputs.
     */
    private Featurized featurized(CudaOnCpu emu, Precision p, Blocking k, int c, int modes, boolean skip, Primitive gate, CausalConv.Filter featurizer,
                                  int length, Poles poles) {
        String what = "featurized core " + gate + " c" + c + " m" + modes + (skip ? " skip" : "") + " featurizer k" + featurizer.len() + " g"
                + featurizer.groups() + (featurizer.skip() ? " skip" : "") + " " + k.tag() + " L" + length + " " + poles + " " + p.suffix();
        String name = "featurized" + featurizedScenarios++;
        float[] logPoles = new float[c * modes], residues = normal(c * modes, 0.5f), skipW = normal(c, 1);
        for (int i = 0; i < logPoles.length; i++) {
            logPoles[i] = (float) -Math.exp(poles == Poles.TRAINED ? random.nextDouble() * 9 - 8 : random.nextDouble() * 3 - 12);
        }
        float[] featureTaps = normal(featurizer.len() * (int) featurizer.groups(), (float) (1 / Math.sqrt(featurizer.len())));
        float[] featureSkip = normal(3 * c, 0.5f);
        int n = B * length * c;
        float[] u = stored(p, normal(3 * n, 1));
        var f = new ModalScan.Filter(c, modes, skip);
        Map<String, Object> args = Map.of("length", (long) length);
        CudaOnCpu.Scenario[] both = new CudaOnCpu.Scenario[2];
        for (int unfused = 0; unfused < 2; unfused++) {
            var s = emu.scenario(name + (unfused == 1 ? "_unfused_" : "_") + p.suffix()).buffer("u", p.storage(), u)
                    .buffer("feature_h", Scalar.FLOAT, featureTaps).buffer("feature_skip", Scalar.FLOAT, featureSkip)
                    .buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues).buffer("skip", Scalar.FLOAT, skipW)
                    .buffer("states", Scalar.FLOAT, filled(B * Math.ceilDiv(length, k.chunk()) * modes * c, Float.NaN)).zeros("y", p.storage(), n);
            if (unfused == 1) {
                s.zeros("z", p.storage(), 3 * n);
                s.launch(CausalConv.direct(featurizer, p), B, length, Map.of("length", (long) length, "x", "u", "h", "feature_h", "skip", "feature_skip",
                        "y", "z"));
                s.launch(ModalScan.states(f, true, p, k), B, length, args);
                s.launch(ModalScan.carry(f, k), B, length, args);
                s.launch(ModalScan.output(f, gate, p, k), B, length, args);
            } else {
                s.launch(ModalScan.states(f, featurizer, p, k), B, length, args);
                s.launch(ModalScan.carry(f, k), B, length, args);
                s.launch(ModalScan.output(f, featurizer, gate, p, k), B, length, args);
            }
            both[unfused] = s;
        }
        // the CPU: z as the plan stores it, then deinterleave, k * v, the modal filter and the gate
        Fir fir = Fir.of(featureTaps, Math.toIntExact(featurizer.groups()), featurizer.len(), featurizer.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
        float[] z = stored(p, Conv.direct(u, B, length, 3 * c, fir, featurizer.skip() ? featureSkip : null));
        float[][] qkv = hyenac.backends.cpu.Channels.deinterleave(z, B * length, 3 * c, 3);
        float[] signal = Elementwise.mul(qkv[1], qkv[2]);
        float[] want = Elementwise.mul(Activation.of(gate).apply(qkv[0]),
                ModalFilter.apply(signal, B, length, c, logPoles, residues, modes, skip ? skipW : null, Conv.Algorithm.DIRECT));
        return new Featurized(what, both[0], both[1], want);
    }

    private static String identical(float[] want, float[] got) {
        if (want.length != got.length) return "length " + got.length + ", expected " + want.length;
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) return "at " + i + " got " + got[i] + ", the unfused kernels " + want[i];
        }
        return null;
    }

    /** The control: the same comparison fails when the carry is left out (the chunks each from zero), so the tolerance cannot hide it. */
    @Test
    void withoutTheCarryTheSlowPolesFail() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-modal-scan-control"));
        int c = 12, modes = 4, length = 20 * SMALL.chunk();
        Case k = inputs(emu, Precision.FP32, SMALL, c, modes, true, Primitive.IDENTITY, length, Poles.SLOW, "control", 0);
        var f = new ModalScan.Filter(c, modes, true);
        Map<String, Object> args = Map.of("length", (long) length);
        // the first kernel's states would be the carry's input: zeros instead are every chunk starting from rest
        k.scenario().launch(ModalScan.output(f, Primitive.IDENTITY, Precision.FP32, SMALL), B, length, args);
        emu.run(cxx.get());
        String problem = EmulatedKernelsTest.compare(k.want(), k.scenario().read("y"), 1e-4, 1e-4 * maxAbs(k.want()));
        assertTrue(problem != null, "the chunks each from a zero state matched the whole convolution: the slow poles do not test the carry");
    }

    @Test
    void badBlockingsAndTooManyModesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Blocking(100, 128, 8), "the chunk is a multiple of the steps ahead");
        assertThrows(IllegalArgumentException.class, () -> new Blocking(128, 100, 8), "whole warps");
        assertTrue(ModalScan.supports(new ModalScan.Filter(4096, ModalScan.MAX_MODES, true)));
        assertTrue(!ModalScan.supports(new ModalScan.Filter(4096, ModalScan.MAX_MODES + 1, true)));
    }

    @Test
    void takesOnlyTheFeaturizersItCanCompute() {
        var li = new ModalScan.Filter(4096, 16, true);
        assertTrue(ModalScan.supportsFeaturizer(li, evo2Featurizer(4096)), "Evo 2's Hyena-LI core with its featurizer");
        assertTrue(!ModalScan.supportsFeaturizer(li, new CausalConv.Filter(3 * 4096, ModalScan.MAX_FEATURIZER_TAPS + 1, 3 * 4096, Taps.XCORR, false)),
                "more taps than registers for");
        assertTrue(!ModalScan.supportsFeaturizer(li, new CausalConv.Filter(4096, 3, 4096, Taps.XCORR, false)), "not the core's 3C channels");
        assertThrows(IllegalArgumentException.class, () -> ModalScan.output(li, evo2Featurizer(4096), null, Precision.BF16, ModalScan.DEFAULT),
                "the plain convolution has no featurizer");
        assertEquals("scan_states_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16", ModalScan.states(li, evo2Featurizer(4096), Precision.BF16,
                ModalScan.DEFAULT).entry());
        assertEquals("scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_silu_bf16", ModalScan.output(li, evo2Featurizer(4096), Primitive.SILU,
                Precision.BF16, ModalScan.DEFAULT).entry());
    }

    /** How the poles decay: as trained Hyena-LI poles (from a few steps to thousands), or all within ~1% over a chunk. */
    private enum Poles { TRAINED, SLOW }

    private record Case(CudaOnCpu.Scenario scenario, float[] want) {}

    private void check(CudaOnCpu emu, Precision p, Blocking k, int c, int modes, boolean skip, Primitive gate, int length, Poles poles) {
        String what = (gate == null ? "conv" : "core " + gate) + " c" + c + " m" + modes + (skip ? " skip" : "") + " " + k.tag() + " L" + length + " " + poles
                + " " + p.suffix();
        // the scratch starts as NaN: a kernel reading a state nothing wrote spoils its output
        Case in = inputs(emu, p, k, c, modes, skip, gate, length, poles, "scan" + expectations.size(), Float.NaN);
        var f = new ModalScan.Filter(c, modes, skip);
        Map<String, Object> args = new HashMap<>(Map.of("length", (long) length));
        in.scenario().launch(ModalScan.states(f, gate != null, p, k), B, length, args);
        in.scenario().launch(ModalScan.carry(f, k), B, length, args);
        in.scenario().launch(ModalScan.output(f, gate, p, k), B, length, args);
        // fp32: within float rounding of the fp64 oracle, relative to the largest output (values near zero are sums of large
        // terms); bf16: the same inputs (s = k * v stays fp32 on both sides), so one more rounding, of y to bf16 (half a unit
        // in its last place, 2^-8 of it)
        double scale = maxAbs(in.want());
        boolean bf16 = p == Precision.BF16;
        expectations.add(new Expect(in.scenario(), in.want(), what, bf16 ? 0x1p-8 : 1e-5, 1e-5 * scale));
    }

    /**
     * A scenario with random weights and input, its scratch of states filled with {@code unwritten}, and what the CPU
     * backend makes of them (gated when {@code gate} is not null).
     */
    private Case inputs(CudaOnCpu emu, Precision p, Blocking k, int c, int modes, boolean skip, Primitive gate, int length, Poles poles, String name,
                        float unwritten) {
        float[] logPoles = new float[c * modes], residues = normal(c * modes, 0.5f), skipW = normal(c, 1);
        for (int i = 0; i < logPoles.length; i++) {
            logPoles[i] = (float) -Math.exp(poles == Poles.TRAINED ? random.nextDouble() * 9 - 8 : random.nextDouble() * 3 - 12);
        }
        int n = B * length * c;
        var s = emu.scenario(name + "_" + p.suffix()).buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues)
                .buffer("states", Scalar.FLOAT, filled(B * Math.ceilDiv(length, k.chunk()) * modes * c, unwritten)).zeros("y", p.storage(), n);
        if (skip) s.buffer("skip", Scalar.FLOAT, skipW);
        float[] signal, q = null;
        if (gate == null) {
            signal = stored(p, normal(n, 1));
            s.buffer("x", p.storage(), signal);
        } else {
            float[] z = stored(p, normal(3 * n, 1));
            q = new float[n];
            signal = new float[n];
            for (int i = 0; i < n; i++) {
                q[i] = z[3 * i];
                signal[i] = z[3 * i + 1] * z[3 * i + 2];
            }
            s.buffer("z", p.storage(), z);
        }
        float[] want = ModalFilter.apply(signal, B, length, c, logPoles, residues, modes, skip ? skipW : null, Conv.Algorithm.DIRECT);
        if (gate != null) {
            Activation act = Activation.of(gate);
            for (int i = 0; i < n; i++) want[i] = (float) (act.apply(q[i]) * want[i]);
        }
        return new Case(s, want);
    }

    private float[] normal(int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        return x;
    }

    private static float[] filled(int n, float value) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, value);
        return x;
    }

    private static float[] stored(Precision p, float[] x) {
        if (p == Precision.FP32) return x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = CudaOnCpu.bf16(x[i]);
        return y;
    }

    private static double maxAbs(float[] x) {
        double m = 0;
        for (float v : x) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static double maxError(float[] want, float[] got) {
        double m = 0;
        for (int i = 0; i < want.length; i++) m = Math.max(m, Double.isNaN(got[i]) ? Double.POSITIVE_INFINITY : Math.abs((double) got[i] - want[i]));
        return m;
    }
}
