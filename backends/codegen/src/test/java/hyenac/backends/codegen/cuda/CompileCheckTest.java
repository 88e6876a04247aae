package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.Synthetic;
import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.codegen.kernels.Attention;
import hyenac.backends.codegen.kernels.BlockedConv;
import hyenac.backends.codegen.kernels.CausalConv;
import hyenac.backends.codegen.kernels.Channels;
import hyenac.backends.codegen.kernels.Decode;
import hyenac.backends.codegen.kernels.FftConv;
import hyenac.backends.codegen.kernels.FlashAttention;
import hyenac.backends.codegen.kernels.FusedFft;
import hyenac.backends.codegen.kernels.GeneratedKernel;
import hyenac.backends.codegen.kernels.Gemv;
import hyenac.backends.codegen.kernels.ModalScan;
import hyenac.backends.codegen.kernels.Pointwise;
import hyenac.backends.codegen.kernels.RmsNorm;
import hyenac.backends.codegen.kernels.Rope;
import hyenac.ir.Graph;
import hyenac.ir.Primitive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Every kernel the generator can emit for every sample (fused groups included), in bf16 and fp32, compiles with nvcc
 * for sm_90 with no error and no warning (front end and ptxas; a register spill counts as a warning); so do a few
 * kernels no sample needs yet ({@link #extras}, and the fused groups of the {@link Synthetic} graph).
 * Identical kernels compile once; the new kernels of each (sample, precision) go to nvcc as one translation
 * unit, the units in parallel.
 */
class CompileCheckTest {
    static final String ARCH = "sm_90";

    /**
     * {@code noSpills}: a register spill fails it too (the tensor-core kernels and the modal scan's, whose modes' states,
     * poles and residues live in registers, are budgeted to keep everything there).
     */
    private record Unit(String name, List<String> sources, boolean noSpills) {}

    private static boolean budgeted(String entry) {
        return entry.startsWith("flash_attention_") || entry.contains("_blocked_") || entry.startsWith("scan_");
    }

    /** The unit {@code name} of the sources, and its register-budgeted kernels as a second unit that must not spill. */
    private static void addUnits(List<Unit> units, String name, List<String> entries, List<String> sources) {
        List<String> plain = new ArrayList<>(), tight = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) (budgeted(entries.get(i)) ? tight : plain).add(sources.get(i));
        if (!plain.isEmpty()) units.add(new Unit(name, plain, false));
        if (!tight.isEmpty()) units.add(new Unit(name + "-budgeted", tight, true));
    }

    /** Kernels the generator can emit that no sample needs (yet): ops, shapes and options the samples lack. */
    static List<GeneratedKernel> extras(Precision p) {
        List<GeneratedKernel> out = new ArrayList<>();
        for (Primitive op : List.of(Primitive.SUB, Primitive.SCALE, Primitive.NEG, Primitive.IDENTITY, Primitive.RELU)) out.add(Pointwise.generate(op, 96, p));
        out.add(Channels.concat(List.of(64L, 32L), p));
        // the scalar forms of the kernels that have a vector form: rows of no whole 16-byte vectors, or (fp32) too wide to keep
        out.add(Pointwise.generate(Primitive.MUL, 50, p));
        out.add(RmsNorm.generate(50, 1e-6, p));
        out.add(RmsNorm.generate(8200, 1e-6, p));
        out.add(CausalConv.direct(new CausalConv.Filter(96, 1000, 3, CausalConv.Taps.FIR, true), p));
        out.add(CausalConv.hyenaCore(new CausalConv.Filter(96, 16, 96, CausalConv.Taps.XCORR, true), Primitive.GELU, p));
        out.add(CausalConv.hyenaCore(new CausalConv.Filter(96, 5, 1, CausalConv.Taps.FIR, false), Primitive.RELU, p));
        out.add(Decode.firStep(new CausalConv.Filter(96, 1, 1, CausalConv.Taps.FIR, true), p));
        out.add(Decode.kvAttend(1, 256, false, 1, 1, p));
        out.addAll(Decode.kvAttendStep(3, 96, true, 32, p));
        out.add(Decode.modalScan(96, 64, false, p));
        out.add(Attention.generate(3, 96, p));
        out.add(Attention.generate(1, 256, p));
        out.add(Rope.generate(3, 96, 0.5, p));
        // the samples' attention is 32 x 128 (Evo 2) or too narrow: the tensor-core kernel at its other head dim
        if (FlashAttention.supports(64, p)) out.add(FlashAttention.generate(4, 64, p));
        // GEMV epilogues and shapes the samples lack: a split gate with bias and residual, relu, K too odd for 16-byte loads
        out.addAll(Gemv.generate(new Gemv.Spec(20, 3000, 2, true, Primitive.SILU, true), p));
        out.addAll(Gemv.generate(new Gemv.Spec(300, 72, 1, true, Primitive.RELU, true), p));
        for (long k : new long[] {100, 101, 102}) out.addAll(Gemv.generate(Gemv.Spec.linear(13, k, true), p));
        // a Hyena step without featurizer or ring, and one whose featurizer has a skip
        out.add(Decode.hyenaStep(null, new Decode.Inner.Fir(new CausalConv.Filter(96, 1, 96, CausalConv.Taps.FIR, true)), Primitive.RELU, p));
        out.add(Decode.hyenaStep(new CausalConv.Filter(288, 2, 288, CausalConv.Taps.XCORR, true), new Decode.Inner.Modal(96, 8, false), Primitive.IDENTITY, p));
        // the fused FFT at the options the samples lack: every gate, no skip, the most modes that fit, the longest explicit filter,
        // odd channel and group counts
        out.add(FusedFft.conv(new FusedFft.Modal(20, 20, false), Primitive.SILU, p, FusedFft.DEFAULT));
        out.add(FusedFft.conv(new FusedFft.Modal(96, 5, true), Primitive.GELU, p, FusedFft.DEFAULT));
        out.add(FusedFft.conv(new FusedFft.Explicit(new CausalConv.Filter(60, 512, 5, CausalConv.Taps.XCORR, true)), Primitive.RELU, p, FusedFft.DEFAULT));
        out.add(FusedFft.conv(new FusedFft.Explicit(new CausalConv.Filter(96, 32, 3, CausalConv.Taps.FIR, false)), null, p, FusedFft.DEFAULT));
        out.add(FftConv.unpack(96, false, Primitive.GELU, p));
        // the modal scan at the most modes a thread holds, at one mode, every gate, with and without skip, plain and as the core
        var most = new ModalScan.Filter(96, ModalScan.MAX_MODES, false);
        var one = new ModalScan.Filter(20, 1, true);
        for (var f : List.of(most, one)) {
            out.add(ModalScan.states(f, true, p, ModalScan.DEFAULT));
            out.add(ModalScan.states(f, false, p, ModalScan.DEFAULT));
            out.add(ModalScan.output(f, null, p, ModalScan.DEFAULT));
        }
        out.add(ModalScan.output(most, Primitive.GELU, p, ModalScan.DEFAULT));
        out.add(ModalScan.output(one, Primitive.RELU, p, ModalScan.DEFAULT));
        if (p == Precision.FP32) out.addAll(List.of(ModalScan.carry(most, ModalScan.DEFAULT), ModalScan.carry(one, ModalScan.DEFAULT)));
        if (p == Precision.FP32) {
            out.add(FusedFft.spectrum(new FusedFft.Modal(20, 20, false), FusedFft.DEFAULT));
            out.add(FusedFft.spectrum(new FusedFft.Explicit(new CausalConv.Filter(60, 512, 5, CausalConv.Taps.XCORR, true)), FusedFft.DEFAULT));
        }
        // the blocked convolution at the filter lengths and options the samples lack: 1, 2, 17, chunk - 1 taps, both orders,
        // with and without skip, every gate, a last block with idle warps, a short segment, a fixed number of blocks
        if (p == Precision.BF16) {
            out.add(BlockedConv.conv(new CausalConv.Filter(48, 1, 3, CausalConv.Taps.FIR, true), p));
            out.add(BlockedConv.conv(new CausalConv.Filter(96, 2, 3, CausalConv.Taps.XCORR, false), p));
            out.add(BlockedConv.conv(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), p));
            out.add(BlockedConv.core(new CausalConv.Filter(64, 17, 2, CausalConv.Taps.XCORR, true), Primitive.GELU, p));
            out.add(BlockedConv.core(new CausalConv.Filter(64, 127, 4, CausalConv.Taps.FIR, true), Primitive.SILU, p));
            out.add(BlockedConv.core(new CausalConv.Filter(4096, 7, 256, CausalConv.Taps.XCORR, false), Primitive.RELU, p));
            out.add(BlockedConv.generate(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), p, true, Primitive.IDENTITY,
                    BlockedConv.Walk.segments(16)));
            out.add(BlockedConv.generate(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), p, true, Primitive.IDENTITY,
                    BlockedConv.Walk.segments(144)));
            // with the featurizer computed as each strip is formed: Evo 2's SE and MR cores at every gate and a short segment, and
            // a featurizer with skip, shared filters and a longer history
            CausalConv.Filter feature = new CausalConv.Filter(3 * 4096, 3, 3 * 4096, CausalConv.Taps.XCORR, false);
            for (Primitive gate : List.of(Primitive.GELU, Primitive.SILU, Primitive.RELU)) {
                out.add(BlockedConv.core(new CausalConv.Filter(4096, 7, 256, CausalConv.Taps.XCORR, false), feature, gate, p));
                out.add(BlockedConv.core(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), feature, gate, p));
            }
            out.add(BlockedConv.generate(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), feature, p, Primitive.IDENTITY,
                    BlockedConv.Walk.segments(16)));
            out.add(BlockedConv.core(new CausalConv.Filter(4096, 64, 256, CausalConv.Taps.FIR, true),
                    new CausalConv.Filter(3 * 4096, 5, 3, CausalConv.Taps.FIR, true), Primitive.IDENTITY, p));
        }
        // the direct core with its featurizer: tiled with a featurizer with skip and shared filters, and untiled
        out.add(CausalConv.hyenaCore(new CausalConv.Filter(96, 16, 96, CausalConv.Taps.XCORR, true),
                new CausalConv.Filter(288, 4, 3, CausalConv.Taps.FIR, true), Primitive.SILU, p));
        out.add(CausalConv.hyenaCore(new CausalConv.Filter(96, 1000, 3, CausalConv.Taps.FIR, true),
                new CausalConv.Filter(288, 3, 288, CausalConv.Taps.XCORR, false), Primitive.GELU, p));
        return out;
    }

    @Test
    void everyKernelOfEverySampleCompilesForSm90WithoutWarnings() throws Exception {
        Optional<Path> nvcc = NvccCompiler.locate();
        Assumptions.assumeTrue(nvcc.isPresent(), "nvcc is not installed here (CI has it)");
        NvccCompiler compiler = NvccCompiler.strict(nvcc.get(), ARCH);
        List<String> noSpills = new ArrayList<>(NvccCompiler.STRICT);
        noSpills.addAll(List.of("-Xptxas", "-warn-spills")); // with -Werror, a spill fails the check
        NvccCompiler spillChecker = new NvccCompiler(nvcc.get(), ARCH, noSpills);

        Map<String, KernelSource> byCode = new LinkedHashMap<>();
        Map<String, String> codeByEntry = new LinkedHashMap<>();
        List<Unit> units = new ArrayList<>();
        CudaKernels generator = new CudaKernels();
        Map<String, Graph> graphs = new LinkedHashMap<>();
        for (Path sample : Samples.all()) graphs.put(sample.getFileName().toString().replace(".hyena", ""), Samples.graph(sample));
        graphs.put("synthetic", Synthetic.graph());
        graphs.put("synthetic-c50", Synthetic.graph(50)); // the scalar forms of the kernels that have a vector form
        for (Map.Entry<String, Graph> graph : graphs.entrySet()) {
            for (Precision p : Precision.values()) {
                List<KernelSource> fresh = new ArrayList<>();
                for (KernelSource k : generator.all(graph.getValue(), p, Samples.everyGroup(graph.getValue()))) {
                    String before = codeByEntry.putIfAbsent(k.entry(), k.code());
                    if (before != null && !before.equals(k.code())) fail("two different kernels are named " + k.entry());
                    if (byCode.putIfAbsent(k.code(), k) == null) fresh.add(k);
                }
                addUnits(units, graph.getKey() + "-" + p.suffix(), fresh.stream().map(KernelSource::entry).toList(),
                        fresh.stream().map(KernelSource::text).toList());
            }
        }
        for (Precision p : Precision.values()) {
            List<String> fresh = new ArrayList<>(), entries = new ArrayList<>();
            for (GeneratedKernel k : extras(p)) {
                String code = k.kernel().render(CudaDialect.INSTANCE);
                String before = codeByEntry.putIfAbsent(k.entry(), code);
                if (before != null && !before.equals(code)) fail("two different kernels are named " + k.entry());
                if (before == null) {
                    fresh.add(code);
                    entries.add(k.entry());
                }
            }
            addUnits(units, "extras-" + p.suffix(), entries, fresh);
        }
        assertTrue(units.stream().filter(Unit::noSpills).flatMap(u -> u.sources().stream()).filter(t -> t.contains("flash_attention_")).count() >= 2,
                "the tensor-core attention at d = 64 and 128 is checked");
        assertTrue(units.stream().filter(Unit::noSpills).flatMap(u -> u.sources().stream()).filter(t -> t.contains("hyena_core_blocked_c4096_k128")).count() >= 1,
                "the blocked Hyena-MR core at Evo 2's shape is checked for spills");
        assertTrue(units.stream().filter(Unit::noSpills).flatMap(u -> u.sources().stream())
                        .anyMatch(t -> t.contains("hyena_core_blocked_c4096_k128_g256_fir_skip_feat_k3_g12288_xcorr_bf16")),
                "Evo 2's blocked Hyena-MR core with its featurizer (every Evo 2 plan's) is checked for spills");
        Set<String> kinds = new TreeSet<>();
        byCode.values().forEach(k -> kinds.add(k.name()));
        assertEquals(new TreeSet<>(Set.of("add", "causal_attention", "causal_conv", "deinterleave", "elementwise", "embedding", "fft_pack", "fft_pad_filter",
                "fft_product", "fft_unpack", "fir_prefill", "fir_step", "fused_fft_conv", "fused_fft_core", "fused_fft_spectrum", "gelu", "gemv",
                "gemv_reduce", "hyena_core", "hyena_step", "kv_attend", "kv_combine", "modal_filter", "modal_scan", "mul", "neg", "norm_residual", "rmsnorm", "relu",
                "rope", "scale", "scan_carry", "scan_conv", "scan_core", "scan_states", "silu", "split", "sub")), kinds);
        assertTrue(byCode.values().stream().anyMatch(k -> k.entry().startsWith("fused_fft_core_c4096_m16_skip_t512_bf16")),
                "Evo 2 7B's Hyena-LI core by the fused FFT is checked");
        // the scan's core computes the featurizer from u (its taps and the rows of u it reads back in registers beside the modes')
        for (String scan : List.of("scan_states_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16", "scan_carry_c4096_m16_t128",
                "scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16")) {
            assertTrue(units.stream().filter(Unit::noSpills).flatMap(u -> u.sources().stream()).anyMatch(t -> t.contains(" " + scan + "(")),
                    "Evo 2 7B's Hyena-LI core by the scan is checked for spills: " + scan);
        }

        Path keep = Path.of("target", "kernel-check");
        Files.createDirectories(keep);
        List<String> failures = new ArrayList<>();
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<String>> results = new ArrayList<>();
            for (Unit u : units) {
                StringBuilder tu = new StringBuilder();
                for (String k : u.sources()) tu.append(k).append('\n');
                Files.writeString(keep.resolve(u.name() + ".cu"), tu);
                results.add(pool.submit(() -> {
                    try {
                        byte[] cubin = (u.noSpills() ? spillChecker : compiler).compile(u.name(), tu.toString());
                        return cubin.length > 0 ? null : u.name() + ": empty cubin";
                    } catch (KernelCompileException e) {
                        return u.name() + " (" + keep.resolve(u.name() + ".cu").toAbsolutePath() + "):\n" + e.log();
                    }
                }));
            }
            for (Future<String> r : results) {
                String failure = r.get();
                if (failure != null) failures.add(failure);
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + units.size() + " translation units failed:\n" + String.join("\n\n", failures));
        System.out.println("compile check: " + codeByEntry.size() + " distinct kernels in " + units.size() + " translation units, " + compiler.identity()
                + ", " + ARCH);
    }
}
