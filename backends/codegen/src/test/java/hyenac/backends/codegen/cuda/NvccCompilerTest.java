package hyenac.backends.codegen.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.cache.KernelCompileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NvccCompilerTest {
    static NvccCompiler nvcc;

    @BeforeAll
    static void find() {
        var path = NvccCompiler.locate();
        Assumptions.assumeTrue(path.isPresent(), "nvcc is not installed here (CI has it)");
        nvcc = NvccCompiler.strict(path.get(), "sm_90");
    }

    @Test
    void compilesToACubin() throws Exception {
        byte[] cubin = nvcc.compile("ok", "extern \"C\" __global__ void ok(float* y) { y[threadIdx.x] = 1.0f; }\n");
        assertEquals(0x7f, cubin[0]);
        assertEquals('E', cubin[1]);
        assertEquals('L', cubin[2]);
        assertEquals('F', cubin[3]);
        assertTrue(nvcc.identity().matches("nvcc \\d+\\.\\d+.*"), nvcc.identity());
    }

    @Test
    void compilesToPtxForTheArchitecture() throws Exception {
        NvccCompiler ptx = NvccCompiler.ptx(NvccCompiler.locate().orElseThrow(), "sm_90");
        String text = new String(ptx.compile("ok", "extern \"C\" __global__ void ok(float* y) { y[threadIdx.x] = 1.0f; }\n"),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains(".target sm_90") && text.contains(".entry ok("), text);
        assertTrue(ptx.identity().endsWith(" -ptx") && !nvcc.identity().equals(ptx.identity()), "a cache must tell PTX from cubins");
        assertTrue(ptx.version().matches("\\d+\\.\\d+.*"), ptx.version());
    }

    @Test
    void aWarningFailsTheCheck() throws Exception {
        KernelCompileException e = assertThrows(KernelCompileException.class,
                () -> nvcc.compile("unused", "extern \"C\" __global__ void unused(float* y) { int never; y[0] = 1.0f; }\n"));
        assertTrue(e.log().contains("never"), e.log());
        assertTrue(Files.exists(e.savedSource()), "the failing source is kept at " + e.savedSource());
        deleteKept(e);
    }

    /** Removes the directory nvcc's failing source was kept in (a real failure leaves it for people). */
    static void deleteKept(KernelCompileException e) throws java.io.IOException {
        Path dir = e.savedSource().getParent();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Test
    void anErrorFailsWithTheLog() throws Exception {
        KernelCompileException e = assertThrows(KernelCompileException.class, () -> nvcc.compile("broken", "extern \"C\" __global__ void broken( {\n"));
        assertTrue(e.getMessage().contains("broken"), e.getMessage());
        deleteKept(e);
    }

    @Test
    void locatesFromTheEnvironment(@TempDir Path dir) throws Exception {
        Path fake = dir.resolve("nvcc");
        Files.writeString(fake, "#!/bin/sh\n");
        assertTrue(fake.toFile().setExecutable(true));
        assertEquals(fake, NvccCompiler.locate(Map.of("HYENAC_NVCC", fake.toString())).orElseThrow());
        assertEquals(fake, NvccCompiler.locate(Map.of("PATH", "/nonexistent:" + dir)).orElseThrow());
    }
}
