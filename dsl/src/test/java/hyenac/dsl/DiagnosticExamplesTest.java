package hyenac.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.HumanRenderer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every example in {@code src/test/resources/diagnostics}: each file is checked on its own and
 * must produce exactly the diagnostics its {@code // expect-…} comments announce (files starting with
 * {@code _} are import partners, checked through the files that import them).
 */
class DiagnosticExamplesTest {
    static Path examples() {
        return TestFiles.root().resolve("dsl/src/test/resources/diagnostics");
    }

    static List<Path> roots() throws IOException {
        try (Stream<Path> files = Files.list(examples())) {
            return files.filter(p -> p.toString().endsWith(".hyena") && !p.getFileName().toString().startsWith("_")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyExampleGivesExactlyItsExpectedDiagnostics() throws IOException {
        return roots().stream().map(root -> DynamicTest.dynamicTest(root.getFileName().toString(), () -> {
            Checker.Result result = Checker.check(List.of(root));
            Set<String> files = new HashSet<>();
            List<Expectations.Expected> expected = new ArrayList<>();
            for (Path p : related(root, result)) {
                files.add(p.toString());
                String text = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                expected.addAll(Expectations.parse(p.toString(), text));
            }
            List<Expectations.Expected> actual = result.diagnostics().all().stream()
                    .filter(d -> files.contains(d.span().file().name()))
                    .map(Expectations::actual).toList();
            String rendered = result.diagnostics().all().stream().map(HumanRenderer::render).collect(Collectors.joining());
            assertEquals(sorted(expected), sorted(actual), "diagnostics of " + root.getFileName() + ":\n" + rendered);
        }));
    }

    /** The root and the partner files (names starting with `_`) in the same folder that it imports. */
    private static List<Path> related(Path root, Checker.Result result) {
        List<Path> out = new ArrayList<>();
        out.add(root);
        result.modules().forEach(m -> m.imports().forEach(i -> {
            Path p = Path.of(i.source().name());
            if (p.getFileName().toString().startsWith("_")) out.add(p);
        }));
        // A cycle stops the partner from importing back, so look for partners by the import lines too.
        try (Stream<Path> files = Files.list(root.getParent())) {
            files.filter(p -> p.getFileName().toString().startsWith("_") && p.toString().endsWith(".hyena"))
                    .filter(p -> !out.contains(p))
                    .filter(p -> readable(root).contains("\"" + p.getFileName() + "\""))
                    .forEach(out::add);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static String readable(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> sorted(List<Expectations.Expected> list) {
        return list.stream().map(Object::toString).sorted().toList();
    }

    /**
     * Codes whose trigger cannot live in a small example file, each with the test that covers it.
     */
    static final Set<Code> COVERED_ELSEWHERE = EnumSet.of(Code.HY0006); // SyntaxReaderTest.refusesHugeFiles

    @Test
    void everyCodeHasAnExample() throws IOException {
        Set<Code> seen = EnumSet.noneOf(Code.class);
        try (Stream<Path> files = Stream.concat(Files.walk(examples()),
                Files.exists(importExamples()) ? Files.walk(importExamples()) : Stream.empty())) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".hyena") && !name.endsWith(".yml")) continue;
                String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                Expectations.parse(name, text).forEach(e -> seen.add(e.code()));
            }
        }
        Set<Code> missing = EnumSet.complementOf(EnumSet.copyOf(seen));
        missing.removeAll(COVERED_ELSEWHERE);
        assertFalse(!missing.isEmpty(), "codes without an example: " + missing);
    }

    static Path importExamples() {
        return TestFiles.root().resolve("compiler/src/test/resources/diagnostics/import");
    }
}
