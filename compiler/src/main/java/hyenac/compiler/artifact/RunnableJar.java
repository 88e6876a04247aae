package hyenac.compiler.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;

/**
 * A self-contained {@code java -jar} file: every class of the hyenac jar plus a .hyx as the resource
 * {@value #MODEL_RESOURCE}, started by a main class that runs the embedded model.
 */
public final class RunnableJar {
    public static final String MODEL_RESOURCE = "hyenac/model.hyx";
    /** The Hyenac-Main of the application jar (app/pom.xml), by which it is told from other jars. */
    private static final String CLI_MAIN = "hyenac.cli.Main";
    private static final String LAUNCHER = "hyenac.launch.Launcher";
    /** The manifest attribute naming the class the launcher starts. */
    private static final String MAIN_ATTRIBUTE = "Hyenac-Main";

    private RunnableJar() {}

    /**
     * The jar holding hyenac with all its dependencies: the one {@code anchor} was loaded from when that is
     * the application jar; otherwise (classes from a build directory, as in tests) {@code app/target/hyenac.jar}
     * under {@code root} or under a directory above the classes. {@code needed} is a class the jar must hold.
     */
    public static Path hyenacJar(Class<?> anchor, Path root, String needed) {
        Path here;
        try {
            here = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            here = null;
        }
        if (here != null && Files.isRegularFile(here) && isAppJar(here)) return checked(here, needed);
        Set<Path> tried = new java.util.LinkedHashSet<>();
        if (root != null) tried.add(root.resolve("app/target/hyenac.jar").toAbsolutePath().normalize());
        for (Path d = here == null ? null : here.toAbsolutePath().getParent(); d != null; d = d.getParent()) {
            tried.add(d.resolve("app/target/hyenac.jar"));
        }
        for (Path candidate : tried) {
            if (Files.isRegularFile(candidate) && isAppJar(candidate)) return checked(candidate, needed);
        }
        throw new ArtifactException("hyenac is not running from its application jar (its classes come from " + here
                + ") and no app/target/hyenac.jar was found" + (root == null ? " above them" : " under " + root + " or above them")
                + "; build it with `mvn -pl app -am package` (the ./hyenac launcher does this on first use)");
    }

    private static boolean isAppJar(Path jar) {
        try (JarFile f = new JarFile(jar.toFile())) {
            Manifest m = f.getManifest();
            return m != null && CLI_MAIN.equals(m.getMainAttributes().getValue(MAIN_ATTRIBUTE));
        } catch (IOException e) {
            return false;
        }
    }

    private static Path checked(Path jar, String needed) {
        try (JarFile f = new JarFile(jar.toFile())) {
            if (f.getEntry(needed.replace('.', '/') + ".class") == null) {
                throw new ArtifactException(jar + " has no " + needed + ": it was built before `hyenac build` existed; rebuild it with `mvn -pl app -am package`");
            }
        } catch (IOException e) {
            throw new ArtifactException(jar + ": cannot read: " + Executable.describe(e), e);
        }
        return jar;
    }

    /**
     * Writes {@code out}: the entries of {@code hyenacJar} (less its signatures and any model it carried),
     * its manifest with {@code mainClass} as the class its launcher starts, and {@code hyx} as {@value #MODEL_RESOURCE}.
     * The jar appears atomically.
     */
    public static void write(Path hyenacJar, Path hyx, Path out, String mainClass, String modelName) {
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean done = false;
        try (JarFile source = new JarFile(hyenacJar.toFile())) {
            Manifest manifest = source.getManifest() == null ? new Manifest() : new Manifest(source.getManifest());
            Attributes main = manifest.getMainAttributes();
            main.putIfAbsent(Attributes.Name.MANIFEST_VERSION, "1.0");
            // The launcher stays Main-Class (it tells an old Java what is needed) and starts the model's main class.
            main.put(Attributes.Name.MAIN_CLASS, LAUNCHER);
            main.putValue(MAIN_ATTRIBUTE, mainClass);
            main.putValue("Hyenac-Model", modelName);
            manifest.getEntries().clear();  // per-entry digests belong to the signatures dropped below
            try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(tmp))) {
                // The manifest written by hand with a fixed time (JarOutputStream's own would carry the clock's), so that
                // building the same model twice gives the same bytes.
                JarEntry manifestEntry = new JarEntry(JarFile.MANIFEST_NAME);
                manifestEntry.setTime(Executable.ENTRY_TIME);
                jar.putNextEntry(manifestEntry);
                manifest.write(jar);
                jar.closeEntry();
                Set<String> seen = new HashSet<>(Set.of(JarFile.MANIFEST_NAME, MODEL_RESOURCE));
                for (JarEntry e : java.util.Collections.list(source.entries())) {
                    if (!seen.add(e.getName()) || isSignature(e.getName())) continue;
                    JarEntry copy = new JarEntry(e.getName());
                    copy.setTime(e.getTime());
                    jar.putNextEntry(copy);
                    try (InputStream in = source.getInputStream(e)) {
                        in.transferTo(jar);
                    }
                    jar.closeEntry();
                }
                // Stored: the .hyx is a zip already, and stored it can be read straight out of the jar.
                JarEntry model = new JarEntry(MODEL_RESOURCE);
                long size = Files.size(hyx);
                model.setMethod(ZipEntry.STORED);
                model.setSize(size);
                model.setCompressedSize(size);
                model.setCrc(crc(hyx));
                model.setTime(Executable.ENTRY_TIME);
                jar.putNextEntry(model);
                Files.copy(hyx, jar);
                jar.closeEntry();
            }
            Executable.move(tmp, out);
            done = true;
        } catch (IOException e) {
            throw new ArtifactException(out + ": cannot write the jar: " + Executable.describe(e), e);
        } finally {
            if (!done) Executable.deleteQuietly(tmp);
        }
    }

    private static boolean isSignature(String name) {
        if (!name.startsWith("META-INF/") || name.indexOf('/', 9) >= 0) return false;
        return name.endsWith(".SF") || name.endsWith(".DSA") || name.endsWith(".RSA") || name.endsWith(".EC");
    }

    private static long crc(Path file) throws IOException {
        CRC32 crc = new CRC32();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
        }
        return crc.getValue();
    }
}
