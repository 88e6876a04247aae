package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heap the launcher gives Java, and a model too big for the heap refused before its weights are made. */
class MemoryIT {
    @Test
    void theLauncherTakesMostOfTheFreeMemoryAndTheUsersXmxWins(@TempDir Path dir) throws Exception {
        Path meminfo = Files.writeString(dir.resolve("meminfo"), "MemTotal:       24683784 kB\nMemAvailable:   20971520 kB\n");
        Path oldKernel = Files.writeString(dir.resolve("meminfo-old"), "MemTotal:        2097152 kB\nMemFree:          100000 kB\n");
        Path cgroup = Files.writeString(dir.resolve("memory.max"), "8589934592\n");
        Path unlimited = Files.writeString(dir.resolve("memory.max-unlimited"), "max\n");
        Path none = dir.resolve("absent");
        assertEquals(List.of("-Xmx17408m"), heapOptions("", meminfo, unlimited));  // 85% of 20 GiB available
        assertEquals(List.of("-Xmx6963m"), heapOptions("", meminfo, cgroup));      // the cgroup's 8 GiB bounds it
        assertEquals(List.of("-Xmx1740m"), heapOptions("", oldKernel, none));      // MemTotal without MemAvailable
        assertEquals(List.of(), heapOptions("", none, none));                      // no meminfo: the JVM's default
        assertEquals(List.of("-Xmx3g", "-Dx=1"), heapOptions("-Xmx3g -Dx=1", meminfo, none));
        assertEquals(List.of("-XX:MaxRAMPercentage=50"), heapOptions("-XX:MaxRAMPercentage=50", meminfo, none));
        assertEquals(List.of("-Xmx17408m", "-verbose:gc"), heapOptions("-verbose:gc", meminfo, none));
    }

    @Test
    void aModelTooBigForTheHeapIsRefusedAtOnceWithHowToRaiseIt(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(BuildJarIT.HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        BuildJarIT.Result r = BuildJarIT.java(dir, "-Xmx256m", "-jar", BuildJarIT.HYENAC_JAR.toString(), "run",
                BuildJarIT.ROOT.resolve("samples/evo2-7b.hyena").toString(), "--target", "cpu", "--prompt", "ACGT");
        assertEquals(1, r.code(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("hyenac run: no --weights given")).toList();
        assertEquals(1, lines.size(), r.err());
        String line = lines.getFirst();
        // what the JVM makes of -Xmx256m differs a little between collectors and versions
        assertTrue(line.matches("hyenac run: random weights \\(bf16, filters fp32\\) take 12\\.1 GiB, and activations and the rest of the"
                + " program about 1\\.6 GiB more: 13\\.6 GiB in all, but this JVM may use only 0\\.[23] GiB \\(its maximum heap, -Xmx\\);"
                + " run it as HYENAC_JAVA_OPTS=-Xmx14g \\./hyenac … on a machine with that much free memory"), line);
        assertFalse(r.err().contains("Exception"), r.err());
    }

    /** What scripts/java-env.sh's heap_options prints, one option a line, for the given environment and files. */
    static List<String> heapOptions(String userOptions, Path meminfo, Path cgroup) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "source scripts/java-env.sh && heap_options \"$0\" \"$1\"",
                meminfo.toString(), cgroup.toString()).directory(BuildJarIT.ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("HYENAC_JAVA_OPTS", userOptions);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out.lines().toList();
    }
}
