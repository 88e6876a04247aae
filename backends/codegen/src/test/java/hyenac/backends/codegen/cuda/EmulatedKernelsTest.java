package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.Attention;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.CausalConv.Filter;
import hyenac.backends.codegen.kernels.CausalConv.Taps;
import hyenac.backends.codegen.kernels.Channels;
import hyenac.backends.codegen.kernels.Decode;
import hyenac.backends.codegen.kernels.Embedding;
import hyenac.backends.codegen.kernels.FftConv;
import hyenac.backends.codegen.kernels.FlashAttention;
import hyenac.backends.codegen.kernels.HopperAttention;
import hyenac.backends.codegen.kernels.ModalFilter;
import hyenac.backends.codegen.kernels.Pointwise;
import hyenac.backends.codegen.kernels.RmsNorm;
import hyenac.backends.codegen.kernels.Rope;
import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Conv;
import hyenac.backends.cpu.Elementwise;
import hyenac.backends.cpu.Fir;
import hyenac.backends.cpu.FirState;
import hyenac.backends.cpu.KvCache;
import hyenac.backends.cpu.ModalState;
import hyenac.backends.cpu.Norm;
import hyenac.ir.Primitive;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The generated CUDA kernels, run on the CPU through {@link CudaOnCpu}, against the CPU backend's reference
 * kernels (the numerical oracle), in fp32 and bf16. Sizes are small but cross every tile edge: lengths that
 * are not multiples of the tiles, channel counts that leave a partial channel tile, filters longer than a
 * short prompt, KV caches longer than one chunk.
 */
class EmulatedKernelsTest {
    static final int B = 2, L = 150;

    /** What a scenario should produce: the oracle's values for a buffer, and the tolerance. */
    private record Expect(CudaOnCpu.Scenario scenario, String buffer, float[] want, String what) {}

    private final List<Expect> expectations = new ArrayList<>();
    private final Random random = new Random(20261126);

