package hyenac.compiler.artifact;

import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Module;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Origin;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The user's files behind a compilation (the root spec and everything it imports, not the prelude), each
 * named relative to one base directory: the root's own directory, or the nearest one above it that holds
 * every imported file. The same names go into the plan's origins, so the plan text does not depend on
 * where the spec happened to lie when it was compiled.
 */
record SpecFiles(Path base, String root, Map<String, Path> files, Map<String, String> originNames) {

    static SpecFiles of(Path rootSpec, Checker.Result checked) {
        Path root = rootSpec.toAbsolutePath().normalize();
        // SourceFile names are what origins carry: the root as given, imports as absolute paths.
        Map<String, Path> byName = new LinkedHashMap<>();
        Deque<Module> todo = new ArrayDeque<>(checked.modules());
        Set<Module> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Module m = todo.poll();
            if (!seen.add(m) || m.isLibrary()) continue;
            byName.put(m.source().name(), Path.of(m.source().name()).toAbsolutePath().normalize());
            todo.addAll(m.imports());
        }
        Path base = root.getParent();
        for (Path p : byName.values()) {
            while (!p.startsWith(base)) base = base.getParent();
        }
        Map<String, Path> files = new LinkedHashMap<>();
        Map<String, String> originNames = new LinkedHashMap<>();
        for (var e : byName.entrySet()) {
            String rel = relative(base, e.getValue());
            files.put(rel, e.getValue());
            originNames.put(e.getKey(), rel);
        }
        return new SpecFiles(base, relative(base, root), files, originNames);
    }

    /** {@code g} with its origins' file names replaced by the names in the artifact. */
    Graph relabel(Graph g) {
        Graph.Builder b = g.toBuilder();
        b.nodes().replaceAll(n -> new Node(n.id(), n.op(), n.attrs(), n.operands(), n.results(), n.weights(), n.path(),
                n.origins().stream().map(this::relabel).toList()));
        return b.build();
    }

    private Origin relabel(Origin o) {
        String name = originNames.get(o.file());
        return name == null ? o : new Origin(name, o.line(), o.column(), o.endLine(), o.endColumn());
    }

    private static String relative(Path base, Path file) {
        List<String> parts = new java.util.ArrayList<>();
        for (Path part : base.relativize(file)) parts.add(part.toString());
        return String.join("/", parts);
    }
}
