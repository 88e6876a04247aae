package hyenac.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Severity;
import hyenac.dsl.source.SourceFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the YAML examples in {@code src/test/resources/diagnostics/import}. A comment
 * {@code # expect-error@+1 HY0503} announces that diagnostic on the next line ({@code @-1} the line
 * before, {@code @+0} the comment's own); without {@code @} it may be anywhere (whole-file problems
 * such as a missing key). Each example must give exactly what it announces: every expected
 * diagnostic, and no other error or warning.
 */
class ImportExamplesTest {
    private static final Pattern EXPECT = Pattern.compile("#\\s*expect-(error|warning)(?:@([+-]\\d+))?((?:\\s+HY\\d{4})+)");

    /** line 0: anywhere. */
    record Expected(int line, Severity severity, Code code) {
        boolean matches(Diagnostic d) {
            return d.code() == code && d.severity() == severity && (line == 0 || d.span().line() == line);
        }

        @Override public String toString() {
            return (line == 0 ? "anywhere" : "line " + line) + ": " + severity.label() + "[" + code + "]";
        }
    }

    static Path examples() {
        String root = System.getProperty("hyenac.root");
        Path fromRoot = root == null ? null : Path.of(root, "compiler/src/test/resources/diagnostics/import");
        if (fromRoot != null && Files.isDirectory(fromRoot)) return fromRoot;
        Path fromModule = Path.of("src/test/resources/diagnostics/import");
        if (Files.isDirectory(fromModule)) return fromModule;
        return Path.of("compiler/src/test/resources/diagnostics/import");
    }

    static List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(examples())) {
            return s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
        }
    }

    static List<Expected> expectations(String text) {
        List<Expected> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = EXPECT.matcher(lines[i]);
            while (m.find()) {
                int line = m.group(2) == null ? 0 : i + 1 + Integer.parseInt(m.group(2));
                Severity severity = m.group(1).equals("error") ? Severity.ERROR : Severity.WARNING;
                for (String code : m.group(3).trim().split("\\s+")) out.add(new Expected(line, severity, Code.valueOf(code)));
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> everyExampleGivesExactlyItsExpectations() throws IOException {
        List<Path> files = files();
        assertTrue(files.size() >= 6, "examples: " + files);
        return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            String text = Files.readString(p, StandardCharsets.UTF_8);
            VortexImporter.Result r = VortexImporter.convert(new SourceFile(p.getFileName().toString(), text));
            List<Diagnostic> left = new ArrayList<>(r.diagnostics().all().stream().filter(d -> d.severity() != Severity.NOTE).toList());
            List<Expected> expected = expectations(text);
            // Line-bound expectations first, so an "anywhere" one cannot take a diagnostic they need.
            List<Expected> order = new ArrayList<>(expected.stream().filter(e -> e.line() != 0).toList());
            order.addAll(expected.stream().filter(e -> e.line() == 0).toList());
            List<Expected> unmet = new ArrayList<>();
            for (Expected e : order) {
                Diagnostic hit = left.stream().filter(e::matches).findFirst().orElse(null);
                if (hit == null) unmet.add(e);
                else left.remove(hit);
            }
            if (!unmet.isEmpty() || !left.isEmpty()) {
                fail(p.getFileName() + ": missing " + unmet + "; unexpected:\n" + VortexImporterTest.render(left)
                        + "all:\n" + VortexImporterTest.render(r.diagnostics().all()));
            }
            boolean errors = expected.stream().anyMatch(e -> e.severity() == Severity.ERROR);
            if (errors) {
                assertNull(r.hyena(), "no source is produced when there are errors");
            } else {
                assertNotNull(r.hyena());
                Checker.Result checked = Checker.checkSource(new SourceFile(p.getFileName() + ".hyena", r.hyena()), null);
                assertTrue(checked.ok(), () -> r.hyena() + VortexImporterTest.render(checked.diagnostics().all()));
            }
        }));
    }

    @Test
    void everyImporterCodeHasAnExample() throws IOException {
        Set<Code> seen = EnumSet.noneOf(Code.class);
        for (Path p : files()) expectations(Files.readString(p)).forEach(e -> seen.add(e.code()));
        Set<Code> importer = EnumSet.range(Code.HY0500, Code.HY0505);
        importer.removeAll(seen);
        assertEquals(Set.of(), importer, "importer codes without an example");
    }

    @Test
    void anywhereAndLineExpectationsParse() {
        List<Expected> e = expectations("# expect-error HY0501\nx: 1\n# expect-warning@+1 HY0500 HY0504\ny: 2\n");
        assertEquals(List.of(new Expected(0, Severity.ERROR, Code.HY0501), new Expected(4, Severity.WARNING, Code.HY0500),
                new Expected(4, Severity.WARNING, Code.HY0504)), e);
    }
}