    private float[] normal(int n, double scale) {
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

    private void expect(CudaOnCpu.Scenario s, String buffer, float[] want, String what) { expectations.add(new Expect(s, buffer, want, what)); }

    @Test
    void generatedKernelsComputeWhatTheReferenceComputes() throws Exception {
        Optional<Path> cxx = CudaOnCpu.compiler();
        Assumptions.assumeTrue(cxx.isPresent(), "no host C++ compiler to run the kernels on");
        CudaOnCpu emu = new CudaOnCpu(Path.of("target", "emulated"));
        for (Precision p : Precision.values()) {
            pointwise(emu, p);
            norms(emu, p);
            embeddingAndChannels(emu, p);
            convolutions(emu, p);
            // the plain attention kernel, in both precisions and at d = 128 too; the tensor-core one below
            attention(emu, p, 2, 32, 1);
            attention(emu, p, 1, 128, 4);
            if (FlashAttention.supports(64, p)) flashAttention(emu, p, 2, 64, false);
            // the warpgroup (wgmma) one, with both head dims: d = 128 is two swizzle column blocks
            if (HopperAttention.supports(64, p)) {
                flashAttention(emu, p, 2, 64, true);
                flashAttention(emu, p, 1, 128, true);
            }
            modal(emu, p);
            fftConv(emu, p);
            firDecode(emu, p, new Filter(48, 7, 4, Taps.XCORR, false), L);
            firDecode(emu, p, new Filter(48, 128, 4, Taps.FIR, true), 5); // prompt shorter than the ring
            kvDecode(emu, p, 2, 32, true, 1, L);
            kvDecode(emu, p, 1, 256, false, 1, 20);
            // several chunks of the online softmax and a partial last one; a head the lanes split unevenly (3 dimensions each)
            kvDecode(emu, p, 2, 128, false, 1, 300);
            kvDecode(emu, p, 1, 96, false, 1, 150);
            // the keys split across blocks (4 at most here, each at least a chunk of 128): 1 key; fewer than a split; 300 keys
            // in 3 splits, the last partial; 512 in 4 whole ones; 1000 in 4 of 256, the last of 232; 3 sequences with RoPE;
            // and one split, the kernel writing the result itself
            kvDecode(emu, p, B, 2, 32, true, 1, 4, 0);
            kvDecode(emu, p, B, 1, 64, false, 1, 4, 99);
            kvDecode(emu, p, B, 2, 32, false, 1, 4, 299);
            kvDecode(emu, p, B, 1, 32, false, 1, 4, 511);
            kvDecode(emu, p, B, 1, 128, false, 1, 4, 999);
            kvDecode(emu, p, 3, 2, 64, true, 1, 3, 400);
            kvDecode(emu, p, 3, 2, 32, true, 1, 1, 300);
            // a Hyena mixer's fused decode step: SE-, MR- and LI-like, and one without featurizer or ring
            Filter featurizer = new Filter(72, 3, 72, Taps.XCORR, false);
            hyenaStep(emu, p, featurizer, new Decode.Inner.Fir(new Filter(24, 7, 4, Taps.XCORR, false)), Primitive.IDENTITY, 9);
            hyenaStep(emu, p, featurizer, new Decode.Inner.Fir(new Filter(24, 128, 4, Taps.FIR, true)), Primitive.SILU, 3);
            hyenaStep(emu, p, featurizer, new Decode.Inner.Modal(24, 4, true), Primitive.GELU, 3);
            hyenaStep(emu, p, null, new Decode.Inner.Fir(new Filter(24, 1, 24, Taps.FIR, true)), Primitive.IDENTITY, 2);
        }
        emu.run(cxx.get());

        List<String> failures = new ArrayList<>();
        for (Expect e : expectations) {
            boolean bf16 = e.what.contains("bf16");
            String problem = compare(e.want, e.scenario.read(e.buffer), bf16 ? 2e-2 : 2e-4, bf16 ? 2e-2 : 2e-4);
            if (problem != null) failures.add(e.what + " (" + e.buffer + "): " + problem);
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + expectations.size() + " checks failed:\n" + String.join("\n", failures));
        System.out.println("emulated kernels: " + expectations.size() + " checks against the CPU reference passed");
    }

    /** Null when |got − want| ≤ atol + rtol·|want| everywhere, else the worst element. */
    static String compare(float[] want, float[] got, double rtol, double atol) {
        if (want.length != got.length) return "length " + got.length + ", expected " + want.length;
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            double excess = Double.isNaN(got[i]) ? Double.POSITIVE_INFINITY : err - (atol + rtol * Math.abs(want[i]));
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        return worst < 0 ? null : "at " + worst + " got " + got[worst] + ", expected " + want[worst];
    }

    /**
     * Every pointwise op at 64 channels (16-byte vectors in either precision), 36 (vectors of 4 fp32, single bf16) and 50
     * (single elements either way), over 14 rows: the vector form and its fallback.
     */
    private void pointwise(CudaOnCpu emu, Precision p) {
        int len = 7;
        for (int c : new int[] {64, 36, 50}) {
            int n = B * len * c;
            float[] a = stored(p, normal(n, 2)), b = stored(p, normal(n, 2));
            for (Primitive op : Primitive.values()) {
                if (!Pointwise.handles(op)) continue;
                var s = emu.scenario(op + "_" + c + "_" + p.suffix()).buffer("a", p.storage(), a).buffer("b", p.storage(), b).zeros("y", p.storage(), n);
                s.launch(Pointwise.generate(op, c, p), B, len, Map.of("rows", (long) B * len, "by", 0.3));
                float[] want = switch (op) {
                    case ADD -> Elementwise.add(a, b);
                    case SUB -> Elementwise.sub(a, b);
                    case MUL -> Elementwise.mul(a, b);
                    case SCALE -> Elementwise.scale(a, 0.3);
                    case NEG -> Elementwise.scale(a, -1);
                    default -> Activation.of(op).apply(a);
                };
                expect(s, "y", want, op + " " + c + " " + p.suffix());
            }
        }
    }

    /**
     * RMS normalisation in its vector form (64: one vector per thread with idle threads; 1920: a ragged last round; 4096,
     * Evo 2's: whole rounds; 8200: five vectors per thread in bf16) and its scalar fallback (36 and 50 in bf16, 50 and
     * 8200, too wide to keep in registers, in fp32).
     */
    private void norms(CudaOnCpu emu, Precision p) {
        for (int c : new int[] {64, 1920, 4096, 8200, 36, 50}) {
            int rows = B * 3;
            float[] x = stored(p, normal(rows * c, 3)), scale = stored(p, normal(c, 1));
            var s = emu.scenario("rmsnorm_" + c + "_" + p.suffix()).buffer("x", p.storage(), x).buffer("scale", p.storage(), scale)
                    .zeros("y", p.storage(), rows * c);
            s.launch(RmsNorm.generate(c, 1e-6, p), B, 3, Map.of());
            expect(s, "y", Norm.rmsnorm(x, rows, c, scale, 1e-6), "rmsnorm " + c + " " + p.suffix());
        }
    }

    private void embeddingAndChannels(CudaOnCpu emu, Precision p) {
        int vocab = 16, c = 64, rows = B * 4;
        float[] table = stored(p, normal(vocab * c, 1));
        long[] tokens = {0, 3, 15, 7, -1, 16, 2, 2};
        var e = emu.scenario("embedding_" + p.suffix()).buffer("table", p.storage(), table).tokens("tokens", tokens).zeros("y", p.storage(), rows * c);
        e.launch(Embedding.generate(vocab, c, p), B, 4, Map.of("rows", (long) rows));
        float[] want = new float[rows * c];
        for (int r = 0; r < rows; r++) {
            if (tokens[r] >= 0 && tokens[r] < vocab) System.arraycopy(table, (int) tokens[r] * c, want, r * c, c);
        }
        expect(e, "y", want, "embedding " + p.suffix());

        int wide = 192;
        float[] x = stored(p, normal(rows * wide, 1));
        var d = emu.scenario("deinterleave_" + p.suffix()).buffer("x", p.storage(), x);
        for (int j = 0; j < 3; j++) d.zeros("y" + j, p.storage(), rows * 64);
        d.launch(Channels.deinterleave(wide, 3, p), B, 4, Map.of("rows", (long) rows));
        float[][] parts = hyenac.backends.cpu.Channels.deinterleave(x, rows, wide, 3);
        for (int j = 0; j < 3; j++) expect(d, "y" + j, parts[j], "deinterleave " + p.suffix());

        var sp = emu.scenario("split_" + p.suffix()).buffer("x", p.storage(), x);
        for (int j = 0; j < 3; j++) sp.zeros("y" + j, p.storage(), rows * 64);
        sp.launch(Channels.split(wide, 3, p), B, 4, Map.of("rows", (long) rows));
        float[][] thirds = hyenac.backends.cpu.Channels.split(x, rows, wide, 3);
        for (int j = 0; j < 3; j++) expect(sp, "y" + j, thirds[j], "split " + p.suffix());

        var cat = emu.scenario("concat_" + p.suffix()).buffer("x0", p.storage(), thirds[0]).buffer("x1", p.storage(), parts[1])
                .buffer("x2", p.storage(), thirds[2]).zeros("y", p.storage(), rows * wide);
        cat.launch(Channels.concat(List.of(64L, 64L, 64L), p), B, 4, Map.of("rows", (long) rows));
        expect(cat, "y", hyenac.backends.cpu.Channels.concat(rows, thirds[0], parts[1], thirds[2]), "concat " + p.suffix());
    }

    private static Fir fir(Filter f, float[] taps) {
        return Fir.of(taps, Math.toIntExact(f.groups()), f.len(), f.taps() == Taps.XCORR ? Fir.Taps.XCORR : Fir.Taps.FIR);
    }

    private void convolutions(CudaOnCpu emu, Precision p) {
        int c = 48; // one and a half channel tiles
        int i = 0;
        // the last filter is longer than the tile limit (and than the sequence): only the direct kernel takes it
        for (Filter f : List.of(new Filter(c, 3, c, Taps.XCORR, false), new Filter(c, 7, 4, Taps.XCORR, false), new Filter(c, 128, 4, Taps.FIR, true),
                new Filter(c, 300, 2, Taps.XCORR, true))) {
            float[] x = stored(p, normal(B * L * c, 1)), h = normal(f.len() * (int) f.groups(), 0.3), skip = normal(c, 1);
            var s = emu.scenario("conv" + i + "_" + p.suffix()).buffer("x", p.storage(), x).buffer("h", Scalar.FLOAT, h).buffer("skip", Scalar.FLOAT, skip)
                    .zeros("y", p.storage(), B * L * c);
            s.launch(CausalConv.direct(f, p), B, L, Map.of("length", (long) L, "rows", (long) B * L));
            expect(s, "y", Conv.direct(x, B, L, c, fir(f, h), f.skip() ? skip : null), "causal_conv " + f + " " + p.suffix());

            if (f.len() > CausalConv.MAX_TAPS) continue;
            // the fused core on an interleaved z: q * (h * (k*v) + skip * (k*v)), gated by an activation
            Primitive gate = i == 2 ? Primitive.SILU : i == 1 ? Primitive.GELU : Primitive.IDENTITY;
            float[] z = stored(p, normal(B * L * 3 * c, 1));
            var core = emu.scenario("core" + i + "_" + p.suffix()).buffer("z", p.storage(), z).buffer("h", Scalar.FLOAT, h).buffer("skip", Scalar.FLOAT, skip)
                    .zeros("y", p.storage(), B * L * c);
            core.launch(CausalConv.hyenaCore(f, gate, p), B, L, Map.of("length", (long) L));
            float[][] qkv = hyenac.backends.cpu.Channels.deinterleave(z, B * L, 3 * c, 3);
            float[] conv = Conv.direct(Elementwise.mul(qkv[1], qkv[2]), B, L, c, fir(f, h), f.skip() ? skip : null);
            expect(core, "y", Elementwise.mul(Activation.of(gate).apply(qkv[0]), conv), "hyena_core " + f + " " + gate + " " + p.suffix());
            i++;
        }
    }

    /**
     * The tensor-core attention (mma.sync, ldmatrix, cp.async, shuffles: the shim's warp emulation), or with
     * {@code hopper} its wgmma form (the shim reads b through the descriptors and their swizzle), on queries and keys
     * taken as already rotated; 150 keys are two whole tiles and part of a third, so the diagonal tile is masked.
     */
    private void flashAttention(CudaOnCpu emu, Precision p, int heads, int headDim, boolean hopper) {
        int n = B * L * heads * headDim;
        float[] q = stored(p, normal(n, 1)), k = stored(p, normal(n, 1)), v = stored(p, normal(n, 1));
        var s = emu.scenario((hopper ? "hopper_h" : "flash_h") + heads + "_d" + headDim + "_" + p.suffix()).buffer("q", p.storage(), q).buffer("k", p.storage(), k)
                .buffer("v", p.storage(), v).zeros("out", p.storage(), n);
        s.launch(hopper ? HopperAttention.generate(heads, headDim, p) : FlashAttention.generate(heads, headDim, p), B, L, Map.of("length", (long) L));
        expect(s, "out", hyenac.backends.cpu.Attention.causal(q, k, v, B, L, heads, headDim),
                (hopper ? "hopper" : "flash") + " attention " + heads + "x" + headDim + " " + p.suffix());
    }

    private void attention(CudaOnCpu emu, Precision p, int heads, int headDim, double ropeScale) {
        int w = heads * headDim, n = B * L * w;
        float[] q = stored(p, normal(n, 1)), k = stored(p, normal(n, 1)), v = stored(p, normal(n, 1));
        float[] invFreq = hyenac.backends.cpu.Rope.invFreqBf16(1e4, headDim);
        var s = emu.scenario("attention_h" + heads + "_d" + headDim + "_" + p.suffix()).buffer("q", p.storage(), q).buffer("k", p.storage(), k)
                .buffer("v", p.storage(), v).buffer("inv_freq", Scalar.FLOAT, invFreq).zeros("qr", p.storage(), n).zeros("kr", p.storage(), n)
                .zeros("out", p.storage(), n);
        var rope = Rope.generate(heads, headDim, ropeScale, p);
        Map<String, Object> sizes = Map.of("rows", (long) B * L, "length", (long) L, "y_length", (long) L, "first_position", 0L);
        s.launch(rope, B, L, with(sizes, "x", "q", "y", "qr"));
        s.launch(rope, B, L, with(sizes, "x", "k", "y", "kr"));
        s.launch(Attention.generate(heads, headDim, p), B, L, Map.of("q", "qr", "k", "kr", "length", (long) L));
        hyenac.backends.cpu.Rope ref = new hyenac.backends.cpu.Rope(invFreq, ropeScale);
        String what = "attention " + heads + "x" + headDim + " " + p.suffix();
        expect(s, "qr", ref.apply(q, B, L, heads, 0), "rope " + what);
        expect(s, "out", hyenac.backends.cpu.Attention.causal(q, k, v, B, L, heads, headDim, ref), what);
    }

    private static Map<String, Object> with(Map<String, Object> base, Object... pairs) {
        var m = new java.util.HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) m.put((String) pairs[i], pairs[i + 1]);
        return m;
    }

