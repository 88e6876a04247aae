package hyenac.compiler.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.Compilation;
import hyenac.ir.Printer;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutableTest {
    static final Path ROOT = Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize();
    static final Path TINY = ROOT.resolve("samples/sh2-tiny.hyena");

    static Compilation.Result compile(Path spec) {
        Compilation.Result c = Compilation.compile(spec, null);
        assertTrue(c.ok(), c.checked().diagnostics().all().toString());
        return c;
    }

    @Test
    void openingGivesThePlanTheMetaAndTheWeights(@TempDir Path dir) {
        Compilation.Result c = compile(TINY);
        Path hyx = dir.resolve("t.hyx");
        WeightStore w = WeightStore.random(c.graph(), 9);
        Executable.write(hyx, TINY, c, null, w, "random, seed 9");
        Path extracted;
        try (Executable x = Executable.open(hyx)) {
            assertEquals(new Executable.Meta("sh2_tiny", Executable.hyenacVersion(), "cpu", "sh2-tiny.hyena", "random, seed 9", "fp32", "none"), x.meta());
            assertTrue(x.hasWeights());
            assertEquals(null, x.deviceCode(), "a cpu artifact carries no device code");
            assertEquals(Executable.FORMAT, x.format());
            WeightStore back = x.weights();
            for (String name : c.graph().weights().keySet()) assertArrayEquals(w.get(name), back.get(name), name);
            // The origins name the spec relative to its directory, wherever it lay.
            assertTrue(Printer.print(x.graph()).contains("# sh2-tiny.hyena:12:11 via std:73:7"), Printer.print(x.graph()));
            extracted = x.compilation().checked().modules().getFirst().source().name().transform(Path::of).getParent();
            assertTrue(Files.isDirectory(extracted));
        }
        assertFalse(Files.exists(extracted), "closing removes what was extracted");
    }

    @Test
    void thePlanDoesNotDependOnWhereTheSpecLies(@TempDir Path dir) throws IOException {
        Path copy = Files.createDirectories(dir.resolve("elsewhere/deeper")).resolve("sh2-tiny.hyena");
        Files.copy(TINY, copy);
        Executable.write(dir.resolve("a.hyx"), TINY, compile(TINY), null, null, "none");
        Executable.write(dir.resolve("b.hyx"), copy, compile(copy), null, null, "none");
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.hyx")), Files.readAllBytes(dir.resolve("b.hyx")));
        try (Executable x = Executable.open(dir.resolve("b.hyx"))) {
            assertFalse(x.hasWeights());
            ArtifactException e = assertThrows(ArtifactException.class, x::weights);
            assertEquals(dir.resolve("b.hyx") + ": holds no weights", e.getMessage());
        }
    }

    @Test
    void deviceCodeTravelsUnderKernels(@TempDir Path dir) throws IOException {
        Map<String, byte[]> files = Map.of("index.json", "{}\n".getBytes(StandardCharsets.UTF_8),
                "k.cu", "__global__ void k() {}\n".getBytes(StandardCharsets.UTF_8), "sm_90/k.ptx", new byte[] {1, 2, 3});
        DeviceCode code = new DeviceCode("cuda", "fp32", files, "1 CUDA source, PTX for sm_90");
        Path hyx = dir.resolve("t.hyx");
        Compilation.Result c = compile(TINY);
        Executable.write(hyx, TINY, c, code, null, "none");
        try (Executable x = Executable.open(hyx)) {
            assertEquals("cuda", x.meta().target());
            assertEquals("fp32", x.meta().precision());
            assertEquals("1 CUDA source, PTX for sm_90", x.meta().kernels());
            assertEquals(files.keySet(), x.deviceCode().files().keySet());
            files.forEach((name, bytes) -> assertArrayEquals(bytes, x.deviceCode().files().get(name), name));
            assertEquals(3L, x.entries().get("kernels/sm_90/k.ptx"));
            assertTrue(x.entries().keySet().containsAll(List.of("format", "meta.json", "plan.ir", "checksums", "kernels/k.cu")), x.entries().toString());
        }
        DeviceCode unportable = new DeviceCode("cuda", "fp32", Map.of("../k.cu", new byte[0]), "");
        assertThrows(IllegalArgumentException.class, () -> Executable.write(dir.resolve("u.hyx"), TINY, c, unportable, null, "none"));
    }

    @Test
    void entryNamesMustStayInside() {
        for (String ok : List.of("plan.ir", "spec/a.hyena", "spec/sub/b.hyena", "spec/")) assertTrue(Executable.safeName(ok), ok);
        for (String bad : List.of("", "../x", "spec/../../x", "/etc/x", "spec//x", "./x", "spec\\..\\x", "C:/x", "spec/./x")) {
            assertFalse(Executable.safeName(bad), bad);
        }
    }

    @Test
    void aJarGetsTheClassesTheModelAndANewMainClass(@TempDir Path dir) throws IOException {
        Path app = fakeAppJar(dir.resolve("app/target/hyenac.jar"), true);
        Path hyx = dir.resolve("t.hyx");
        Executable.write(hyx, TINY, compile(TINY), null, null, "none");
        Path out = dir.resolve("out.jar");
        RunnableJar.write(app, hyx, out, "hyenac.cli.EmbeddedMain", "sh2_tiny");
        try (JarFile j = new JarFile(out.toFile())) {
            Attributes main = j.getManifest().getMainAttributes();
            assertEquals("hyenac.launch.Launcher", main.getValue(Attributes.Name.MAIN_CLASS), "the launcher stays first");
            assertEquals("hyenac.cli.EmbeddedMain", main.getValue("Hyenac-Main"));
            assertEquals("sh2_tiny", main.getValue("Hyenac-Model"));
            assertEquals("kept", main.getValue("Other"));
            assertTrue(j.getEntry("hyenac/cli/EmbeddedMain.class") != null && j.getEntry("a/B.class") != null);
            assertTrue(j.getEntry("META-INF/SIGNER.SF") == null, "signatures of the old jar would not match the new one");
            assertArrayEquals(Files.readAllBytes(hyx), j.getInputStream(j.getEntry(RunnableJar.MODEL_RESOURCE)).readAllBytes());
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temporary file left");
        }
    }

    @Test
    void theApplicationJarIsFoundOrClearlyMissed(@TempDir Path dir) throws IOException {
        // In tests hyenac runs from target/classes, so the jar is looked for under the given root.
        Path app = fakeAppJar(dir.resolve("app/target/hyenac.jar"), true);
        assertEquals(app, RunnableJar.hyenacJar(ExecutableTest.class, dir, "hyenac.cli.EmbeddedMain"));

        Path old = fakeAppJar(dir.resolve("old/app/target/hyenac.jar"), false);
        ArtifactException stale = assertThrows(ArtifactException.class,
                () -> RunnableJar.hyenacJar(ExecutableTest.class, dir.resolve("old"), "hyenac.cli.EmbeddedMain"));
        assertEquals(old + " has no hyenac.cli.EmbeddedMain: it was built before `hyenac build` existed; rebuild it with `mvn -pl app -am package`",
                stale.getMessage());

        ArtifactException none = assertThrows(ArtifactException.class,
                () -> RunnableJar.hyenacJar(String.class, dir.resolve("nowhere"), "hyenac.cli.EmbeddedMain"));
        assertTrue(none.getMessage().startsWith("hyenac is not running from its application jar"), none.getMessage());
        assertTrue(none.getMessage().contains("mvn -pl app -am package"), none.getMessage());
    }

    /** A jar shaped like app/target/hyenac.jar: the launcher starting hyenac.cli.Main, a signature file, a few classes. */
    static Path fakeAppJar(Path path, boolean withEmbeddedMain) throws IOException {
        Files.createDirectories(path.getParent());
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "hyenac.launch.Launcher");
        m.getMainAttributes().putValue("Hyenac-Main", "hyenac.cli.Main");
        m.getMainAttributes().putValue("Other", "kept");
        try (OutputStream os = Files.newOutputStream(path); JarOutputStream j = new JarOutputStream(os, m)) {
            List<String> names = withEmbeddedMain ? List.of("a/B.class", "hyenac/cli/EmbeddedMain.class", "META-INF/SIGNER.SF")
                    : List.of("a/B.class", "META-INF/SIGNER.SF");
            for (String name : names) {
                j.putNextEntry(new JarEntry(name));
                j.write(name.getBytes(StandardCharsets.UTF_8));
                j.closeEntry();
            }
        }
        return path;
    }
}
