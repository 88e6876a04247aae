package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyenac build --jar} end to end, as a user meets it: the packaged hyenac.jar builds a jar, and that
 * jar, started with {@code java -jar} from another directory, generates the tokens {@code hyenac run} does.
 * Runs in the integration-test phase, after this module's package phase has written hyenac.jar.
 */
class BuildJarIT {
    static final Path ROOT = Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize();
    static final Path HYENAC_JAR = ROOT.resolve("app/target/hyenac.jar");
    static final Path TINY = ROOT.resolve("samples/sh2-tiny.hyena");

    record Result(int code, String out, String err) {}

    static Result java(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xss16m");
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("it", ".out");
        Path err = Files.createTempFile("it", ".err");
        try {
            Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Text and token ids (stdout; the timing line goes to stderr). */
    static String generated(Result r) {
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\ntokens: "), r.out());
        assertTrue(r.err().contains("[sh2_tiny on cpu:"), r.err());
        return r.out();
    }

    @Test
    void aBuiltJarGeneratesWhatRunGenerates(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        Path jar = dir.resolve("tiny.jar");
        Result build = java(dir, "-jar", HYENAC_JAR.toString(), "build", TINY.toString(), "--jar", jar.toString());
        assertEquals(0, build.code(), build.err());
        assertTrue(build.out().startsWith("wrote " + jar), build.out());

        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Result fromJar = java(elsewhere, "-jar", jar.toString(), "--prompt", "ACGT", "--generate", "8", "--print-tokens");
        Result fromRun = java(dir, "-jar", HYENAC_JAR.toString(), "run", TINY.toString(), "--prompt", "ACGT", "--generate", "8", "--print-tokens");
        assertEquals(generated(fromRun), generated(fromJar));
        assertTrue(fromJar.err().contains("using random weights (seed 0)"), "no weights built in: " + fromJar.err());
        try (var files = Files.list(elsewhere)) {
            assertEquals(0, files.count(), "the jar extracts to the temporary directory, not the working one");
        }
    }

    @Test
    void aJarBuiltForCudaRunsWhereverItIsAndSaysOnWhat(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        Path jar = dir.resolve("tiny-cuda.jar");
        // No nvcc (a path that does not exist) keeps this quick: the cuda module's tests cover the PTX.
        Result build = java(dir, "-Dhyenac.nvcc=" + dir.resolve("no-nvcc"), "-jar", HYENAC_JAR.toString(), "build", TINY.toString(),
                "--jar", jar.toString(), "--target", "cuda");
        assertEquals(0, build.code(), build.err());
        assertTrue(build.out().contains("model sh2_tiny for cuda") && build.out().contains("CUDA sources, no PTX"), build.out());
        Path hyx = dir.resolve("inner.hyx");
        try (java.util.zip.ZipFile j = new java.util.zip.ZipFile(jar.toFile())) {
            Files.copy(j.getInputStream(j.getEntry("hyenac/model.hyx")), hyx);
        }
        try (java.util.zip.ZipFile h = new java.util.zip.ZipFile(hyx.toFile())) {
            assertTrue(h.getEntry("kernels/index.json") != null, "the model in the jar carries its kernels");
        }

        Result fromJar = java(dir, "-jar", jar.toString(), "--prompt", "ACGT", "--generate", "8", "--print-tokens");
        assertEquals(0, fromJar.code(), fromJar.err());
        assertFalse(fromJar.err().contains("restricted method"), "probing for a GPU must not make the JDK warn: " + fromJar.err());
        String target = fromJar.err().lines().filter(l -> l.startsWith("target: ")).findFirst().orElseThrow(() -> new AssertionError(fromJar.err()));
        String on = target.startsWith("target: cuda (") ? "cuda" : "cpu";
        if (on.equals("cpu")) assertTrue(target.endsWith("; the artifact's cuda kernels go unused)"), target);
        Result fromRun = java(dir, "-jar", HYENAC_JAR.toString(), "run", TINY.toString(), "--prompt", "ACGT", "--generate", "8", "--print-tokens",
                "--target", "cpu");
        assertTrue(fromJar.err().contains("[sh2_tiny on " + on + ":"), fromJar.err());
        assertEquals(generated(fromRun), fromJar.out());
    }

    @Test
    void builtInWeightsAreUsedAndOptionsAreRuns(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        Path jar = dir.resolve("tiny.jar");
        assertEquals(0, java(dir, "-jar", HYENAC_JAR.toString(), "build", TINY.toString(), "--jar", jar.toString(),
                "--random-weights", "--seed", "5").code());
        Result fromJar = java(dir, "-jar", jar.toString(), "--prompt", "ACGT", "--generate", "8", "--print-tokens",
                "--temperature", "0.7", "--top-k", "40", "--seed", "2");
        assertFalse(fromJar.err().contains("random weights"), fromJar.err());
        // hyenac run with the same weights: --seed picks the random weights there, so run from a .hyx carrying seed 5's.
        Path hyx = dir.resolve("tiny.hyx");
        assertEquals(0, java(dir, "-jar", HYENAC_JAR.toString(), "compile", TINY.toString(), "-o", hyx.toString(),
                "--random-weights", "--seed", "5").code());
        Result fromRun = java(dir, "-jar", HYENAC_JAR.toString(), "run", hyx.toString(), "--prompt", "ACGT", "--generate", "8",
                "--print-tokens", "--temperature", "0.7", "--top-k", "40", "--seed", "2");
        assertEquals(generated(fromRun), generated(fromJar));
        // A .hyx is packed as it is.
        Path fromHyx = dir.resolve("from-hyx.jar");
        assertEquals(0, java(dir, "-jar", HYENAC_JAR.toString(), "build", hyx.toString(), "--jar", fromHyx.toString()).code());
        assertEquals(generated(fromRun), generated(java(dir, "-jar", fromHyx.toString(), "--prompt", "ACGT", "--generate", "8",
                "--print-tokens", "--temperature", "0.7", "--top-k", "40", "--seed", "2")));

        Result usage = java(dir, "-jar", jar.toString(), "--generate", "3");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("java -jar tiny.jar: give --prompt TEXT, or --prompts FILE with one prompt a line\n"), usage.err());
        Result missing = java(dir, "-jar", jar.toString(), "--prompt", "A", "--weights", "absent.safetensors");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("java -jar tiny.jar: absent.safetensors: cannot read: no such file"), missing.err());
    }

