package hyenac.backends.cuda.bindings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import hyenac.backends.codegen.cache.KernelCompileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Needs libnvrtc (no GPU): compiles for real, including the failures. Skipped where NVRTC is absent. */
class NvrtcTest {
    static final String SAXPY = """
            extern "C" __global__ void saxpy(int n, float a, const float* x, float* y) {
                int i = blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) y[i] = a * x[i] + y[i];
            }
            """;

    @TempDir Path kernels;
    private String before;

    @BeforeEach
    void keepSavedSourcesHere() {
        before = System.getProperty("hyenac.cuda.kernelDir");
        System.setProperty("hyenac.cuda.kernelDir", kernels.toString());
    }

    @AfterEach
    void restore() {
        if (before == null) System.clearProperty("hyenac.cuda.kernelDir");
        else System.setProperty("hyenac.cuda.kernelDir", before);
    }

    @Test
    void versionAndArchitectures() {
        Nvrtc nvrtc = Libs.nvrtc();
        int[] v = nvrtc.version();
        assertTrue(v[0] >= 11, Arrays.toString(v));
        int[] archs = nvrtc.supportedArchs();
        assertTrue(Arrays.stream(archs).anyMatch(a -> a == 90), "sm_90 in " + Arrays.toString(archs));
        assertEquals("sm_90", nvrtc.archFor(9, 0));
        assertEquals("sm_80", nvrtc.archFor(8, 0));
        assertEquals("sm_86", nvrtc.archFor(8, 6));
        int newest = Arrays.stream(archs).max().orElseThrow();
        assertEquals("compute_" + newest, nvrtc.archFor(99, 9), "a future GPU gets PTX the driver can compile");
        var e = assertThrows(CudaUnavailableException.class, () -> nvrtc.archFor(1, 0));
        assertTrue(e.getMessage().contains("cannot compile for compute capability 1.0"), e.getMessage());
    }

    @Test
    void defaultOptionsTargetTheArchitecture() {
        // sm_90 compiles as its arch-specific sm_90a, which has wgmma; other archs as themselves
        assertEquals(List.of("--gpu-architecture=sm_90a", "-default-device", "--std=c++17"), Nvrtc.defaultOptions("sm_90"));
        assertEquals(List.of("--gpu-architecture=sm_80", "-default-device", "--std=c++17"), Nvrtc.defaultOptions("sm_80"));
        String old = System.getProperty("hyenac.cuda.include");
        System.setProperty("hyenac.cuda.include", "/opt/cuda/include:/opt/cuda/include/cccl");
        try {
            assertEquals(List.of("--gpu-architecture=compute_90a", "-default-device", "--std=c++17",
                    "-I/opt/cuda/include", "-I/opt/cuda/include/cccl"), Nvrtc.defaultOptions("compute_90"));
        } finally {
            if (old == null) System.clearProperty("hyenac.cuda.include");
            else System.setProperty("hyenac.cuda.include", old);
        }
    }

    @Test
    void aRealArchitectureGivesACubin() {
        Nvrtc.CompiledKernel k = Libs.nvrtc().compile("saxpy", SAXPY, Nvrtc.defaultOptions("sm_90"));
        assertNotNull(k.cubin());
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(k.cubin(), 4));
        assertTrue(k.image() == k.cubin());
        assertTrue(k.compileMillis() > 0);
    }

    @Test
    void aVirtualArchitectureGivesPtxThatPtxasAccepts() throws Exception {
        Nvrtc.CompiledKernel k = Libs.nvrtc().compile("saxpy", SAXPY, Nvrtc.defaultOptions("compute_90"));
        assertNotNull(k.ptx());
        String ptx = new String(k.ptx(), StandardCharsets.US_ASCII);
        assertTrue(ptx.contains(".entry saxpy("), "extern \"C\" keeps the name unmangled");
        assertTrue(ptx.contains(".target sm_90"));
        assertTrue(k.image() == k.ptx() || k.cubin() != null);
        assumeTrue(onPath("ptxas"), "no ptxas to assemble the PTX");
        Path file = kernels.resolve("saxpy.ptx");
        Files.write(file, Arrays.copyOf(k.ptx(), ptx.indexOf('\0') >= 0 ? ptx.indexOf('\0') : k.ptx().length));
        Process p = new ProcessBuilder("ptxas", "-arch=sm_90", file.toString(), "-o", kernels.resolve("saxpy.cubin").toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    @Test
    void theBf16PreludeCompilesWithoutToolkitHeaders() {
        String src = Nvrtc.BF16_PRELUDE + """
                extern "C" __global__ void scale(int n, hy_bf16* x, float s) {
                    int i = blockIdx.x * blockDim.x + threadIdx.x;
                    if (i < n) x[i] = hy_float_to_bf16(hy_bf16_to_float(x[i]) * s);
                }
                """;
        assertNotNull(Libs.nvrtc().compile("scale", src, Nvrtc.defaultOptions("sm_90")).image());
    }

    @Test
    void aSyntaxErrorGivesTheLogTheKernelAndTheSavedSource() throws Exception {
        String src = """
                extern "C" __global__ void broken(float* y) {
                    y[0] = ;
                }
                """;
        Nvrtc nvrtc = Libs.nvrtc();
        var e = assertThrows(KernelCompileException.class,
                () -> nvrtc.compile("broken", src, Nvrtc.defaultOptions("sm_90")));
        assertEquals("broken", e.unit());
        assertTrue(e.log().contains("error"), e.log());
        assertTrue(e.log().contains("broken.cu(2)"), "the log points at the line: " + e.log());
        assertNotNull(e.savedSource());
        assertEquals(kernels, e.savedSource().getParent());
        assertEquals(src, Files.readString(e.savedSource()), "saved verbatim, so line numbers match the log");
        String first = e.getMessage().lines().findFirst().orElseThrow();
        assertEquals("NVRTC could not compile kernel broken (NVRTC_ERROR_COMPILATION); source saved to "
                + e.savedSource() + "; options: --gpu-architecture=sm_90 -default-device --std=c++17", first);
        assertTrue(e.getMessage().contains(e.log().strip()));
    }

    @Test
    void anUnknownOptionIsACompileErrorWithALog() {
        Nvrtc nvrtc = Libs.nvrtc();
        var e = assertThrows(KernelCompileException.class,
                () -> nvrtc.compile("saxpy", SAXPY, List.of("--no-such-option")));
        assertTrue(e.getMessage().contains("NVRTC_ERROR_INVALID_OPTION"), e.getMessage());
        assertTrue(e.getMessage().contains("--no-such-option"), e.getMessage());
    }

    @Test
    void theHashCoversSourceAndOptions() {
        String a = Nvrtc.hash("x", List.of("-a")), b = Nvrtc.hash("x", List.of("-b")), c = Nvrtc.hash("y", List.of("-a"));
        assertEquals(64, a.length());
        assertTrue(!a.equals(b) && !a.equals(c));
        assertTrue(!Nvrtc.hash("xy", List.of()).equals(Nvrtc.hash("x", List.of("y"))));
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
