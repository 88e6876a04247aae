package hyenac.ide;

import hyenac.compiler.artifact.Executable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageClientAware;
import org.eclipse.lsp4j.services.LanguageServer;
import org.eclipse.lsp4j.services.TextDocumentService;
import org.eclipse.lsp4j.services.WorkspaceService;

/**
 * The .hyena language server. Open documents are checked by the real front end: after each change,
 * once the debounce has passed, on one analysis thread; requests use the analysis of the document's
 * current text, computing it on the spot if the debounced run has not happened yet. No exception
 * escapes a handler: it is logged to stderr and the request gets an empty answer.
 */
public final class HyenaLanguageServer implements LanguageServer, LanguageClientAware {
    public static final long DEFAULT_DEBOUNCE_MS = 150;

    private volatile LanguageClient client;
    private volatile long debounceMs;
    private volatile boolean shutdown;
    private final Runnable onExit;
    private final Map<String, Document> documents = new ConcurrentHashMap<>();
    // Deep stacks: pathological nesting becomes a diagnostic, as in the command line.
    private final ScheduledExecutorService analyser = Executors.newSingleThreadScheduledExecutor(
            r -> daemon(r, "hyenac-lsp-analysis"));
    private final ExecutorService requests = Executors.newFixedThreadPool(2, r -> daemon(r, "hyenac-lsp-request"));
    private final TextDocuments textDocuments = new TextDocuments();
    private final Workspace workspace = new Workspace();

    /** One open document: its latest text and version, and the last analysis made of it. */
    private static final class Document {
        final String uri;
        String text;
        int version;
        Analysis analysis;
        /** The latest analysis in which some model elaborated. */
        Analysis lastGood;
        ScheduledFuture<?> pending;

        Document(String uri, String text, int version) {
            this.uri = uri;
            this.text = text;
            this.version = version;
        }

        /** The analysis of the current text, made now if it is missing or stale. */
        Analysis current() {
            String t;
            int v;
            synchronized (this) {
                if (analysis != null && analysis.version == version && analysis.text().length() == text.length()) return analysis;
                t = text;
                v = version;
            }
            Analysis a = Analysis.run(uri, v, t);
            synchronized (this) {
                if (a.reports.isEmpty()) a.fallback = lastGood;
                else lastGood = a;
                if (v == version) analysis = a;
            }
            return a;
        }
    }

    /**
     * @param debounceMs how long to wait after a change before checking (0: at once)
     * @param onExit what the {@code exit} notification does (the stdio launcher ends the process)
     */
    public HyenaLanguageServer(long debounceMs, Runnable onExit) {
        this.debounceMs = debounceMs;
        this.onExit = onExit;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(null, r, name, 256L << 20);
        t.setDaemon(true);
        return t;
    }

    @Override public void connect(LanguageClient client) { this.client = client; }

    public boolean shutdownReceived() { return shutdown; }

    @Override
    public CompletableFuture<InitializeResult> initialize(InitializeParams params) {
        if (params.getInitializationOptions() instanceof com.google.gson.JsonObject o && o.has("debounceMs")) {
            try {
                debounceMs = Math.max(0, o.get("debounceMs").getAsLong());
            } catch (RuntimeException e) {
                Log.warn("ignoring initializationOptions.debounceMs: " + o.get("debounceMs"));
            }
        }
        ServerCapabilities caps = new ServerCapabilities();
        caps.setPositionEncoding("utf-16");
        TextDocumentSyncOptions sync = new TextDocumentSyncOptions();
        sync.setOpenClose(true);
        sync.setChange(TextDocumentSyncKind.Full);
        sync.setSave(new SaveOptions(false));
        caps.setTextDocumentSync(sync);
        CompletionOptions completion = new CompletionOptions(false, List.of(".", "(", ",", "=", "\"", ":"));
        caps.setCompletionProvider(completion);
        caps.setHoverProvider(true);
        caps.setDefinitionProvider(true);
        caps.setDocumentSymbolProvider(true);
        caps.setFoldingRangeProvider(true);
        caps.setDocumentFormattingProvider(true);
        caps.setInlayHintProvider(true);
        caps.setCodeActionProvider(new CodeActionOptions(List.of(CodeActionKind.QuickFix)));
        SemanticTokensWithRegistrationOptions tokens = new SemanticTokensWithRegistrationOptions(Features.legend());
        tokens.setFull(true);
        tokens.setRange(false);
        caps.setSemanticTokensProvider(tokens);
        // The version the build recorded, as `hyenac --version` and artifacts give it.
        return CompletableFuture.completedFuture(new InitializeResult(caps, new ServerInfo("hyenac", Executable.hyenacVersion())));
    }

