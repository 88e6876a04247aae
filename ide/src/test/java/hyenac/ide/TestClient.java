package hyenac.ide;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;

/** A language client for tests: speaks JSON-RPC over a pair of streams and records what the server publishes. */
final class TestClient implements LanguageClient {
    static final long TIMEOUT_S = 30;

    final BlockingQueue<PublishDiagnosticsParams> published = new LinkedBlockingQueue<>();
    final List<PublishDiagnosticsParams> allPublished = new CopyOnWriteArrayList<>();
    LanguageServer server;
    java.util.concurrent.Future<Void> listening;

    static TestClient connect(InputStream fromServer, OutputStream toServer) {
        TestClient c = new TestClient();
        Launcher<LanguageServer> launcher = LSPLauncher.createClientLauncher(c, fromServer, toServer);
        c.server = launcher.getRemoteProxy();
        c.listening = launcher.startListening();
        return c;
    }

    static Path root() { return Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize(); }

    static Path sample(String name) { return root().resolve("samples").resolve(name); }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static <T> T get(CompletableFuture<T> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer from the server: " + e, e);
        }
    }

    InitializeResult initialize() {
        InitializeParams p = new InitializeParams();
        p.setProcessId((int) ProcessHandle.current().pid());
        p.setCapabilities(new ClientCapabilities());
        p.setRootUri(root().toUri().toString());
        InitializeResult r = get(server.initialize(p));
        server.initialized(new InitializedParams());
        return r;
    }

    void open(String uri, String text) {
        server.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "hyena", 1, text)));
    }

    void change(String uri, int version, String text) {
        server.getTextDocumentService().didChange(new DidChangeTextDocumentParams(
                new VersionedTextDocumentIdentifier(uri, version), List.of(new TextDocumentContentChangeEvent(text))));
    }

    /** Waits for the diagnostics of a document at a version (older ones are skipped). */
    PublishDiagnosticsParams diagnostics(String uri, int version) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (System.nanoTime() < deadline) {
            PublishDiagnosticsParams p;
            try {
                p = published.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (p != null && p.getUri().equals(uri) && p.getVersion() != null && p.getVersion() == version) return p;
        }
        throw new AssertionError("no diagnostics for " + uri + " version " + version);
    }

    Hover hover(String uri, int line, int character) {
        return get(server.getTextDocumentService().hover(new HoverParams(new TextDocumentIdentifier(uri), new Position(line, character))));
    }

    List<CompletionItem> complete(String uri, int line, int character) {
        var r = get(server.getTextDocumentService().completion(new CompletionParams(new TextDocumentIdentifier(uri), new Position(line, character))));
        assertNotNull(r);
        return r.isLeft() ? r.getLeft() : r.getRight().getItems();
    }

    void shutdownAndExit() {
        get(server.shutdown());
        server.exit();
    }

    // ---- LanguageClient

    @Override public void publishDiagnostics(PublishDiagnosticsParams d) {
        allPublished.add(d);
        published.add(d);
    }

    @Override public void telemetryEvent(Object o) { }
    @Override public void showMessage(MessageParams m) { }
    @Override public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams r) { return CompletableFuture.completedFuture(null); }
    @Override public void logMessage(MessageParams m) { }
}