    private void modal(CudaOnCpu emu, Precision p) {
        int c = 8, modes = 4, steps = 50;
        float[] logPoles = new float[c * modes], residues = normal(c * modes, 0.5), skip = normal(c, 1);
        for (int i = 0; i < logPoles.length; i++) logPoles[i] = (float) -(0.01 + random.nextDouble());
        var f = emu.scenario("modal_filter_" + p.suffix()).buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues)
                .zeros("h", Scalar.FLOAT, c * steps);
        f.launch(ModalFilter.generate(c, modes, p), B, steps, Map.of("length", (long) steps));
        expect(f, "h", hyenac.backends.cpu.ModalFilter.materialise(logPoles, residues, c, modes, steps), "modal_filter");

        // the prompt through the scan from a zero state, then one decode step from the state it left
        float[] s = stored(p, normal(B * steps * c, 1)), next = stored(p, normal(B * c, 1));
        var scan = emu.scenario("modal_scan_" + p.suffix()).buffer("s", p.storage(), s).buffer("next", p.storage(), next)
                .zeros("y", p.storage(), B * steps * c).zeros("y1", p.storage(), B * c).zeros("state", Scalar.FLOAT, B * c * modes)
                .buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues).buffer("skip", Scalar.FLOAT, skip);
        var kernel = Decode.modalScan(c, modes, true, p);
        scan.launch(kernel, B, steps, Map.of("batch", (long) B, "steps", (long) steps));
        scan.launch(kernel, B, 1, Map.of("s", "next", "y", "y1", "batch", (long) B, "steps", 1L));
        expect(scan, "y", hyenac.backends.cpu.ModalFilter.apply(s, B, steps, c, logPoles, residues, modes, skip, Conv.Algorithm.DIRECT),
                "modal_scan prompt " + p.suffix());
        ModalState state = new ModalState(B, c, modes, logPoles, residues, skip);
        state.prefillDirect(s, steps);
        float[] y1 = state.step(next);
        expect(scan, "y1", y1, "modal_scan step " + p.suffix());
        expect(scan, "state", state.state(), "modal_scan state " + p.suffix());
    }

    /** The kernels around the library FFTs: packing, padding, the spectral product and unpacking, against direct index arithmetic. */
    private void fftConv(CudaOnCpu emu, Precision p) {
        int c = 40, n = Math.toIntExact(FftConv.fftLength(L)), bins = n / 2 + 1;
        float[] x = stored(p, normal(B * L * c, 1)), h = normal(c * L, 1), skip = normal(c, 1);
        float[] xf = normal(B * c * bins * 2, 1), hf = normal(c * bins * 2, 1), yp = normal(B * c * n, 1);
        var s = emu.scenario("fft_conv_" + p.suffix()).buffer("x", p.storage(), x).buffer("h", Scalar.FLOAT, h).buffer("skip", Scalar.FLOAT, skip)
                .buffer("xf", Scalar.FLOAT, xf).buffer("hf", Scalar.FLOAT, hf).buffer("yp", Scalar.FLOAT, yp)
                .zeros("xp", Scalar.FLOAT, B * c * n).zeros("hp", Scalar.FLOAT, c * n).zeros("y", p.storage(), B * L * c);
        Map<String, Object> sizes = Map.of("length", (long) L, "n", (long) n, "batch", (long) B, "bins", (long) bins);
        s.launch(FftConv.packSignal(c, p), B, L, sizes);
        s.launch(FftConv.padFilter(c), B, L, sizes);
        s.launch(FftConv.spectralProduct(c), B, L, sizes);
        s.launch(FftConv.unpack(c, true, p), B, L, sizes);
        float[] xp = new float[B * c * n], hp = new float[c * n], product = new float[xf.length], y = new float[B * L * c];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < L; t++) {
                for (int ch = 0; ch < c; ch++) {
                    int at = (b * L + t) * c + ch, row = (b * c + ch) * n;
                    xp[row + t] = x[at];
                    y[at] = yp[row + t] / n + skip[ch] * x[at];
                }
            }
        }
        for (int ch = 0; ch < c; ch++) System.arraycopy(h, ch * L, hp, ch * n, L);
        for (int i = 0; i < B * c * bins; i++) {
            int j = (i / bins) % c * bins + i % bins;
            product[2 * i] = xf[2 * i] * hf[2 * j] - xf[2 * i + 1] * hf[2 * j + 1];
            product[2 * i + 1] = xf[2 * i] * hf[2 * j + 1] + xf[2 * i + 1] * hf[2 * j];
        }
        expect(s, "xp", xp, "fft_pack " + p.suffix());
        expect(s, "hp", hp, "fft_pad_filter");
        expect(s, "xf", product, "fft_product");
        expect(s, "y", y, "fft_unpack " + p.suffix());
    }

    private void firDecode(CudaOnCpu emu, Precision p, Filter f, int length) {
        int c = (int) f.channels(), k = f.len() - 1;
        float[] x = stored(p, normal(B * length * c, 1)), h = normal(f.len() * (int) f.groups(), 0.3), skip = normal(c, 1);
        float[] x1 = stored(p, normal(B * c, 1)), x2 = stored(p, normal(B * c, 1));
        var s = emu.scenario("fir_" + f.len() + "_" + p.suffix()).buffer("x", p.storage(), x).buffer("x1", p.storage(), x1).buffer("x2", p.storage(), x2)
                .buffer("h", Scalar.FLOAT, h).buffer("skip", Scalar.FLOAT, skip).zeros("ring", p.storage(), B * c * k).zeros("prefilled", p.storage(), B * c * k)
                .zeros("y1", p.storage(), B * c).zeros("y2", p.storage(), B * c);
        s.launch(Decode.firPrefill(f, p), B, length, Map.of("ring", "ring", "batch", (long) B, "length", (long) length));
        s.launch(Decode.firPrefill(f, p), B, length, Map.of("ring", "prefilled", "batch", (long) B, "length", (long) length));
        var step = Decode.firStep(f, p);
        // the decode clock: [position, steps since the prompt]
        s.tokens("clock1", new long[] {length, 0}).tokens("clock2", new long[] {length + 1, 1});
        s.launch(step, B, 1, Map.of("x", "x1", "y", "y1", "batch", (long) B, "clock", "clock1"));
        s.launch(step, B, 1, Map.of("x", "x2", "y", "y2", "batch", (long) B, "clock", "clock2"));
        FirState ref = new FirState(B, c, fir(f, h), f.skip() ? skip : null);
        ref.prefill(x, length);
        String what = "fir " + f + " prompt " + length + " " + p.suffix();
        expect(s, "prefilled", ref.history(), "ring after prompt, " + what);
        expect(s, "y1", ref.step(x1), "first step, " + what);
        expect(s, "y2", ref.step(x2), "second step, " + what);
    }

    /**
     * {@code steps} decode steps of {@link Decode#hyenaStep} from empty states (zero rings and modes, as after an empty
     * prompt; enough steps to wrap the short rings) against the CPU's featurizer, deinterleave, product, filter state and
     * gate one after another.
     */
    private void hyenaStep(CudaOnCpu emu, Precision p, Filter featurizer, Decode.Inner inner, Primitive gate, int steps) {
        int c = (int) inner.channels();
        var kernel = Decode.hyenaStep(featurizer, inner, gate, p);
        var s = emu.scenario(kernel.entry()).zeros("y_unused", p.storage(), 1);
        FirState featureRef = null;
        if (featurizer != null) {
            float[] h = normal(featurizer.len() * (int) featurizer.groups(), 0.5);
            s.buffer("feature_h", Scalar.FLOAT, h).zeros("feature_ring", p.storage(), B * 3 * c * (featurizer.len() - 1));
            featureRef = new FirState(B, 3 * c, fir(featurizer, h), null);
        }
        FirState firRef = null;
        ModalState modalRef = null;
        float[] skip = normal(c, 1);
        s.buffer("skip", Scalar.FLOAT, skip);
        switch (inner) {
            case Decode.Inner.Fir f -> {
                float[] h = normal(f.filter().len() * (int) f.filter().groups(), 0.3);
                s.buffer("h", Scalar.FLOAT, h).zeros("ring", p.storage(), Math.max(1, B * c * (f.filter().len() - 1)));
                firRef = new FirState(B, c, fir(f.filter(), h), f.filter().skip() ? skip : null);
            }
            case Decode.Inner.Modal m -> {
                float[] logPoles = new float[c * m.modes()], residues = normal(c * m.modes(), 0.5);
                for (int i = 0; i < logPoles.length; i++) logPoles[i] = (float) -(0.01 + random.nextDouble());
                s.buffer("log_poles", Scalar.FLOAT, logPoles).buffer("residues", Scalar.FLOAT, residues).zeros("state", Scalar.FLOAT, B * c * m.modes());
                modalRef = new ModalState(B, c, m.modes(), logPoles, residues, m.skip() ? skip : null);
            }
        }
        String what = "hyena_step " + kernel.entry() + " " + p.suffix();
        for (int t = 0; t < steps; t++) {
            float[] z = stored(p, normal(B * 3 * c, 1));
            s.buffer("z" + t, p.storage(), z).zeros("y" + t, p.storage(), B * c).tokens("clock" + t, new long[] {100 + t, t});
            s.launch(kernel, B, 1, Map.of("z", "z" + t, "y", "y" + t, "batch", (long) B, "clock", "clock" + t));
            float[] zf = featureRef == null ? z : featureRef.step(z);
            float[] q = new float[B * c], product = new float[B * c];
            for (int i = 0; i < B * c; i++) {
                q[i] = zf[3 * i];
                product[i] = zf[3 * i + 1] * zf[3 * i + 2];
            }
            float[] filtered = firRef != null ? firRef.step(product) : modalRef.step(product);
            float[] y = new float[B * c];
            for (int i = 0; i < y.length; i++) y[i] = (float) (hyenac.backends.cpu.Activation.of(gate).apply(q[i]) * filtered[i]);
            expect(s, "y" + t, y, what + " step " + t);
        }
    }

    /** A decode step of attention as a plan runs it: the keys split as {@link Decode#attendSplits} splits them for this many heads. */
    private void kvDecode(CudaOnCpu emu, Precision p, int heads, int headDim, boolean rope, double ropeScale, int held) {
        kvDecode(emu, p, B, heads, headDim, rope, ropeScale, Decode.attendSplits(heads), held);
    }

    /**
     * One token of attention over a cache of {@code held} rows for {@code batch} sequences, its keys split at most
     * {@code splits} ways (1: the kernel writes the result itself). The partials' scratch starts as NaNs, so a combine
     * that read a split kv_attend left unwritten would give NaNs.
     */
    private void kvDecode(CudaOnCpu emu, Precision p, int batch, int heads, int headDim, boolean rope, double ropeScale, int splits, int held) {
        int w = heads * headDim, capacity = held + 7;
        float[] k = stored(p, normal(batch * held * w, 1)), v = stored(p, normal(batch * held * w, 1));
        float[] q1 = stored(p, normal(batch * w, 1)), k1 = stored(p, normal(batch * w, 1)), v1 = stored(p, normal(batch * w, 1));
        float[] invFreq = hyenac.backends.cpu.Rope.invFreqBf16(1e4, headDim);
        // the launcher copies the prompt's values into the cache; rotated keys come from the rope kernel
        float[] values = new float[batch * capacity * w];
        for (int b = 0; b < batch; b++) System.arraycopy(v, b * held * w, values, b * capacity * w, held * w);
        float[] keys = new float[batch * capacity * w];
        if (!rope) for (int b = 0; b < batch; b++) System.arraycopy(k, b * held * w, keys, b * capacity * w, held * w);
        float[] unwritten = new float[batch * heads * splits * (headDim + 2)];
        Arrays.fill(unwritten, Float.NaN);
        var s = emu.scenario("kv_h" + heads + "_d" + headDim + "_t" + held + "_b" + batch + "_s" + splits + "_" + p.suffix()).buffer("k", p.storage(), k)
                .buffer("q1", p.storage(), q1).buffer("k1", p.storage(), k1).buffer("v1", p.storage(), v1).buffer("inv_freq", Scalar.FLOAT, invFreq)
                .buffer("keys", p.storage(), keys).buffer("values", p.storage(), values).zeros("out", p.storage(), batch * w)
                .buffer("partials", Scalar.FLOAT, unwritten);
        if (rope && held > 0) {
            s.launch(Rope.generate(heads, headDim, ropeScale, p), batch, held, Map.of("x", "k", "y", "keys", "rows", (long) batch * held, "length", (long) held,
                    "y_length", (long) capacity, "first_position", 0L));
        }
        s.tokens("clock", new long[] {held, 0});
        s.launch(Decode.kvAttend(heads, headDim, rope, ropeScale, splits, p), batch, 1, Map.of("q", "q1", "k", "k1", "v", "v1", "capacity", (long) capacity));
        if (splits > 1) s.launch(Decode.kvCombine(heads, headDim, splits, p), batch, 1, Map.of("batch", (long) batch));
        KvCache ref = new KvCache(batch, heads, headDim, rope ? new hyenac.backends.cpu.Rope(invFreq, ropeScale) : null);
        if (held > 0) ref.prefill(k, v, held);
        String what = heads + "x" + headDim + (rope ? " rope" : "") + " B=" + batch + " " + (held + 1) + " keys, " + splits + " splits " + p.suffix();
        expect(s, "out", ref.step(q1, k1, v1, held), "kv_attend " + what);
        // the new row is appended once, by the split that ends with it
        for (String cache : List.of("keys", "values")) {
            float[] cached = cache.equals("keys") ? ref.keys() : ref.values(), want = new float[batch * capacity * w];
            for (int b = 0; b < batch; b++) System.arraycopy(cached, b * (held + 1) * w, want, b * capacity * w, (held + 1) * w);
            expect(s, cache, want, "kv cache " + cache + " " + what);
        }
    }

    static {
        // keep the assertion helpers honest
        assert compare(new float[] {1}, new float[] {1}, 0, 0) == null;
        assert Arrays.equals(new float[0], new float[0]);
    }
}
