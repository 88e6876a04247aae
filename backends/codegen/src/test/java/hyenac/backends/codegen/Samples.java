package hyenac.backends.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.kernels.SourceLines;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** The project's sample specs compiled to graphs through the real front end, and their source lines. */
public final class Samples {
    private Samples() {}

    public static Path root() { return Path.of(System.getProperty("hyenac.root", "../..")).toAbsolutePath().normalize(); }

    public static List<Path> all() {
        try (Stream<Path> files = Files.list(root().resolve("samples"))) {
            return files.filter(p -> p.toString().endsWith(".hyena")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final Map<Path, Graph> GRAPHS = new ConcurrentHashMap<>();

    public static Graph graph(Path spec) {
        return GRAPHS.computeIfAbsent(spec, s -> {
            Compilation.Result r = Compilation.compile(s, null);
            if (!r.ok()) throw new IllegalStateException(s + " does not compile: " + r.checked().diagnostics().all());
            return r.graph();
        });
    }

    public static Graph graph(String name) { return graph(root().resolve("samples").resolve(name)); }

    /**
     * Compares {@code expected} (file name → text) with the golden files in {@code dir}: a golden nothing produces is
     * stale; with {@code -Dhyenac.updateGoldens=true} stale goldens are deleted and the others rewritten. {@code what}
     * names what produces them ("kernel", "plan").
     */
    public static void matchGoldens(Path dir, Map<String, String> expected, String what) throws IOException {
        boolean update = Boolean.getBoolean("hyenac.updateGoldens");
        Files.createDirectories(dir);
        List<String> stale = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (!expected.containsKey(f.getFileName().toString())) {
                    if (update) Files.delete(f);
                    else stale.add(f.getFileName().toString());
                }
            }
        }
        assertTrue(stale.isEmpty(), "goldens no " + what + " produces (run with -Dhyenac.updateGoldens=true): " + stale);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path golden = dir.resolve(e.getKey());
            if (update || !Files.exists(golden)) Files.writeString(golden, e.getValue());
            assertEquals(Files.readString(golden), e.getValue(), e.getKey() + ": run with -Dhyenac.updateGoldens=true after an intended change");
        }
    }

    /** Every group the fusion pass forms over the whole graph, for a parallel pass, a prefill and a decode step. */
    public static List<Group> everyGroup(Graph g) {
        return Stream.of(FuseKernels.Mode.values()).flatMap(mode -> FuseKernels.standard().run(g, g.nodes(), List.of(), mode).stream()).toList();
    }

    /** DSL lines from the files the origins name; "std" is the prelude on the class path. */
    public static final SourceLines LINES = new SourceLines() {
        private final Map<String, List<String>> files = new ConcurrentHashMap<>();

        @Override public Optional<String> line(hyenac.ir.Origin o) {
            List<String> text = files.computeIfAbsent(o.file(), Samples::read);
            return o.line() >= 1 && o.line() <= text.size() ? Optional.of(text.get(o.line() - 1)) : Optional.empty();
        }
    };

    private static List<String> read(String file) {
        try {
            if (file.equals("std")) {
                try (InputStream in = Samples.class.getResourceAsStream("/hyenac/dsl/std.hyena")) {
                    return in == null ? List.of() : new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                }
            }
            Path p = Path.of(file);
            return Files.exists(p) ? Files.readAllLines(p) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }
}
