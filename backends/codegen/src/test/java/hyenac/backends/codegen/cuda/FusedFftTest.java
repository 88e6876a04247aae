package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.FusedFft;
import hyenac.backends.codegen.kernels.FusedFft.Blocking;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Conv;
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
 * The fused FFT convolution ({@link FusedFft}) run on the CPU through {@link CudaOnCpu} against the CPU backend (the
 * oracle), in fp32 and bf16: modal (Hyena-LI) and explicit (Hyena-MR-like) filters, plain and as the gated core, over
 * lengths from 1 to several chunks (where the modes' states or the overlap-save history carry the earlier chunks), batches
 * of two and channel counts that leave a block's channels partly empty. Small chunks keep the emulation to seconds; one
 * modal and one explicit case run the production blocking ({@link FusedFft#DEFAULT}) across a chunk boundary.
 */
class FusedFftTest {
    static final int B = 2;
    private static final Blocking SMALL = new Blocking(64, 8, 2), NARROW = new Blocking(64, 4, 1);

    private record Expect(CudaOnCpu.Scenario scenario, float[] want, String what, boolean bf16) {}

    private final List<Expect> expectations = new ArrayList<>();
    private final Random random = new Random(20260601);

    @Test
    void fusedFftConvolutionsMatchTheCpuBackend() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated-fused-fft"));
        for (Precision p : Precision.values()) {
            for (int length : new int[] {1, 2, 3, 7, 63, 64, 65, 150}) modal(emu, p, SMALL, 12, 4, true, Primitive.IDENTITY, length);
            modal(emu, p, SMALL, 8, 3, false, null, 130);
            modal(emu, p, NARROW, 6, 16, true, Primitive.SILU, 200);
            explicit(emu, p, SMALL, new CausalConv.Filter(12, 64, 3, CausalConv.Taps.XCORR, true), Primitive.IDENTITY, 150);
            explicit(emu, p, SMALL, new CausalConv.Filter(12, 5, 12, CausalConv.Taps.FIR, true), null, 70);
            explicit(emu, p, NARROW, new CausalConv.Filter(6, 33, 1, CausalConv.Taps.FIR, false), Primitive.GELU, 9);
        }
        modal(emu, Precision.BF16, FusedFft.DEFAULT, 10, 16, true, Primitive.IDENTITY, 600);
        explicit(emu, Precision.FP32, FusedFft.DEFAULT, new CausalConv.Filter(10, 128, 5, CausalConv.Taps.FIR, true), Primitive.IDENTITY, 530);
        long t0 = System.nanoTime();
        emu.run(cxx.get());
        System.out.printf("fused FFT: %d scenarios emulated in %.1f s%n", expectations.size(), (System.nanoTime() - t0) / 1e9);

        List<String> failures = new ArrayList<>();
        for (Expect e : expectations) {
            String problem = EmulatedKernelsTest.compare(e.want(), e.scenario().read("y"), e.bf16() ? 2e-2 : 2e-4, e.bf16() ? 2e-2 : 2e-4);
            if (problem != null) failures.add(e.what() + ": " + problem);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + expectations.size() + " checks failed:\n" + String.join("\n", failures));
    }

    @Test
    void explicitFiltersLongerThanAChunkAreRefused() {
        assertTrue(FusedFft.fits(512, FusedFft.DEFAULT));
        assertTrue(!FusedFft.fits(513, FusedFft.DEFAULT));
        var tooLong = new FusedFft.Explicit(new CausalConv.Filter(8, 65, 1, CausalConv.Taps.FIR, false));
        assertThrows(IllegalArgumentException.class, () -> FusedFft.conv(tooLong, null, Precision.FP32, SMALL));
        assertThrows(IllegalArgumentException.class, () -> new Blocking(256, 8, 2), "the chunk is a power of 8");
    }

    private void modal(CudaOnCpu emu, Precision p, Blocking k, int c, int modes, boolean skip, Primitive gate, int length) {
        float[] logPoles = new float[c * modes], residues = normal(c * modes, 0.5f), skipW = normal(c, 1);
        // decays from a few steps to thousands, as trained Hyena-LI poles
        for (int i = 0; i < logPoles.length; i++) logPoles[i] = (float) -Math.exp(random.nextDouble() * 9 - 8);
        var f = new FusedFft.Modal(c, modes, skip);
        var s = scenario(emu, p, k, f, gate, length, "modal").buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues);
        if (skip) s.buffer("skip", Scalar.FLOAT, skipW);
        Inputs in = inputs(s, p, c, gate != null, length);
        float[] conv = ModalFilter.apply(in.signal, B, length, c, logPoles, residues, modes, skip ? skipW : null);
        launch(s, k, f, gate, p, length);
        expect(s, gated(conv, in, gate), "modal c" + c + " m" + modes + " " + k.tag() + " L" + length + " " + gate + " " + p.suffix(), p);
    }

    private void explicit(CudaOnCpu emu, Precision p, Blocking k, CausalConv.Filter taps, Primitive gate, int length) {
        int c = (int) taps.channels();
        float[] h = normal((int) taps.groups() * taps.len(), 0.3f), skipW = normal(c, 1);
        var f = new FusedFft.Explicit(taps);
        var s = scenario(emu, p, k, f, gate, length, "explicit").buffer("h", Scalar.FLOAT, h);
        if (taps.skip()) s.buffer("skip", Scalar.FLOAT, skipW);
        Inputs in = inputs(s, p, c, gate != null, length);
        Fir fir = Fir.of(h, (int) taps.groups(), taps.len(), taps.taps() == CausalConv.Taps.FIR ? Fir.Taps.FIR : Fir.Taps.XCORR);
        float[] conv = Conv.causal(in.signal, B, length, c, fir, taps.skip() ? skipW : null, Conv.Algorithm.DIRECT);
        launch(s, k, f, gate, p, length);
        expect(s, gated(conv, in, gate), "explicit K" + taps.len() + " G" + taps.groups() + " " + k.tag() + " L" + length + " " + gate + " " + p.suffix(), p);
    }

    private CudaOnCpu.Scenario scenario(CudaOnCpu emu, Precision p, Blocking k, FusedFft.Filter f, Primitive gate, int length, String kind) {
        String name = kind + expectations.size() + "_" + p.suffix();
        return emu.scenario(name).buffer("twiddles", Scalar.FLOAT, FusedFft.twiddles(k))
                .zeros("hf", Scalar.FLOAT, Math.toIntExact(FusedFft.spectrumFloats(f, k))).zeros("y", p.storage(), B * length * (int) f.channels());
    }

    /** The kernel's input (x, or z with q, k, v interleaved) and what the convolution sees: s = k·v for the core. */
    private record Inputs(float[] signal, float[] q) {}

    private Inputs inputs(CudaOnCpu.Scenario s, Precision p, int c, boolean core, int length) {
        int n = B * length * c;
        if (!core) {
            float[] x = stored(p, normal(n, 1));
            s.buffer("x", p.storage(), x);
            return new Inputs(x, null);
        }
        float[] z = stored(p, normal(3 * n, 1)), q = new float[n], sig = new float[n];
        for (int i = 0; i < n; i++) {
            q[i] = z[3 * i];
            sig[i] = z[3 * i + 1] * z[3 * i + 2];
        }
        s.buffer("z", p.storage(), z);
        return new Inputs(sig, q);
    }

    private static void launch(CudaOnCpu.Scenario s, Blocking k, FusedFft.Filter f, Primitive gate, Precision p, int length) {
        GeneratedKernel spectrum = FusedFft.spectrum(f, k), conv = FusedFft.conv(f, gate, p, k);
        Map<String, Object> args = new HashMap<>(Map.of("length", (long) length));
        s.launch(spectrum, B, length, args);
        s.launch(conv, B, length, args);
    }

    private static float[] gated(float[] conv, Inputs in, Primitive gate) {
        if (gate == null) return conv;
        Activation act = Activation.of(gate);
        float[] y = new float[conv.length];
        for (int i = 0; i < y.length; i++) y[i] = (float) (act.apply(in.q[i]) * conv[i]);
        return y;
    }

    private void expect(CudaOnCpu.Scenario s, float[] want, String what, Precision p) {
        expectations.add(new Expect(s, want, what, p == Precision.BF16));
    }

    private float[] normal(int n, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (random.nextGaussian() * scale);
        return x;
    }

    private static float[] stored(Precision p, float[] x) {
        if (p == Precision.FP32) return x;
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = CudaOnCpu.bf16(x[i]);
        return y;
    }
}
