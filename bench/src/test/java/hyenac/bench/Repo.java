package hyenac.bench;

import java.nio.file.Path;

/** Where the repository is, for its samples and this module's test files (`hyenac bench` end to end is app's BenchCommandTest). */
final class Repo {
    static final Path ROOT = Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize();

    private Repo() {}
}
