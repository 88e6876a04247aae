package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./hyenac launcher as a newcomer meets it on first use. */
class LauncherIT {
    /** A failing first build shows Maven's log, free of colour codes, and says how to see it again. */
    @Test
    void aFailedBuildIsShownPlainAndTheLauncherStops(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("clone"));
        Files.copy(BuildJarIT.ROOT.resolve("hyenac"), root.resolve("hyenac"));
        Files.createDirectories(root.resolve("scripts"));
        Files.copy(BuildJarIT.ROOT.resolve("scripts/java-env.sh"), root.resolve("scripts/java-env.sh"));
        Files.writeString(root.resolve("pom.xml"), "<project>not a pom</project>\n");  // no app jar, so it builds, and fails
        Process p = new ProcessBuilder("bash", root.resolve("hyenac").toString(), "--version").directory(dir.toFile())
                .redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), said);
        assertTrue(said.startsWith("hyenac: building (first use or sources changed"), said);
        assertTrue(said.contains("[ERROR]"), "Maven's own words are shown: " + said);
        assertTrue(said.strip().endsWith("to see it again"), said);
        assertFalse(said.contains("\u001b["), "no colour codes: " + said);
    }
}
