package hyenac.app;

import static hyenac.app.BuildJarIT.HYENAC_JAR;
import static hyenac.app.BuildJarIT.TINY;
import static hyenac.app.BuildJarIT.java;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The packaged hyenac in processes of its own: what holds only across JVMs and signals. */
class RunProcessIT {
    /** Map iteration orders change from one JVM to the next: artifacts and jars must not. */
    @Test
    void compilingOrBuildingTheSameModelInSeparateProcessesGivesTheSameBytes(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        byte[] first = null;
        for (String name : List.of("a.hyx", "b.hyx", "c.hyx")) {
            Path hyx = dir.resolve(name);
            BuildJarIT.Result r = java(dir, "-jar", HYENAC_JAR.toString(), "compile", TINY.toString(), "-o", hyx.toString(),
                    "--random-weights", "--seed", "3", "--target", "cpu");
            assertEquals(0, r.code(), r.err());
            if (first == null) first = Files.readAllBytes(hyx);
            else assertArrayEquals(first, Files.readAllBytes(hyx), name);
        }
        byte[] jar = null;
        for (String name : List.of("a.jar", "b.jar")) {
            Path out = dir.resolve(name);
            assertEquals(0, java(dir, "-jar", HYENAC_JAR.toString(), "build", dir.resolve("a.hyx").toString(), "--jar", out.toString()).code());
            if (jar == null) jar = Files.readAllBytes(out);
            else assertArrayEquals(jar, Files.readAllBytes(out), name);
        }
    }

    /** Ctrl-C: the text so far is on stdout, and the statistics say the run was interrupted. */
    @Test
    void anInterruptEndsGenerationWithWhatWasProduced(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        Path out = dir.resolve("out"), err = dir.resolve("err");
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xss16m", "-jar", HYENAC_JAR.toString(),
                "run", TINY.toString(), "--prompt", "ACGT", "--generate", "1000000", "--ignore-eos")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (Files.size(out) < 200 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(p.isAlive() && Files.size(out) >= 200, "tokens stream out while generating: " + Files.readString(err));
            assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops after an interrupt");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(130, p.exitValue(), "the shell's code for an interrupt");
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("ACGT") && text.endsWith("\n") && text.length() > 200, text);
        String log = Files.readString(err, StandardCharsets.UTF_8);
        assertTrue(log.contains("[sh2_tiny on cpu: prompt 4 tokens") && log.contains("; interrupted]"), log);
    }

    /** Memory that runs out while running (activations, not weights, which are checked first) is one line saying what to do. */
    @Test
    void runningOutOfMemoryIsOneLineThatSaysHowToGiveMore(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        String prompt = "ACGT".repeat(30_000);  // one argument may hold 128 KiB
        BuildJarIT.Result r = java(dir, "-Xmx96m", "-jar", HYENAC_JAR.toString(), "run", TINY.toString(), "--prompt", prompt, "--generate", "1",
                "--target", "cpu");
        assertEquals(1, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("hyenac: out of memory: Java may use ") && last.contains("HYENAC_JAVA_OPTS=-Xmx"), r.err());
        assertTrue(!r.err().contains("    at ") && !r.err().contains("deeply nested"), r.err());
    }
}
