package hyenac.backends.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.cuda.bindings.CudaLibrary;
import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.runtime.exec.BackendUnavailableException;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.exec.DeviceTarget;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cuda target without the command line: found through ServiceLoader, the kernels an artifact carries (written
 * with a stand-in nvcc and none, read back, handed to the executor's cache), and the behaviour without a GPU (CI's
 * case). {@code --target cuda} through the command line is app's CudaTargetCommandsTest.
 */
class CudaTargetTest {
    static final Path ROOT = Path.of(System.getProperty("hyenac.root", "../..")).toAbsolutePath().normalize();
    static final Path TINY = ROOT.resolve("samples/sh2-tiny.hyena");

    /** Runs {@code body} with -Dhyenac.nvcc set (tests of one class run one at a time). */
    static <T> T withNvcc(Path nvcc, java.util.function.Supplier<T> body) {
        String before = System.getProperty(CarriedKernels.NVCC_PROPERTY);
        System.setProperty(CarriedKernels.NVCC_PROPERTY, nvcc.toString());
        try {
            return body.get();
        } finally {
            if (before == null) System.clearProperty(CarriedKernels.NVCC_PROPERTY);
            else System.setProperty(CarriedKernels.NVCC_PROPERTY, before);
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

    /** sh2-tiny's plans for every phase, from the graph as an artifact stores it. */
    static List<Plan> tinyPlans() {
        Compilation.Result c = Compilation.compile(TINY, null);
        KernelPipeline pipeline = new KernelPipeline(Executable.plan(TINY, c), CudaTarget.lowering(Precision.FP32));
        return Arrays.stream(Phase.values()).map(pipeline::plan).toList();
    }

    /** The kernels of sh2-tiny as an artifact of it carries them: those its plans launch. */
    static List<CarriedKernels.Source> tinyKernels() { return CarriedKernels.sources(tinyPlans()); }

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

    static boolean gpuUsable() { return CudaTarget.probe().usable(); }

    // ---------------------------------------------------------------------------------------- artifacts

    /**
     * What `compile --target cuda` stores (the target's generate, then the artifact) is what this target reads back:
     * every file, the PTX's architecture, the kernels in order. The command line's side is app's CudaTargetCommandsTest.
     */
    @Test
    void anArtifactCarriesKernelsThisTargetReadsBack(@TempDir Path dir) throws IOException {
        Compilation.Result c = Compilation.compile(TINY, null);
        Path nvcc = fakeNvcc(dir, false);
        DeviceCode code = withNvcc(nvcc, () -> new CudaTarget().generate(Executable.plan(TINY, c), tinyPlans(), "sm_90"));
        Path hyx = dir.resolve("m.hyx");
        Executable.write(hyx, TINY, c, code, null, "none");
        Map<String, byte[]> entries = entries(hyx);
        List<CarriedKernels.Source> kernels = tinyKernels();
        for (CarriedKernels.Source k : kernels) {
            assertEquals(k.text(), text(entries.get("kernels/" + k.entry() + ".cu")), k.entry());
            assertTrue(text(entries.get("kernels/sm_90/" + k.entry() + ".ptx")).contains(".target sm_90"), k.entry());
        }
        try (Executable x = Executable.open(hyx)) {
            assertEquals("cuda", x.meta().target());
            assertEquals("fp32", x.meta().precision());
            DeviceCode back = x.deviceCode();
            assertEquals(entries.keySet().stream().filter(e -> e.startsWith("kernels/")).map(e -> e.substring(8)).toList(),
                    List.copyOf(back.files().keySet()));
            back.files().forEach((name, bytes) -> assertArrayEquals(entries.get("kernels/" + name), bytes, name));
            CarriedKernels carried = CarriedKernels.read(back);
            assertEquals("sm_90", carried.ptx().arch());
            assertEquals(kernels.stream().map(CarriedKernels.Source::entry).toList(), carried.kernels().stream().map(CarriedKernels.Kernel::entry).toList());
        }
        // Without nvcc the sources travel alone, and the target reads that too.
        Path bare = dir.resolve("bare.hyx");
        Executable.write(bare, TINY, c, withNvcc(dir.resolve("no/nvcc"), () -> new CudaTarget().generate(Executable.plan(TINY, c), tinyPlans(), "sm_90")),
                null, "none");
        try (Executable x = Executable.open(bare)) {
            assertNull(CarriedKernels.read(x.deviceCode()).ptx());
        }
    }

    // ---------------------------------------------------------------------------------------- without a GPU

    @Test
    void theBackendWithoutAGpuFailsCleanly() {
        assumeFalse(gpuUsable(), "this machine has a GPU");
        Graph g = Samples.graph("sh2-tiny.hyena");
        var e = assertThrows(BackendUnavailableException.class, () -> new CudaTarget().backend(null, KernelPipeline::new).open(g, WeightStore.random(g, 1), 1));
        assertTrue(e.getMessage().endsWith("use --target cpu"), e.getMessage());
        assertEquals("cuda", new CudaTarget().backend(null, KernelPipeline::new).name());
        assertFalse(new CudaTarget().availability().usable());
    }

    @Test
    void theTargetIsFoundThroughServiceLoader() {
        DeviceTarget t = DeviceTarget.find("cuda").orElseThrow();
        assertTrue(t instanceof CudaTarget);
        assertEquals("sm_90", t.defaultArch());
        assertTrue(DeviceTarget.find("opencl").isEmpty());
    }

    @Test
    void aBriefReasonIsTheFirstClause() {
        assertEquals("no NVIDIA driver found: libcuda.so.1 could not be loaded", CudaTarget.brief(CudaLibrary.DRIVER.missingMessage(
                "not found on the library search path; tried libcuda.so.1")));
        assertEquals("no NVIDIA GPU found: cuInit returned CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected) from libcuda.so.1",
                CudaTarget.brief("no NVIDIA GPU found: cuInit returned CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected) from libcuda.so.1"
                        + "; the cuda target needs an NVIDIA GPU and driver; use --target cpu"));
        assertEquals("plain", CudaTarget.brief("plain"));
    }

    // ---------------------------------------------------------------------------------------- carried PTX at load

    @Test
    void carriedPtxGoesWhereTheExecutorLooksForKernels(@TempDir Path dir) throws IOException {
        Compilation.Result c = Compilation.compile(TINY, null);
        Graph plan = Executable.plan(TINY, c);
        List<Plan> plans = tinyPlans();
        DeviceCode code = CarriedKernels.generate(plans, Precision.FP32, "sm_90", new CarriedKernels.Nvcc(Optional.of(fakeNvcc(dir, false)), null));
        CarriedKernels carried = CarriedKernels.read(code);
        KernelCache cache = new KernelCache(dir.resolve("cache"));

        assertEquals("kernels compiled with NVRTC for sm_89 (the artifact's PTX is for sm_90)", carried.seed(plans, "sm_89", 13000, cache, b -> true));
        assertEquals("kernels compiled with NVRTC (the artifact's PTX is from CUDA 13.0, the driver supports CUDA 12.8)",
                carried.seed(plans, "sm_90", 12080, cache, b -> true));
        assertFalse(Files.exists(cache.dir()), "nothing is stored when the PTX does not fit");

        int n = carried.kernels().size();
        assertEquals(n + " kernels from the artifact's PTX for sm_90", carried.seed(plans, "sm_90", 13000, cache, b -> true));
        // Every kernel the plans launch is found under the key the executor computes
        List<String> missing = new ArrayList<>();
        for (Plan p : plans) {
            for (hyenac.ir.plan.Kernel k : p.kernels()) {
                Optional<byte[]> hit = cache.lookup(CarriedKernels.executorCacheKey(k.code(), "sm_90"));
                if (hit.isEmpty()) missing.add(k.entry());
                else assertArrayEquals(code.files().get("sm_90/" + k.entry() + ".ptx"), hit.get(), k.entry());
            }
        }
        assertEquals(List.of(), missing);
        assertEquals(n + " kernels already in the kernel cache", carried.seed(plans, "sm_90", 13000, cache, b -> true));

        // An image already cached (NVRTC's, from an earlier run) is kept; PTX the driver refuses is never stored.
        KernelCache other = new KernelCache(dir.resolve("other"));
        CarriedKernels.Source first = CarriedKernels.sources(plans).getFirst();
        String key = CarriedKernels.executorCacheKey(first.code(), "sm_90");
        other.store(key, new byte[] {42}, first.text());
        assertEquals("1 kernels already in the kernel cache, " + (n - 1) + " kernels compiled with NVRTC (their PTX does not fit this hyenac or driver)",
                carried.seed(plans, "sm_90", 13000, other, b -> false));
        assertArrayEquals(new byte[] {42}, other.lookup(key).orElseThrow());
    }

    @Test
    void aMalformedIndexIsNamed() {
        DeviceCode noIndex = new DeviceCode("cuda", "fp32", Map.of("k.cu", new byte[0]), "");
        var e = assertThrows(hyenac.runtime.exec.BackendException.class, () -> CarriedKernels.read(noIndex));
        assertEquals("the artifact's kernels/index.json cannot be used: it is missing", e.getMessage());
        DeviceCode dangling = new DeviceCode("cuda", "fp32", Map.of("index.json",
                "{\"precision\": \"fp32\", \"ptx\": null, \"kernels\": [{\"entry\": \"k\", \"name\": \"add\", \"source\": \"k.cu\"}]}".getBytes(StandardCharsets.UTF_8)), "");
        e = assertThrows(hyenac.runtime.exec.BackendException.class, () -> CarriedKernels.read(dangling));
        assertEquals("the artifact's kernels/index.json cannot be used: it lists kernels/k.cu, which the artifact lacks", e.getMessage());
    }
}
