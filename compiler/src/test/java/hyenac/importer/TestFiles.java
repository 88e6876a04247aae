package hyenac.importer;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared conformance data lives: beside the repository root (set by surefire), else found upwards. */
final class TestFiles {
    private TestFiles() {}

    static Path vortexDir() {
        String root = System.getProperty("hyenac.root");
        if (root != null) {
            Path p = Path.of(root).resolve("../shared/conformance/vortex").normalize();
            if (Files.isDirectory(p)) return p;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared/conformance/vortex");
            if (Files.isDirectory(p)) return p;
        }
        throw new IllegalStateException("cannot find shared/conformance/vortex (set -Dhyenac.root to the repository root)");
    }
}
