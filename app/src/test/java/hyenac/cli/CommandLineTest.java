package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static Path samples() {
        String root = System.getProperty("hyenac.root", "..");
        return Path.of(root, "samples");
    }

    @Test
    void cleanSamplesExitZeroAndPrintNothing() {
        Run r = run("check", samples().resolve("evo2-7b.hyena").toString(), samples().resolve("sh2-tiny.hyena").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
    }

    @Test
    void userErrorsExitOneWithFileLineColumnAndCaret(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.hyena");
        Files.writeString(f, "import \"std\"\nop f() (x) {\n  out gleu(x)\n}\n");
        Run r = run("check", f.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(f + ":3:7: error[HY0202]: unknown operator `gleu`"), r.err());
        assertTrue(r.err().contains("  out gleu(x)\n") && r.err().contains("^^^^"), r.err());
        assertTrue(r.err().contains("did you mean `gelu`?"), r.err());
    }

    @Test
    void jsonDiagnosticsCarryCodeSpanArgumentsAndFix(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.hyena");
        Files.writeString(f, "op f() (x) {\n  op p = linear(featurs = 8)\n  out p(x)\n}\n");
        Run r = run("check", "--diagnostics=json", f.toString());
        assertEquals(1, r.code());
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonObject d = root.getAsJsonArray("diagnostics").get(0).getAsJsonObject();
        assertEquals("HY0203", d.get("code").getAsString());
        assertEquals(2, d.getAsJsonObject("span").get("line").getAsInt());
        assertEquals(17, d.getAsJsonObject("span").get("column").getAsInt());
        assertEquals("featurs", d.getAsJsonArray("args").get(1).getAsString());
        assertEquals("features", d.getAsJsonObject("fix").get("replacement").getAsString());
    }

    @Test
    void manyErrorsInOneRun(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.hyena");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 150; i++) b.append("op f").append(i).append("() (x) { out nope").append(i).append("(x) }\n");
        Files.writeString(f, b);
        Run r = run("check", f.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("50 more diagnostics not shown"), r.err().lines().reduce((a, c) -> c).orElse(""));
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("check").code());
        assertEquals(2, run("frobnicate").code());
        assertEquals(2, run("explain", "--context", "x", "f.hyena").code());
    }

    @Test
    void missingFileIsAUserError() {
        Run r = run("check", "no/such/file.hyena");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no/such/file.hyena:1:1: error[HY0102]"), r.err());
    }

    @Test
    void versionPrintsTheVersion() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)hyenac \\d+\\.\\d+\\.\\d+.*"), r.out());
    }

    @Test
    void explainPrintsOneRowPerLayerAndExactTotals() {
        Run r = run("explain", samples().resolve("evo2-7b.hyena").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("6,481,059,584"), r.out());
        assertEquals(32 + 4, r.out().lines().filter(l -> l.matches("\\s+(\\d+|-)\\s.*")).count() + 2, r.out());
    }

    @Test
    void explainJsonHasFlopsAtTheRequestedContext() {
        Run r = run("explain", "--json", "--context", "1024", samples().resolve("sh2-tiny.hyena").toString());
        assertEquals(0, r.code(), r.err());
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(1024, root.get("context").getAsLong());
        assertEquals(394296, root.getAsJsonObject("totals").get("parameters").getAsLong());
        // Layer 3 is attention at D = 64: 2·L·D for scores and values plus the projections 2·64·192 + 2·64·64.
        JsonObject attn = root.getAsJsonArray("rows").get(4).getAsJsonObject();
        assertEquals("attention", attn.get("operator").getAsString());
        double mixer = 2.0 * 1024 * 64 + 2.0 * 64 * 192 + 2.0 * 64 * 64;
        double mlp = 3 * 2.0 * 64 * 176;
        assertEquals(mixer + mlp, attn.get("flops_per_token").getAsDouble(), 1e-6);
    }

    @Test
    void explainParamsListsEveryWeight() {
        Run r = run("explain", "--params", samples().resolve("sh2-tiny.hyena").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("layers.3.mixer.qkv.weight"), r.out());
        // vortex's file holds 77 tensors: these 76 and the attention's inv_freq buffer (not a parameter).
        assertEquals(76, r.out().lines().filter(l -> l.matches("^(embedding|layers|final_norm)\\..*")).count(), r.out());
    }

    @Test
    void importWritesASpecThatChecksAndWarnsOnStderr(@TempDir Path dir) throws Exception {
        Path vortex = Path.of(System.getProperty("hyenac.root", ".."), "conformance", "data", "vortex");
        Path out = dir.resolve("evo2-1b.hyena");
        Run r = run("import", vortex.resolve("configs/evo2-1b-8k.yml").toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.out(), "the spec goes to the file");
        assertTrue(r.err().contains("warning[HY0504]") && r.err().contains("use_fp8_input_projections"), r.err());
        Run check = run("check", out.toString());
        assertTrue(check.code() == 0, check.err());
        Run explain = run("explain", "--json", out.toString());
        assertEquals(1107989760L, JsonParser.parseString(explain.out()).getAsJsonObject()
                .getAsJsonObject("totals").get("parameters").getAsLong());
    }

    @Test
    void fmtCheckPassesOnTheSamplesAndFlagsAMessyFile(@TempDir Path dir) throws Exception {
        try (var files = Files.list(samples())) {
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("fmt", "--check"),
                    files.filter(p -> p.toString().endsWith(".hyena")).map(Path::toString)).toArray(String[]::new);
            Run r = run(args);
            assertEquals(0, r.code(), r.err());
        }
        Path messy = dir.resolve("messy.hyena");
        Files.writeString(messy, "op f()(x){out   gelu( x );}  // keep me\n");
        Run r = run("fmt", "--check", messy.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not formatted: " + messy), r.err());
    }

    @Test
    void fmtWriteRewritesInPlaceAndLeavesBrokenFilesAlone(@TempDir Path dir) throws Exception {
        Path messy = dir.resolve("messy.hyena");
        Files.writeString(messy, "op f()(x){out   gelu( x );}  // keep me\n");
        assertEquals(0, run("fmt", "--write", messy.toString()).code());
        assertEquals("op f() (x) {\n  out gelu(x)\n} // keep me\n", Files.readString(messy));
        assertEquals(0, run("fmt", "--check", messy.toString()).code());

        Path broken = dir.resolve("broken.hyena");
        String text = "op f()(x){out gelu( x }\n";
        Files.writeString(broken, text);
        Run r = run("fmt", "--write", broken.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error[HY0002]"), r.err());
        assertEquals(text, Files.readString(broken), "a file with syntax errors is never rewritten");
    }

    /** `graph --train` runs the training passes, verified, and prints the graph after the one asked for. */
    @Test
    void graphPrintsTheTrainingPasses() {
        Run r = run("graph", samples().resolve("sh2-tiny.hyena").toString(), "--train", "--verify", "--print-after=differentiate");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("// ----- IR after differentiate\n"), r.out().substring(0, 80));
        assertTrue(r.out().contains("= cross_entropy(") && r.out().contains("= causal_attention_grad("), r.out());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("// ----- IR after")).count(), "only the pass asked for");
    }

    /** Every command that needs a model says the same when there is none, and lists the models when the name is wrong. */
    @Test
    void aFileWithoutTheModelAskedForGetsOneMessageEverywhere(@TempDir Path dir) throws Exception {
        Path ops = dir.resolve("ops.hyena");
        Files.writeString(ops, "import \"std\"\nop twice() (x) {\n  out x + x\n}\n");
        String none = ops + ": no model in this file (it declares only operators and blocks)";
        for (String[] args : new String[][] {{"run", ops.toString(), "--prompt", "A"}, {"compile", ops.toString(), "-o", dir.resolve("x.hyx").toString()},
                {"graph", ops.toString()}, {"explain", ops.toString()},
                {"train", ops.toString(), "--task", "recall", "--steps", "1", "--out", dir.resolve("t").toString()}}) {
            Run r = run(args);
            assertEquals(1, r.code(), args[0]);
            assertTrue(r.err().strip().endsWith(none), args[0] + ": " + r.err());
        }
        Run wrong = run("explain", samples().resolve("sh2-tiny.hyena").toString(), "--model", "sh2");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().strip().endsWith(": no model named `sh2`; models: sh2_tiny"), wrong.err());
        Run train = run("train", samples().resolve("sh2-tiny.hyena").toString(), "--model", "sh2", "--task", "recall", "--steps", "1",
                "--out", dir.resolve("t").toString());
        assertEquals(1, train.code());
        assertEquals(wrong.err(), train.err(), "train names the models as explain does");
    }

    @Test
    void theCudaTargetChoosesTheBlockedConvolutionForEvo2sExplicitFiltersInBf16() {
        Run r = run("graph", samples().resolve("evo2-7b.hyena").toString(), "--target", "cuda", "--print-after=select-algorithms");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("causal_conv layers.1.mixer.filter -> blocked  (direct "), r.out());
        assertTrue(r.out().contains("causal_conv layers.0.mixer.filter -> blocked  (direct "), r.out());
        assertTrue(r.out().contains("causal_conv layers.0.mixer.featurizer -> direct  (direct "), r.out());
    }

    @Test
    void evo2sHyenaCoresTakeTheirFeaturizerIntoOneKernelFromTheProjection() {
        String evo = samples().resolve("evo2-7b.hyena").toString();
        Run fused = run("graph", evo, "--target", "cuda", "--print-after=fuse-kernels");
        assertEquals(0, fused.code(), fused.err());
        assertTrue(fused.out().contains("hyena_core [causal_conv, deinterleave, mul, causal_conv, mul]"), fused.out());
        assertTrue(fused.out().contains("hyena_core [causal_conv, deinterleave, mul, modal_conv, mul]"), fused.out());
        List<String> parallel = fused.out().lines().dropWhile(l -> !l.startsWith("// ----- parallel")).skip(1).takeWhile(l -> !l.startsWith("// -----"))
                .toList();
        assertTrue(parallel.size() > 100 && parallel.stream().noneMatch(l -> l.contains("single [causal_conv]")), "no featurizer runs alone in a parallel pass");
        Run plan = run("graph", evo, "--target", "cuda", "--print-after=plan-memory");
        assertEquals(0, plan.code(), plan.err());
        // SE and MR: one blocked kernel from u; LI: the scan's first and third kernels from u, computing the featurizer too
        assertTrue(plan.out().contains("launch hyena_core_blocked_c4096_k7_g256_xcorr_feat_k3_g12288_xcorr_bf16("), plan.out());
        assertTrue(plan.out().contains("launch hyena_core_blocked_c4096_k128_g256_fir_skip_feat_k3_g12288_xcorr_bf16("), plan.out());
        assertTrue(plan.out().contains("launch scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16("), plan.out());
        assertTrue(plan.out().contains("causal_conv+deinterleave+mul+modal_conv+mul layers.2.mixer [scan]"), plan.out());
        assertTrue(plan.out().lines().noneMatch(l -> l.contains(".mixer.featurizer [direct]")), "no featurizer's kernel of its own: " + plan.out());
    }

    @Test
    void theCudaTargetChoosesTheScanForEvo2sHyenaLi() {
        Run r = run("graph", samples().resolve("evo2-7b.hyena").toString(), "--target", "cuda", "--print-after=select-algorithms");
        assertEquals(0, r.code(), r.err());
        // at the reference shape (B = 1, L = 8192) the scan beats both FFTs, which remain candidates
        assertTrue(r.out().contains("modal_conv layers.2.mixer.filter -> scan  (fft "), r.out());
        assertTrue(r.out().contains(", fused_fft "), r.out());
        assertTrue(r.out().contains("causal_conv layers.1.mixer.filter -> blocked  (direct "), r.out());
        Run plan = run("graph", samples().resolve("evo2-7b.hyena").toString(), "--target", "cuda", "--print-after=plan-memory");
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("launch scan_states_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16("), plan.out());
        assertTrue(plan.out().contains("launch scan_carry_c4096_m16_t128("), plan.out());
        assertTrue(plan.out().contains("launch scan_core_c4096_m16_skip_feat_k3_g12288_xcorr_t128_bf16("), plan.out());
        assertTrue(plan.out().contains("scratch n38.scan_states  fp32[B*ceil(L / 128)*65536]"), plan.out());
        assertTrue(!plan.out().contains("fused_fft_core_c4096_m16"), "LI's fused FFT is not launched");
    }

    @Test
    void aKernelOptionOutOfRangeIsNamedNotTraced() {
        for (String[] option : new String[][] {{"hyenac.attention.keys", "96"}, {"hyenac.attention.warpgroups", "3"}, {"hyenac.gemv.unroll", "x"}}) {
            String before = System.getProperty(option[0]);
            System.setProperty(option[0], option[1]);
            try {
                Run r = run("graph", samples().resolve("sh2-tiny.hyena").toString(), "--target", "cuda");
                assertTrue(r.code() != 0, "exit code " + r.code());
                assertTrue(r.err().contains("-D" + option[0] + " is ") && r.err().contains("not `" + option[1] + "`"), r.err());
                assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
            } finally {
                if (before == null) System.clearProperty(option[0]);
                else System.setProperty(option[0], before);
            }
        }
    }

    @Test
    void theAlgorithmPreferenceForcesTheScanOnATinyModel() {
        String before = System.getProperty("hyenac.algorithm");
        System.setProperty("hyenac.algorithm", "scan");
        try {
            Run r = run("graph", samples().resolve("sh2-tiny.hyena").toString(), "--target", "cuda", "--print-after=select-algorithms");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("scan preferred wherever offered (-Dhyenac.algorithm)"), r.out());
            assertTrue(r.out().contains("modal_conv layers.2.mixer.filter -> scan  preferred (fft "), r.out());
            // explicit filters have no modes to scan
            assertTrue(r.out().contains("causal_conv layers.1.mixer.filter -> direct  (direct "), r.out());
            Run plan = run("graph", samples().resolve("sh2-tiny.hyena").toString(), "--target", "cuda", "--print-after=plan-memory");
            assertEquals(0, plan.code(), plan.err());
            assertTrue(plan.out().contains("launch scan_core_c64_m16_skip_feat_k3_g192_xcorr_t128_fp32("), plan.out());
        } finally {
            if (before == null) System.clearProperty("hyenac.algorithm");
            else System.setProperty("hyenac.algorithm", before);
        }
    }

    @Test
    void theAlgorithmPreferenceForcesTheFusedFftOnATinyModel() {
        String before = System.getProperty("hyenac.algorithm");
        System.setProperty("hyenac.algorithm", "fused_fft");
        try {
            Run r = run("graph", samples().resolve("sh2-tiny.hyena").toString(), "--target", "cuda", "--print-after=select-algorithms");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("fused_fft preferred wherever offered (-Dhyenac.algorithm)"), r.out());
            assertTrue(r.out().contains("modal_conv layers.2.mixer.filter -> fused_fft  preferred (fft "), r.out());
            assertTrue(r.out().contains("causal_conv layers.1.mixer.filter -> fused_fft  preferred (direct "), r.out());
            // 7 taps: no fused FFT offered
            assertTrue(r.out().contains("causal_conv layers.0.mixer.filter -> direct  (direct 1.79 us)"), r.out());
        } finally {
            if (before == null) System.clearProperty("hyenac.algorithm");
            else System.setProperty("hyenac.algorithm", before);
        }
    }

    @Test
    void anAlgorithmPreferenceThatNamesNoneIsAUsageError() {
        String before = System.getProperty("hyenac.algorithm");
        System.setProperty("hyenac.algorithm", "winograd");
        try {
            Run r = run("check", samples().resolve("sh2-tiny.hyena").toString());
            assertEquals(2, r.code());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("-Dhyenac.algorithm=winograd names no algorithm; choose from [direct, blocked, fft, fused_fft, scan, flash, flash_wgmma, recurrent]"), r.err());
        } finally {
            if (before == null) System.clearProperty("hyenac.algorithm");
            else System.setProperty("hyenac.algorithm", before);
        }
    }
}