    @Override
    public CompletableFuture<Object> shutdown() {
        shutdown = true;
        documents.values().forEach(d -> { synchronized (d) { if (d.pending != null) d.pending.cancel(false); } });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void exit() {
        analyser.shutdownNow();
        requests.shutdownNow();
        onExit.run();
    }

    @Override public TextDocumentService getTextDocumentService() { return textDocuments; }

    @Override public WorkspaceService getWorkspaceService() { return workspace; }

    // ---------------------------------------------------------------- checking

    private void schedule(Document d) {
        synchronized (d) {
            if (d.pending != null) d.pending.cancel(false);
            if (shutdown || analyser.isShutdown()) return;
            int version = d.version;
            d.pending = analyser.schedule(() -> publish(d, version), debounceMs, TimeUnit.MILLISECONDS);
        }
    }

    private void publish(Document d, int version) {
        try {
            synchronized (d) {
                if (d.version != version || documents.get(d.uri) != d) return; // a newer change is scheduled
            }
            Analysis a = d.current();
            if (a.version != version) return;
            LanguageClient c = client;
            if (c != null) c.publishDiagnostics(new PublishDiagnosticsParams(d.uri, Features.diagnostics(a), version));
        } catch (Throwable t) {
            Log.error("checking " + d.uri + " failed", t);
            if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) throw t;
        }
    }

