package hyenac.ide;

import static org.junit.jupiter.api.Assertions.*;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.eclipse.lsp4j.*;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Types every sample one character at a time: each prefix is a didChange, with completion and hover
 * asked at the cursor along the way. The server must answer every request, keep going, and publish
 * only diagnostics that lie inside the text they were computed for.
 */
class PrefixTypingTest {

    static Stream<Path> samples() throws java.io.IOException {
        try (var files = Files.list(TestClient.root().resolve("samples"))) {
            return files.filter(f -> f.toString().endsWith(".hyena")).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("samples")
    void typingThroughASample(Path sample) throws Exception {
        PipedInputStream serverIn = new PipedInputStream(1 << 20);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);
        int[] code = {-1};
        Thread server = new Thread(() -> code[0] = StdioServer.serve(serverIn, serverOut, 0), "server");
        server.start();
        TestClient c = TestClient.connect(clientIn, clientOut);
        c.initialize();

        String text = TestClient.read(sample);
        String uri = sample.toUri().toString();
        Map<Integer, String> versions = new HashMap<>();
        versions.put(1, "");
        c.open(uri, "");
        List<CompletableFuture<?>> answers = new java.util.ArrayList<>();
        for (int n = 1; n <= text.length(); n++) {
            String prefix = text.substring(0, n);
            int version = n + 1;
            versions.put(version, prefix);
            c.change(uri, version, prefix);
            Position end = new LineMap(prefix).end();
            var docs = c.server.getTextDocumentService();
            answers.add(docs.completion(new CompletionParams(new TextDocumentIdentifier(uri), end)));
            if (n % 3 == 0) answers.add(docs.hover(new HoverParams(new TextDocumentIdentifier(uri), new LineMap(prefix).position(n / 2))));
            if (n % 50 == 0) {
                // Every answer so far has come (a request answered with an error would throw here).
                for (CompletableFuture<?> f : answers) TestClient.get(f);
                answers.clear();
            }
        }
        for (CompletableFuture<?> f : answers) TestClient.get(f);
        PublishDiagnosticsParams last = c.diagnostics(uri, text.length() + 1);
        assertTrue(last.getDiagnostics().stream().noneMatch(d -> d.getSeverity() == DiagnosticSeverity.Error),
                "the whole sample checks clean: " + last.getDiagnostics());

        assertFalse(c.allPublished.isEmpty());
        for (PublishDiagnosticsParams p : c.allPublished) {
            String at = versions.get(p.getVersion());
            assertNotNull(at, "published for a version never sent: " + p.getVersion());
            LineMap lines = new LineMap(at);
            for (Diagnostic d : p.getDiagnostics()) {
                assertInside(lines, at, d.getRange(), "version " + p.getVersion() + ": " + d);
                if (d.getRelatedInformation() != null) {
                    for (var r : d.getRelatedInformation()) if (r.getLocation().getUri().equals(uri)) assertInside(lines, at, r.getLocation().getRange(), d.toString());
                }
            }
        }
        c.shutdownAndExit();
        server.join(10_000);
        assertEquals(0, code[0]);
    }

    private static void assertInside(LineMap lines, String text, Range r, String what) {
        for (Position p : List.of(r.getStart(), r.getEnd())) {
            assertTrue(p.getLine() >= 0 && p.getLine() < lines.lineCount(), what);
            int lineLength = lines.lineEnd(p.getLine()) - lines.lineStart(p.getLine());
            assertTrue(p.getCharacter() >= 0 && p.getCharacter() <= lineLength, what + " (line length " + lineLength + ")");
        }
        assertTrue(lines.offset(r.getStart()) <= lines.offset(r.getEnd()), what);
        assertTrue(lines.offset(r.getEnd()) <= text.length(), what);
    }
}
