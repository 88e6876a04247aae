package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cuda.NvccCompiler;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Phase;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.DeviceTarget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --target cuda} through the real command line, with the cuda target on the class path as in the jar: artifacts
 * that carry the kernels (with nvcc, a stand-in nvcc, and none), their round trip, and the behaviour without a GPU
 * (CI's case). The GPU side of running them is checked on a GPU machine; the target's own parts in backends/cuda.
 */
class CudaTargetCommandsTest {
    static final Path TINY = Cli.ROOT.resolve("samples/sh2-tiny.hyena");
    /** Points the cuda target's nvcc at one path, as -Dhyenac.nvcc does for users. */
    static final String NVCC_PROPERTY = "hyenac.nvcc";

    static Cli.Result hyenac(String... args) { return Cli.run(args); }

    /** hyenac with -Dhyenac.nvcc set for the call (tests of one class run one at a time). */
    static Cli.Result withNvcc(Path nvcc, String... args) {
        String before = System.getProperty(NVCC_PROPERTY);
        System.setProperty(NVCC_PROPERTY, nvcc.toString());
        try {
            return hyenac(args);
        } finally {
            if (before == null) System.clearProperty(NVCC_PROPERTY);
            else System.setProperty(NVCC_PROPERTY, before);
        }
    }

    static Map<String, byte[]> entries(Path zip) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) out.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        return out;
    }

    static String text(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    /** The kernels sh2-tiny's plans launch (every phase, from the graph as an artifact stores it), once each, in first-use order. */
    static List<Kernel> tinyKernels() {
        Compilation.Result c = Compilation.compile(TINY, null);
        KernelPipeline pipeline = new KernelPipeline(Executable.plan(TINY, c), CudaTarget.lowering(Precision.FP32));
        Map<String, Kernel> kernels = new LinkedHashMap<>();
        for (Phase phase : Phase.values()) for (Kernel k : pipeline.plan(phase).kernels()) kernels.putIfAbsent(k.entry(), k);
        return List.copyOf(kernels.values());
    }

    /** A stand-in nvcc: answers --version like nvcc 13.0 and writes a small PTX naming the architecture it was given. */
    static Path fakeNvcc(Path dir, boolean fails) throws IOException {
        Path nvcc = dir.resolve("nvcc");
        Files.writeString(nvcc, """
                #!/bin/sh
                if [ "$1" = "--version" ]; then echo "Cuda compilation tools, release 13.0, V13.0.88"; exit 0; fi
                %s
                arch=""; out=""
                while [ $# -gt 0 ]; do case "$1" in -arch=*) arch="${1#-arch=}";; -o) out="$2"; shift;; esac; shift; done
                printf '// stand-in\\n.version 9.0\\n.target %%s\\n' "$arch" > "$out"
                """.formatted(fails ? "echo 'error: no such luck'; exit 1" : ""));
        assertTrue(nvcc.toFile().setExecutable(true));
        return nvcc;
    }

    /** The cuda target as the command line finds it, and whether it can run here. */
    static DeviceTarget.Availability cudaTarget() { return DeviceTarget.find("cuda").orElseThrow().availability(); }

    static boolean gpuUsable() { return cudaTarget().usable(); }

    // ---------------------------------------------------------------------------------------- compile

    @Test
    void compileForCudaCarriesEverySourceAndItsPtx(@TempDir Path dir) throws IOException {
        Optional<Path> nvcc = NvccCompiler.locate();
        assumeTrue(nvcc.isPresent(), "nvcc is not installed here (CI has it)");
        Path hyx = dir.resolve("m.hyx");
        Cli.Result r = hyenac("compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + hyx + ": model sh2_tiny for cuda, 76 weights"), r.out());
        List<Kernel> kernels = tinyKernels();
        assertTrue(r.out().contains("kernels (fp32): " + kernels.size() + " CUDA sources, PTX for sm_90 (nvcc "), r.out());

        Map<String, byte[]> entries = entries(hyx);
        for (Kernel k : kernels) {
            assertTrue(text(entries.get("kernels/" + k.entry() + ".cu")).endsWith(k.code()), k.entry());
            String ptx = text(entries.get("kernels/sm_90/" + k.entry() + ".ptx"));
            assertTrue(ptx.contains(".target sm_90") && ptx.contains(".entry " + k.entry() + "("), k.entry() + ":\n" + ptx);
        }
        assertEquals(1 + 2 * kernels.size(), entries.keySet().stream().filter(e -> e.startsWith("kernels/")).count(), entries.keySet().toString());
        JsonObject index = JsonParser.parseString(text(entries.get("kernels/index.json"))).getAsJsonObject();
        assertEquals("sm_90", index.getAsJsonObject("ptx").get("arch").getAsString());
        assertTrue(index.getAsJsonObject("ptx").get("cuda").getAsString().matches("\\d+\\.\\d+"), index.toString());

        // The round trip: what comes back is what went in (that the cuda target reads it is CudaTargetTest's part).
        try (Executable x = Executable.open(hyx)) {
            assertEquals("cuda", x.meta().target());
            assertEquals("fp32", x.meta().precision());
            DeviceCode code = x.deviceCode();
            assertEquals(entries.keySet().stream().filter(e -> e.startsWith("kernels/")).map(e -> e.substring(8)).toList(),
                    List.copyOf(code.files().keySet()));
            code.files().forEach((name, bytes) -> assertArrayEquals(entries.get("kernels/" + name), bytes, name));
            assertEquals(kernels.stream().map(Kernel::entry).toList(),
                    index.getAsJsonArray("kernels").asList().stream().map(k -> k.getAsJsonObject().get("entry").getAsString()).toList());
        }
    }

    @Test
    void withoutNvccTheArtifactCarriesSourcesOnlyAndSaysSo(@TempDir Path dir) throws IOException {
        Path hyx = dir.resolve("m.hyx");
        Path missing = dir.resolve("no/nvcc");
        Cli.Result r = withNvcc(missing, "compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("CUDA sources, no PTX: no nvcc at " + missing + " (as -Dhyenac.nvcc says); NVRTC compiles them at load"), r.out());
        Map<String, byte[]> entries = entries(hyx);
        List<Kernel> kernels = tinyKernels();
        for (Kernel k : kernels) assertTrue(text(entries.get("kernels/" + k.entry() + ".cu")).endsWith(k.code()), k.entry());
        assertFalse(entries.keySet().stream().anyMatch(e -> e.endsWith(".ptx")), entries.keySet().toString());
        try (Executable x = Executable.open(hyx)) {
            assertTrue(x.meta().kernels().contains("no PTX"), x.meta().kernels());
            JsonObject index = JsonParser.parseString(text(x.deviceCode().files().get("index.json"))).getAsJsonObject();
            assertTrue(index.get("ptx").isJsonNull(), index.toString());
        }
        // explain lists it
        Cli.Result listed = hyenac("explain", hyx.toString());
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().contains("target cuda, precision fp32; kernels: " + kernels.size() + " CUDA sources, no PTX"), listed.out());
        assertTrue(listed.out().contains("  kernels/index.json\n") && listed.out().contains("  kernels/" + kernels.getFirst().entry() + ".cu\n"), listed.out());
    }

    @Test
    void archChoosesWhatThePtxIsFor(@TempDir Path dir) throws IOException {
        Path hyx = dir.resolve("m.hyx");
        Path nvcc = fakeNvcc(dir, false);
        Cli.Result r = withNvcc(nvcc, "compile", TINY.toString(), "--target", "cuda", "--arch", "sm_80", "-o", hyx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("PTX for sm_80 (nvcc 13.0.88)"), r.out());
        Map<String, byte[]> entries = entries(hyx);
        for (Kernel k : tinyKernels()) assertTrue(text(entries.get("kernels/sm_80/" + k.entry() + ".ptx")).contains(".target sm_80"), k.entry());
        // Compiling again gives the same bytes, kernels and all.
        Path again = dir.resolve("again.hyx");
        assertEquals(0, withNvcc(nvcc, "compile", TINY.toString(), "--target", "cuda", "--arch", "sm_80", "-o", again.toString()).code());
        assertArrayEquals(Files.readAllBytes(hyx), Files.readAllBytes(again));
    }

    @Test
    void whenNvccFailsTheSourcesStillTravel(@TempDir Path dir) throws IOException {
        Path hyx = dir.resolve("m.hyx");
        Cli.Result r = withNvcc(fakeNvcc(dir, true), "compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("no PTX: nvcc could not compile ") && r.out().contains("error: no such luck"), r.out());
        assertFalse(entries(hyx).keySet().stream().anyMatch(e -> e.endsWith(".ptx")));
    }

    // ---------------------------------------------------------------------------------------- without a GPU

    @Test
    void runOnCudaWithoutAGpuIsOneClearError() {
        assumeFalse(gpuUsable(), "this machine has a GPU");
        Cli.Result r = hyenac("run", TINY.toString(), "--prompt", "ACGT", "--generate", "4", "--target", "cuda");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("hyenac run: --target cuda: "), r.err());
        assertTrue(r.err().strip().endsWith("use --target cpu"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("    at "), r.err());
        assertEquals("", r.out());
    }

    @Test
    void autoPicksTheCpuHereAndSaysWhy(@TempDir Path dir) throws IOException {
        DeviceTarget.Availability a = cudaTarget();
        assumeFalse(a.usable(), "this machine has a GPU");
        Cli.Result auto = hyenac("run", TINY.toString(), "--prompt", "ACGT", "--generate", "6", "--print-tokens");
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.err().contains("target: cpu (" + a.summary() + ")\n"), auto.err());
        Cli.Result cpu = hyenac("run", TINY.toString(), "--prompt", "ACGT", "--generate", "6", "--print-tokens", "--target", "cpu");
        assertEquals(cpu.out(), auto.out());

        // An artifact for cuda runs on the CPU here, with the same tokens, and says its kernels go unused.
        Path hyx = dir.resolve("m.hyx");
        assertEquals(0, withNvcc(fakeNvcc(dir, false), "compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString()).code());
        Cli.Result fromHyx = hyenac("run", hyx.toString(), "--prompt", "ACGT", "--generate", "6", "--print-tokens");
        assertEquals(0, fromHyx.code(), fromHyx.err());
        assertTrue(fromHyx.err().contains("target: cpu (" + a.summary() + "; the artifact's cuda kernels go unused)"), fromHyx.err());
        assertEquals(cpu.out(), fromHyx.out());

        // compile --target auto makes a cpu artifact here, and says why.
        Cli.Result compiled = hyenac("compile", TINY.toString(), "-o", dir.resolve("auto.hyx").toString());
        assertEquals(0, compiled.code(), compiled.err());
        assertTrue(compiled.err().contains("target: cpu (" + a.summary() + ")"), compiled.err());
        assertTrue(compiled.out().contains("model sh2_tiny for cpu"), compiled.out());
    }

    // ---------------------------------------------------------------------------------------- with a GPU

    @Test
    void onAGpuCudaGeneratesTheTokensTheCpuDoes(@TempDir Path dir) {
        assumeTrue(gpuUsable(), "no usable GPU here (CI has none)");
        String[] args = {"--prompt", "ACGTACGT", "--generate", "16", "--print-tokens"};
        Cli.Result cpu = hyenac(concat(new String[] {"run", TINY.toString(), "--target", "cpu"}, args));
        Cli.Result cuda = hyenac(concat(new String[] {"run", TINY.toString(), "--target", "cuda"}, args));
        assertEquals(0, cuda.code(), cuda.err());
        assertTrue(cuda.err().contains("target: cuda (" + cudaTarget().summary() + ")"), cuda.err());
        assertTrue(cuda.err().contains("[sh2_tiny on cuda:"), cuda.err());
        assertEquals(cpu.out(), cuda.out());
        if (NvccCompiler.locate().isPresent()) {
            Path hyx = dir.resolve("m.hyx");
            assertEquals(0, hyenac("compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString()).code());
            Cli.Result carried = hyenac(concat(new String[] {"run", hyx.toString()}, args));
            assertEquals(0, carried.code(), carried.err());
            assertTrue(carried.err().contains("kernels from the artifact's PTX") || carried.err().contains("compiled with NVRTC"), carried.err());
            assertEquals(cpu.out(), carried.out());
        }
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