    /**
     * Runs a request off the protocol thread; a failure is logged and answered with {@code fallback}
     * so the client is never left waiting and the server keeps going.
     */
    private <T> CompletableFuture<T> request(String what, String uri, Function<Analysis, T> work, Supplier<T> fallback) {
        Document d = documents.get(uri);
        if (d == null) return CompletableFuture.completedFuture(fallback.get());
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.apply(d.current());
            } catch (Throwable t) {
                Log.error(what + " on " + uri + " failed", t);
                return fallback.get();
            }
        }, requests);
    }

    /** Re-checks every open document (an imported file may have changed on disk). */
    private void recheckAll() {
        documents.values().forEach(d -> {
            synchronized (d) { d.analysis = null; }
            schedule(d);
        });
    }

    // ---------------------------------------------------------------- text documents

    private final class TextDocuments implements TextDocumentService {
        @Override
        public void didOpen(DidOpenTextDocumentParams params) {
            TextDocumentItem item = params.getTextDocument();
            Document d = new Document(item.getUri(), item.getText() == null ? "" : item.getText(), item.getVersion());
            documents.put(item.getUri(), d);
            schedule(d);
        }

        @Override
        public void didChange(DidChangeTextDocumentParams params) {
            Document d = documents.get(params.getTextDocument().getUri());
            if (d == null || params.getContentChanges().isEmpty()) return;
            synchronized (d) {
                // Full sync: the last change carries the whole text.
                for (TextDocumentContentChangeEvent change : params.getContentChanges()) {
                    if (change.getRange() == null) d.text = change.getText();
                    else d.text = applyRange(d.text, change);
                }
                Integer v = params.getTextDocument().getVersion();
                d.version = v != null ? v : d.version + 1;
            }
            schedule(d);
        }

        /** Incremental changes are not announced, but a client that sends one anyway still gets it right. */
        private String applyRange(String text, TextDocumentContentChangeEvent change) {
            LineMap lines = new LineMap(text);
            int from = lines.offset(change.getRange().getStart()), to = lines.offset(change.getRange().getEnd());
            return text.substring(0, from) + change.getText() + text.substring(Math.max(from, to));
        }

        @Override
        public void didClose(DidCloseTextDocumentParams params) {
            Document d = documents.remove(params.getTextDocument().getUri());
            if (d == null) return;
            synchronized (d) { if (d.pending != null) d.pending.cancel(false); }
            LanguageClient c = client;
            if (c != null) c.publishDiagnostics(new PublishDiagnosticsParams(d.uri, List.of()));
        }

        @Override
        public void didSave(DidSaveTextDocumentParams params) {
            // Other open documents may import the saved one.
            documents.values().forEach(d -> { if (!d.uri.equals(params.getTextDocument().getUri())) { synchronized (d) { d.analysis = null; } schedule(d); } });
        }

        @Override
        public CompletableFuture<Either<List<CompletionItem>, CompletionList>> completion(CompletionParams params) {
            return request("completion", params.getTextDocument().getUri(),
                    a -> Either.forRight(new CompletionList(false, Completions.complete(a, a.lines.offset(params.getPosition())))),
                    () -> Either.forRight(new CompletionList(false, List.of())));
        }

        @Override
        public CompletableFuture<Hover> hover(HoverParams params) {
            return request("hover", params.getTextDocument().getUri(), a -> Hovers.hover(a, a.lines.offset(params.getPosition())), () -> null);
        }

        @Override
        public CompletableFuture<Either<List<? extends Location>, List<? extends LocationLink>>> definition(DefinitionParams params) {
            return request("definition", params.getTextDocument().getUri(),
                    a -> Either.<List<? extends Location>, List<? extends LocationLink>>forLeft(Features.definition(a, a.lines.offset(params.getPosition()))),
                    () -> Either.forLeft(List.of()));
        }

        @Override
        public CompletableFuture<List<Either<SymbolInformation, DocumentSymbol>>> documentSymbol(DocumentSymbolParams params) {
            return request("documentSymbol", params.getTextDocument().getUri(),
                    a -> Features.symbols(a).stream().map(Either::<SymbolInformation, DocumentSymbol>forRight).toList(), List::of);
        }

        @Override
        public CompletableFuture<List<FoldingRange>> foldingRange(FoldingRangeRequestParams params) {
            return request("foldingRange", params.getTextDocument().getUri(), Features::folding, List::of);
        }

        @Override
        public CompletableFuture<List<? extends TextEdit>> formatting(DocumentFormattingParams params) {
            return request("formatting", params.getTextDocument().getUri(), Features::format, List::of);
        }

        @Override
        public CompletableFuture<List<Either<Command, CodeAction>>> codeAction(CodeActionParams params) {
            return request("codeAction", params.getTextDocument().getUri(),
                    a -> Features.codeActions(a, params.getRange()).stream().map(Either::<Command, CodeAction>forRight).toList(), List::of);
        }

        @Override
        public CompletableFuture<List<InlayHint>> inlayHint(InlayHintParams params) {
            return request("inlayHint", params.getTextDocument().getUri(), a -> Features.inlayHints(a, params.getRange()), List::of);
        }

        @Override
        public CompletableFuture<SemanticTokens> semanticTokensFull(SemanticTokensParams params) {
            return request("semanticTokens", params.getTextDocument().getUri(), Features::semanticTokens, () -> new SemanticTokens(List.of()));
        }
    }

    private final class Workspace implements WorkspaceService {
        @Override
        public void didChangeConfiguration(DidChangeConfigurationParams params) {
            Object s = params.getSettings();
            if (s instanceof com.google.gson.JsonObject o && o.has("hyena") && o.get("hyena").isJsonObject()) {
                var h = o.getAsJsonObject("hyena");
                if (h.has("server") && h.get("server").isJsonObject() && h.getAsJsonObject("server").has("debounceMs")) {
                    try {
                        debounceMs = Math.max(0, h.getAsJsonObject("server").get("debounceMs").getAsLong());
                    } catch (RuntimeException e) {
                        Log.warn("ignoring hyena.server.debounceMs");
                    }
                }
            }
        }

        @Override
        public void didChangeWatchedFiles(DidChangeWatchedFilesParams params) { recheckAll(); }
    }
}
