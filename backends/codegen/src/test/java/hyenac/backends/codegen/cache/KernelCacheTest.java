package hyenac.backends.codegen.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaKernels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelCacheTest {
    /** A compiler that records what it is asked and returns the source's bytes reversed (or fails on "bad"). */
    static final class FakeCompiler implements KernelCompiler {
        final List<String> compiled = new ArrayList<>();
        final String arch;
        final List<String> options;

        FakeCompiler(String arch, List<String> options) {
            this.arch = arch;
            this.options = options;
        }

        @Override public String arch() { return arch; }
        @Override public String identity() { return "fake 1.0"; }
        @Override public List<String> options() { return options; }

        @Override public byte[] compile(String unit, String source) throws KernelCompileException {
            compiled.add(unit);
            if (source.contains("bad")) throw new KernelCompileException(unit, "error: bad kernel", null);
            return new StringBuilder(source).reverse().toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    static List<KernelSource> kernels() { return new CudaKernels().all(Samples.graph("sh2-tiny.hyena"), Precision.BF16, Samples.everyGroup(Samples.graph("sh2-tiny.hyena"))); }

    @Test
    void keysDependOnSourceOptionsAndArchOnly() {
        String k = KernelCache.key("code", List.of("-O3"), "sm_90");
        assertEquals(64, k.length());
        assertEquals(k, KernelCache.key("code", List.of("-O3"), "sm_90"));
        assertNotEquals(k, KernelCache.key("code ", List.of("-O3"), "sm_90"));
        assertNotEquals(k, KernelCache.key("code", List.of("-O2"), "sm_90"));
        assertNotEquals(k, KernelCache.key("code", List.of("-O3"), "sm_100"));
        // fields are length-prefixed: moving text between them changes the key
        assertNotEquals(KernelCache.key("ab", List.of("c"), "x"), KernelCache.key("a", List.of("bc"), "x"));
        assertNotEquals(KernelCache.key("a", List.of(), "x"), KernelCache.key("a", List.of(""), "x"));
    }

    @Test
    void compilesOnceAndServesFromDisk(@TempDir Path dir) throws Exception {
        KernelCache cache = new KernelCache(dir);
        FakeCompiler compiler = new FakeCompiler("sm_90", List.of("-Werror"));
        KernelSource k = kernels().getFirst();
        byte[] first = cache.getOrCompile(k, compiler);
        byte[] second = cache.getOrCompile(k, compiler);
        assertArrayEquals(first, second);
        assertEquals(List.of(k.entry()), compiler.compiled);
        // a fresh cache object on the same directory (another process) finds it too
        assertArrayEquals(first, new KernelCache(dir).getOrCompile(k, new FakeCompiler("sm_90", List.of("-Werror"))));
        String key = KernelCache.key(k, compiler);
        assertTrue(Files.exists(cache.binaryPath(key)));
        assertEquals(k.text(), Files.readString(cache.binaryPath(key).resolveSibling(key + ".cu")), "the source is kept beside the binary");
        try (Stream<Path> files = Files.walk(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary files left");
        }
        // other options or another architecture compile again
        FakeCompiler other = new FakeCompiler("sm_100", List.of("-Werror"));
        cache.getOrCompile(k, other);
        assertEquals(1, other.compiled.size());
    }

    @Test
    void theSameKernelAtManySitesCompilesOnce(@TempDir Path dir) throws Exception {
        KernelCache cache = new KernelCache(dir);
        FakeCompiler compiler = new FakeCompiler("sm_90", List.of());
        var g = Samples.graph("sh2-tiny.hyena");
        CudaKernels cuda = new CudaKernels();
        for (var n : g.nodes()) {
            if (n.op().equals("rmsnorm")) cache.getOrCompile(cuda.forNode(g, n, Precision.BF16).getFirst(), compiler);
        }
        assertEquals(1, compiler.compiled.size(), "the header differs per node, the code does not");
    }

    @Test
    void aFailedCompileKeepsTheSourceAndCachesNothing(@TempDir Path dir) {
        KernelCache cache = new KernelCache(dir);
        KernelSource good = kernels().getFirst();
        KernelSource bad = new KernelSource(good.name(), good.entry(), good.dialect(), good.text() + "bad", good.code() + "bad", good.launch(),
                good.params(), good.sharedBytes(), good.sites());
        KernelCompileException e = assertThrows(KernelCompileException.class, () -> cache.getOrCompile(bad, new FakeCompiler("sm_90", List.of())));
        assertTrue(e.getMessage().contains("error: bad kernel"), e.getMessage());
        assertTrue(e.savedSource() != null && Files.exists(e.savedSource()), "source saved: " + e.savedSource());
        assertTrue(e.getMessage().contains(e.savedSource().toString()));
        assertTrue(cache.lookup(KernelCache.key(bad, new FakeCompiler("sm_90", List.of()))).isEmpty());
    }

    @Test
    void defaultDirectory() {
        assertEquals(Path.of("/c/kernels"), KernelCache.defaultDirectory(Map.of("HYENAC_CACHE", "/c", "XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/x/hyenac/kernels"), KernelCache.defaultDirectory(Map.of("XDG_CACHE_HOME", "/x"), "/home/u"));
        assertEquals(Path.of("/home/u/.cache/hyenac/kernels"), KernelCache.defaultDirectory(Map.of(), "/home/u"));
    }
}
