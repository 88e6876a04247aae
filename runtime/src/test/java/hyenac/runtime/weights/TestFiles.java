package hyenac.runtime.weights;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared conformance data lives: beside the repository root (set by surefire), else found upwards. */
final class TestFiles {
    private TestFiles() {}

    static Path vortexDir() {
        return sharedDir().resolve("conformance/vortex");
    }

    static Path sharedDir() {
        String root = System.getProperty("hyenac.root");
        if (root != null) {
            Path p = Path.of(root).resolve("../shared").normalize();
            if (Files.isDirectory(p)) return p;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("pom.xml")) && Files.isDirectory(d.resolve("samples"))) {
                Path p = d.resolve("../shared").normalize();
                if (Files.isDirectory(p)) return p;
            }
        }
        throw new IllegalStateException("cannot find ../shared beside the repository root (set -Dhyenac.root)");
    }
}
