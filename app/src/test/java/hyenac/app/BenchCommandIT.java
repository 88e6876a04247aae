package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac bench} is in the packaged jar (the bench module registers it through ServiceLoader). */
class BenchCommandIT {
    @Test
    void theJarBenchesAnOperatorOnTheCpu(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isRegularFile(BuildJarIT.HYENAC_JAR), "needs app/target/hyenac.jar (mvn verify builds it before this test)");
        BuildJarIT.Result r = BuildJarIT.java(dir, "-jar", BuildJarIT.HYENAC_JAR.toString(), "bench", "--target", "cpu", "--op", "se,copy",
                "--copy-mib", "1", "--shapes", "1x64", "--width", "32", "--reps", "2", "--warmup", "0", "--quick", "--json", "se.json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nhyena_se  1  64"), r.out());
        assertTrue(Files.readString(dir.resolve("se.json")).contains("\"tool\": \"hyenac bench\""));
    }
}
