package hyenac.dsl;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository root and its samples. */
public final class TestFiles {
    private TestFiles() {}

    public static Path root() {
        String prop = System.getProperty("hyenac.root");
        if (prop != null && Files.isDirectory(Path.of(prop, "samples"))) return Path.of(prop).toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("samples")) && Files.isRegularFile(p.resolve("pom.xml"))) return p;
        }
        throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
    }

    public static Path samples() { return root().resolve("samples"); }
}
