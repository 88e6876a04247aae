package hyenac.backends.codegen.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.ir.Graph;
import hyenac.ir.Primitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * One kernel of each kind as text, against golden files in src/test/resources/golden; after an intended
 * change, regenerate them with {@code -Dhyenac.updateGoldens=true} and read the diff.
 */
class GoldenTest {
    static Path goldens() { return Samples.root().resolve("backends/codegen/src/test/resources/golden"); }

    /**
     * The first kernel of every kind for sh2-tiny in bf16 (the fused groups' included, Hyena-LI's scan among them), the
     * silu-gated core of custom-ops, fp32 and a few kinds the samples lack (the tensor-core attention and the overlapped wgmma one,
     * the blocked Hyena-MR core alone and with its featurizer, Hyena-LI's fused FFT core, the scan's first kernel from z and from
     * u, and a split-K GEMV's reduction among them).
     */
    static Map<String, String> expected() {
        Map<String, String> out = new LinkedHashMap<>();
        CudaKernels cuda = new CudaKernels(Samples.LINES);
        Map<String, KernelSource> firstOfKind = new LinkedHashMap<>();
        for (KernelSource k : cuda.all(Samples.graph("sh2-tiny.hyena"), Precision.BF16, Samples.everyGroup(Samples.graph("sh2-tiny.hyena")))) firstOfKind.putIfAbsent(k.name(), k);
        for (KernelSource k : firstOfKind.values()) out.put(k.entry(), relative(k.text()));
        for (KernelSource k : cuda.all(Samples.graph("custom-ops.hyena"), Precision.BF16, Samples.everyGroup(Samples.graph("custom-ops.hyena")))) {
            if (k.name().equals("hyena_core") || k.name().equals("silu")) out.putIfAbsent(k.entry(), relative(k.text()));
        }
        KernelSource fp32 = cuda.all(Samples.graph("sh2-tiny.hyena"), Precision.FP32, Samples.everyGroup(Samples.graph("sh2-tiny.hyena"))).stream().filter(k -> k.name().equals("rmsnorm")).findFirst().orElseThrow();
        out.put(fp32.entry(), relative(fp32.text()));
        for (GeneratedKernel k : List.of(Channels.concat(List.of(64L, 32L, 32L), Precision.BF16), Pointwise.generate(Primitive.SCALE, 64, Precision.FP32),
                Pointwise.generate(Primitive.RELU, 64, Precision.BF16), Decode.kvAttend(4, 256, false, 1, 1, Precision.BF16),
                Rope.generate(32, 128, 128, Precision.BF16), FlashAttention.generate(2, 64, Precision.BF16),
                // the wgmma attention with each tile's softmax overlapping the previous tile's p v
                HopperAttention.generate(2, 64, Precision.BF16, 1), HopperAttention.generate(2, 64, Precision.BF16, 2),
                // and with 128-key tiles (q k^T as m64n128k16)
                HopperAttention.generate(2, 64, Precision.BF16, 1, 128), HopperAttention.generate(2, 64, Precision.BF16, 2, 128),
                BlockedConv.core(new CausalConv.Filter(64, 128, 4, CausalConv.Taps.FIR, true), Primitive.IDENTITY, Precision.BF16),
                // and with its featurizer computed as each strip of u is formed
                BlockedConv.core(new CausalConv.Filter(64, 128, 4, CausalConv.Taps.FIR, true),
                        new CausalConv.Filter(192, 3, 192, CausalConv.Taps.XCORR, false), Primitive.IDENTITY, Precision.BF16),
                // Hyena-LI's core: by the fused FFT (its modes' states between chunks), and the gated ends of the library FFTs' path
                FusedFft.conv(new FusedFft.Modal(64, 16, true), Primitive.IDENTITY, Precision.BF16, FusedFft.DEFAULT),
                FusedFft.spectrum(new FusedFft.Modal(64, 16, true), FusedFft.DEFAULT),
                FftConv.packSignal(64, Precision.BF16, true), FftConv.unpack(64, true, Primitive.IDENTITY, Precision.BF16),
                // and by the scan, whose first kernel reads k * v from z, or computes the featurizer from u
                ModalScan.states(new ModalScan.Filter(64, 16, true), true, Precision.BF16, ModalScan.DEFAULT),
                ModalScan.states(new ModalScan.Filter(64, 16, true), new CausalConv.Filter(192, 3, 192, CausalConv.Taps.XCORR, false), Precision.BF16,
                        ModalScan.DEFAULT),
                // Evo 2's logits: too few features to fill a GPU, so K splits and a second kernel reduces
                Gemv.generate(Gemv.Spec.linear(512, 4096, false), Precision.BF16).getLast())) {
            out.put(k.entry(), k.kernel().render(CudaDialect.INSTANCE));
        }
        return out;
    }

    private static String relative(String text) { return text.replace(Samples.root() + "/", ""); }

    @Test
    void kernelsMatchTheirGoldens() throws IOException {
        Map<String, String> expected = expected();
        Map<String, String> files = new LinkedHashMap<>();
        expected.forEach((entry, text) -> files.put(entry + ".cu", text));
        Samples.matchGoldens(goldens(), files, "kernel");
        assertEquals(new TreeSet<>(List.of("add", "causal_attention", "causal_conv", "concat", "deinterleave", "elementwise", "embedding", "fft_pack",
                "fft_pad_filter", "fft_product", "fft_unpack", "fir_prefill", "fir_step", "flash_attention", "fused_fft_conv", "fused_fft_core",
                "fused_fft_spectrum", "gelu", "gemv", "gemv_reduce", "hopper_attention", "hyena_core", "hyena_step", "kv_attend", "kv_combine", "modal_filter",
                "modal_scan", "mul", "norm_residual", "relu", "rmsnorm", "rope", "scale", "scan_carry", "scan_conv", "scan_core", "scan_states", "silu", "split")),
                new TreeSet<>(expected.keySet().stream().map(GoldenTest::kind).toList()));
    }

    private static String kind(String entry) {
        for (String k : List.of("causal_attention", "causal_conv", "fft_pack", "fft_pad_filter", "fft_product", "fft_unpack", "fir_prefill", "fir_step",
                "flash_attention", "fused_fft_conv", "fused_fft_core", "fused_fft_spectrum", "gemv_reduce", "hopper_attention", "hyena_core", "hyena_step", "kv_attend",
                "kv_combine", "modal_filter", "modal_scan", "norm_residual", "scan_carry", "scan_conv", "scan_core", "scan_states")) {
            if (entry.startsWith(k + "_")) return k;
        }
        return entry.substring(0, entry.indexOf('_'));
    }

    @Test
    void theSameGraphGivesTheSameTextAndTextIsAscii() {
        for (Path sample : Samples.all()) {
            Graph g = Samples.graph(sample);
            for (Precision p : Precision.values()) {
                List<String> first = new CudaKernels(Samples.LINES).all(g, p, Samples.everyGroup(g)).stream().map(KernelSource::text).toList();
                List<String> second = new CudaKernels(Samples.LINES).all(g, p, Samples.everyGroup(g)).stream().map(KernelSource::text).toList();
                assertEquals(first, second, sample + " " + p);
                for (String text : first) {
                    assertTrue(StandardCharsets.US_ASCII.newEncoder().canEncode(text), "non-ASCII in a kernel of " + sample + ":\n" + text);
                }
            }
        }
    }
}
