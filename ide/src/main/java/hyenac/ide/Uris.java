package hyenac.ide;

import hyenac.dsl.check.ModuleLoader;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Document URIs and file paths, and a file for the prelude so that "go to definition" can open it. */
final class Uris {
    private Uris() {}

    private static volatile Path preludeFile;

    /** The file a {@code file:} URI names; null for other schemes (unsaved buffers). */
    static Path path(String uri) {
        try {
            URI u = URI.create(uri);
            if (!"file".equalsIgnoreCase(u.getScheme())) return null;
            return Path.of(u).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String uri(Path path) { return path.toAbsolutePath().normalize().toUri().toString(); }

    /**
     * The URI for a source the front end named {@code name}: the prelude's copy on disk for "std",
     * otherwise the path it was read from.
     */
    static String uriOfSourceName(String name) {
        if (ModuleLoader.PRELUDE.equals(name)) {
            Path p = prelude();
            return p == null ? null : uri(p);
        }
        try {
            return uri(Path.of(name));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The prelude written once per version to the temp folder, read-only: editors need a file to show
     * a definition in, and the prelude lives inside the jar.
     */
    static Path prelude() {
        Path p = preludeFile;
        if (p != null) return p;
        synchronized (Uris.class) {
            if (preludeFile != null) return preludeFile;
            try (InputStream in = ModuleLoader.class.getResourceAsStream("/hyenac/dsl/std.hyena")) {
                if (in == null) return null;
                byte[] bytes = in.readAllBytes();
                Path dir = Path.of(System.getProperty("java.io.tmpdir"), "hyenac-lsp-" + Integer.toHexString(java.util.Arrays.hashCode(bytes)));
                Files.createDirectories(dir);
                Path file = dir.resolve("std.hyena");
                if (!Files.exists(file) || !java.util.Arrays.equals(Files.readAllBytes(file), bytes)) {
                    Path tmp = Files.createTempFile(dir, "std", ".tmp");
                    Files.write(tmp, bytes);
                    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    file.toFile().setReadOnly();
                }
                preludeFile = file;
                return file;
            } catch (IOException | RuntimeException e) {
                Log.warn("cannot write the prelude for go-to-definition: " + e);
                return null;
            }
        }
    }
}