    /** An old {@code java -jar} is told which Java hyenac needs, not shown UnsupportedClassVersionError. */
    @Test
    void anOldJavaIsToldWhichJavaItNeeds(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        Path old = olderJava().orElse(null);
        assumeTrue(old != null, "no Java older than 25 on this machine");
        Path jar = dir.resolve("tiny.jar");
        assertEquals(0, java(dir, "-jar", HYENAC_JAR.toString(), "build", TINY.toString(), "--jar", jar.toString()).code());
        for (Path j : List.of(jar, HYENAC_JAR)) {
            Process p = new ProcessBuilder(old.toString(), "-jar", j.toString(), "--prompt", "A").redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), said);
            assertTrue(said.startsWith(j.getFileName() + " needs Java 25 or newer, but runs on Java "), said);
            assertTrue(said.contains("Run it with the java of a JDK 25"), said);
            assertFalse(said.contains("UnsupportedClassVersionError") || said.contains("Exception"), said);
        }
    }

    /** A java binary older than 25 (the machine's default java is 17), if there is one. */
    static Optional<Path> olderJava() throws IOException, InterruptedException {
        List<Path> candidates = new ArrayList<>();
        try (var jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            jvms.map(d -> d.resolve("bin/java")).filter(Files::isExecutable).sorted().forEach(candidates::add);
        } catch (IOException e) {
            // no /usr/lib/jvm
        }
        for (Path c : candidates) {
            Process p = new ProcessBuilder(c.toString(), "-version").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            Matcher m = Pattern.compile("version \"(?:1\\.)?(\\d+)").matcher(v);
            if (m.find() && Integer.parseInt(m.group(1)) < 25) return Optional.of(c);
        }
        return Optional.empty();
    }
}
