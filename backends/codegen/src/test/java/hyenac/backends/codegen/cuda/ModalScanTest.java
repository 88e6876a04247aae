package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.ModalScan;
import hyenac.backends.codegen.kernels.ModalScan.Blocking;
import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Conv;
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
 */
class ModalScanTest {
    static final int B = 2;
    /** Chunks of 16 steps, 4 ahead (the carry 8), 32 channels a block. */
    private static final Blocking SMALL = new Blocking(16, 32, 4);

    private record Expect(CudaOnCpu.Scenario scenario, float[] want, String what, double rtol, double atol) {}

    private final List<Expect> expectations = new ArrayList<>();
    private final Random random = new Random(20261207);

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
