package hyenac.backends.codegen.cache;

import hyenac.backends.codegen.KernelSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiled kernels on disk, keyed by the SHA-256 of (source, options, architecture): {@code dir/ab/abcd….bin}
 * with the source beside it as {@code .cu}. Writes go to a temporary file in the same directory and are
 * moved into place atomically, so a reader sees a whole binary or none, and concurrent writers of one key
 * (which write the same bytes) do not corrupt each other.
 *
 * <p>Kernels are keyed on their code, not on the header comment that names the nodes they serve: the
 * same kernel used by forty layers compiles once.
 */
public final class KernelCache {
    private final Path dir;

    public KernelCache(Path dir) { this.dir = dir; }

    /** {@code $HYENAC_CACHE/kernels}, else {@code $XDG_CACHE_HOME/hyenac/kernels}, else {@code ~/.cache/hyenac/kernels}. */
    public static KernelCache atDefaultLocation() {
        return new KernelCache(defaultDirectory(System.getenv(), System.getProperty("user.home")));
    }

    static Path defaultDirectory(Map<String, String> env, String home) {
        String own = env.get("HYENAC_CACHE");
        if (own != null && !own.isBlank()) return Path.of(own, "kernels");
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "hyenac", "kernels");
        return Path.of(home, ".cache", "hyenac", "kernels");
    }

    public Path dir() { return dir; }

    /** The key: SHA-256 over the length-prefixed source, each option and the architecture (no two inputs share an encoding). */
    public static String key(String source, List<String> options, String arch) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<String> parts = new ArrayList<>();
            parts.add("hyenac-kernel-cache-v1");
            parts.add(source);
            parts.add(Integer.toString(options.size()));
            parts.addAll(options);
            parts.add(arch);
            for (String part : parts) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                sha.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /** The key of a kernel as this compiler would build it (its identity counts as an option). */
    public static String key(KernelSource kernel, KernelCompiler compiler) {
        List<String> options = new ArrayList<>(compiler.options());
        options.add("compiler=" + compiler.identity());
        return key(kernel.code(), options, compiler.arch());
    }

    public Path binaryPath(String key) { return dir.resolve(key.substring(0, 2)).resolve(key + ".bin"); }

    public Optional<byte[]> lookup(String key) {
        try {
            return Optional.of(Files.readAllBytes(binaryPath(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the kernel cache at " + binaryPath(key), e);
        }
    }

    /** Stores a binary (and its source, for people) under a key, atomically. */
    public void store(String key, byte[] binary, String source) {
        Path bin = binaryPath(key);
        try {
            Files.createDirectories(bin.getParent());
            writeAtomically(bin.resolveSibling(key + ".cu"), source.getBytes(StandardCharsets.UTF_8));
            writeAtomically(bin, binary);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the kernel cache at " + bin, e);
        }
    }

    /** The cached binary of a kernel, compiling and storing it first when absent. */
    public byte[] getOrCompile(KernelSource kernel, KernelCompiler compiler) throws KernelCompileException {
        String key = key(kernel, compiler);
        Optional<byte[]> hit = lookup(key);
        if (hit.isPresent()) return hit.get();
        byte[] binary;
        try {
            binary = compiler.compile(kernel.entry(), kernel.code());
        } catch (KernelCompileException e) {
            throw new KernelCompileException(kernel.entry(), e.log(), saveFailed(kernel, key));
        }
        store(key, binary, kernel.text());
        return binary;
    }

    /** Keeps the source of a kernel that failed to compile (with its header) where a person can find it. */
    private Path saveFailed(KernelSource kernel, String key) {
        Path p = dir.resolve("failed").resolve(kernel.entry() + "-" + key.substring(0, 12) + ".cu");
        try {
            Files.createDirectories(p.getParent());
            writeAtomically(p, kernel.text().getBytes(StandardCharsets.UTF_8));
            return p;
        } catch (IOException e) {
            return null; // the compile error matters more than failing to keep its source
        }
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
