package hyenac.importer;

import java.nio.file.Files;
import java.nio.file.Path;

/** The vortex reference set the repository carries (conformance/data/vortex), from the root surefire names. */
final class TestFiles {
    private TestFiles() {}

    static Path vortexDir() {
        return root().resolve("conformance/data/vortex");
    }

    static Path root() {
        String root = System.getProperty("hyenac.root");
        if (root != null) return Path.of(root).toAbsolutePath().normalize();
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("samples"))) return d;
        }
        throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath() + " (set -Dhyenac.root)");
    }
}
