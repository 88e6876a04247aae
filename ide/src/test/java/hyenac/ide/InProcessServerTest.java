package hyenac.ide;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.List;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.jsonrpc.messages.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The server in this JVM, driven over real JSON-RPC through piped streams. */
class InProcessServerTest {
    private TestClient client;
    private Thread serverThread;
    private final int[] exitCode = {-1};

    @BeforeEach
    void start() throws IOException {
        PipedInputStream serverIn = new PipedInputStream(1 << 16);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 16);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);
        serverThread = new Thread(() -> exitCode[0] = StdioServer.serve(serverIn, serverOut, 0), "server");
        serverThread.start();
        client = TestClient.connect(clientIn, clientOut);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (serverThread.isAlive()) client.shutdownAndExit();
        serverThread.join(10_000);
        assertFalse(serverThread.isAlive(), "the server did not stop on exit");
        assertEquals(0, exitCode[0], "exit after shutdown is a clean exit");
    }

    static String uri(String sample) { return TestClient.sample(sample).toUri().toString(); }

    static Position pos(String text, String needle, int delta) {
        int i = text.indexOf(needle);
        assertTrue(i >= 0, needle);
        return new LineMap(text).position(i + delta);
    }

    @Test
    void capabilitiesNameEveryFeature() {
        ServerCapabilities caps = client.initialize().getCapabilities();
        assertNotNull(caps.getCompletionProvider());
        assertTrue(caps.getHoverProvider().getLeft());
        assertTrue(caps.getDefinitionProvider().getLeft());
        assertTrue(caps.getDocumentSymbolProvider().getLeft());
        assertTrue(caps.getFoldingRangeProvider().getLeft());
        assertTrue(caps.getDocumentFormattingProvider().getLeft());
        assertTrue(caps.getInlayHintProvider().getLeft());
        assertNotNull(caps.getCodeActionProvider());
        assertEquals(Features.TOKEN_TYPES, caps.getSemanticTokensProvider().getLegend().getTokenTypes());
        assertEquals(TextDocumentSyncKind.Full, caps.getTextDocumentSync().getRight().getChange());
        assertEquals("utf-16", caps.getPositionEncoding());
    }

    @Test
    void samplesCheckCleanAndHoverShowsExplainNumbers() {
        client.initialize();
        String uri = uri("evo2-7b.hyena");
        String text = TestClient.read(TestClient.sample("evo2-7b.hyena"));
        client.open(uri, text);
        assertEquals(List.of(), client.diagnostics(uri, 1).getDiagnostics());

        Hover model = client.hover(uri, pos(text, "evo2_7b", 2).getLine(), pos(text, "evo2_7b", 2).getCharacter());
        String md = model.getContents().getRight().getValue();
        assertTrue(md.contains("6,481,059,584"), md);
        assertTrue(md.contains("FLOPs / token"), md);

        Position se = pos(text, "hyena_se(", 3);
        String seHover = client.hover(uri, se.getLine(), se.getCharacter()).getContents().getRight().getValue();
        assertTrue(seHover.contains("op hyena_se(groups: int, len: int = 7) (x)"), seHover);
        assertTrue(seHover.contains("Hyena-SE"), "the doc comment: " + seHover);
        assertTrue(seHover.contains("**9 layers** of `evo2_7b`: 0, 4, 7, 11, 14, 18, 21, 25, 28"), seHover);
        assertTrue(seHover.contains("| parameters | 202,426,112 (202.4 M) |") && seHover.contains("MFLOP at context 8,192"), seHover);

        Position len = pos(text, "len = 7", 1);
        String lenHover = client.hover(uri, len.getLine(), len.getCharacter()).getContents().getRight().getValue();
        assertTrue(lenHover.contains("len: int = 7") && lenHover.contains("A parameter of `hyena_se`"), lenHover);
    }

    @Test
    void hoverInsideAnOperatorShowsInferredWidths() {
        client.initialize();
        String uri = uri("custom-ops.hyena");
        String text = TestClient.read(TestClient.sample("custom-ops.hyena"));
        client.open(uri, text);
        client.diagnostics(uri, 1);
        Position p = pos(text, "proj_in(x)", 2);
        String md = client.hover(uri, p.getLine(), p.getCharacter()).getContents().getRight().getValue();
        assertTrue(md.contains("tensor[B, L, 384]"), "3 · width 128: " + md);
        Position q = pos(text, "q, k, v = deinterleave", 3);
        md = client.hover(uri, q.getLine(), q.getCharacter()).getContents().getRight().getValue();
        assertTrue(md.contains("tensor[B, L, 128]"), md);
    }

    @Test
    void diagnosticsCarryCodesRelatedInformationAndQuickFixes() {
        client.initialize();
        String uri = uri("scratch.hyena");
        String text = """
                import "std"
                op twice(n: int) (x) {
                  op a = linear(features = n)
                  out a(x)
                }
                op twice(n: int) (x) {
                  out x
                }
                model m {
                  vocab = 16
                  width = 8
                  context = 32
                  op mix = twice(n = 8)
                  op mlp = gated_mlp(hiden = 16)
                  layers = [mix, nope]
                }
                """;
        client.open(uri, text);
        List<Diagnostic> ds = client.diagnostics(uri, 1).getDiagnostics();
        Diagnostic dup = ds.stream().filter(d -> d.getCode().getLeft().equals("HY0201")).findFirst().orElseThrow();
        assertEquals("hyenac", dup.getSource());
        assertEquals(DiagnosticSeverity.Error, dup.getSeverity());
        assertEquals(pos(text, "twice(n: int) (x) {\n  out", 0), dup.getRange().getStart());
        assertEquals(1, dup.getRelatedInformation().size());
        assertEquals("first defined here", dup.getRelatedInformation().getFirst().getMessage());
        assertEquals(pos(text, "twice", 0), dup.getRelatedInformation().getFirst().getLocation().getRange().getStart());

        Diagnostic unknown = ds.stream().filter(d -> d.getCode().getLeft().equals("HY0200")).findFirst().orElseThrow();
        assertEquals(pos(text, "nope", 0), unknown.getRange().getStart());

        Diagnostic typo = ds.stream().filter(d -> d.getCode().getLeft().equals("HY0203")).findFirst().orElseThrow();
        Range at = typo.getRange();
        var actions = TestClient.get(client.server.getTextDocumentService().codeAction(
                new CodeActionParams(new TextDocumentIdentifier(uri), at, new CodeActionContext(List.of(typo)))));
        assertEquals(1, actions.size());
        CodeAction fix = actions.getFirst().getRight();
        assertEquals(CodeActionKind.QuickFix, fix.getKind());
        TextEdit edit = fix.getEdit().getChanges().get(uri).getFirst();
        assertEquals("hidden", edit.getNewText());
        assertEquals(at, edit.getRange());
    }

    @Test
    void nonAsciiCommentsDoNotShiftDiagnostics() {
        client.initialize();
        String uri = uri("utf16.hyena");
        // 🦒 is two UTF-16 units, é one; LSP columns count units.
        String text = "// héllo 🦒🦒 wörld\nimport \"std\"\nmodel m { /* 🦒 */ vocab = nope }\n";
        client.open(uri, text);
        Diagnostic d = client.diagnostics(uri, 1).getDiagnostics().stream()
                .filter(x -> x.getCode().getLeft().equals("HY0200")).findFirst().orElseThrow();
        int col = text.split("\n")[2].indexOf("nope");
        assertEquals(new Range(new Position(2, col), new Position(2, col + 4)), d.getRange());
        assertEquals(27, col);
        assertEquals(26, text.split("\n")[2].codePointCount(0, col), "the emoji is one code point but two units");
    }

    @Test
    void completionOffersArgumentsOperatorsKeywordsAndNames() {
        client.initialize();
        String uri = uri("complete.hyena");
        String text = "import \"std\"\nmodel m {\n  let g = 4\n  op se = hyena_se(len = 3, )\n  dtype = \n}\n";
        client.open(uri, text);
        client.diagnostics(uri, 1);
        Position args = pos(text, ", )", 2);
        List<CompletionItem> items = client.complete(uri, args.getLine(), args.getCharacter());
        CompletionItem groups = items.stream().filter(i -> i.getLabel().equals("groups")).findFirst().orElseThrow();
        assertEquals("groups: int", groups.getDetail());
        assertEquals("groups = ", groups.getInsertText());
        assertTrue(items.stream().noneMatch(i -> i.getLabel().equals("len")), "len is already given");
        assertTrue(items.stream().anyMatch(i -> i.getLabel().equals("g")), "names in scope are values too");

        Position value = pos(text, "len = 3", 6);
        List<CompletionItem> values = client.complete(uri, value.getLine(), value.getCharacter());
        assertTrue(values.stream().anyMatch(i -> i.getLabel().equals("g")));

        Position dtype = pos(text, "dtype = ", 8);
        List<String> dtypes = client.complete(uri, dtype.getLine(), dtype.getCharacter()).stream().map(CompletionItem::getLabel).toList();
        assertEquals(List.of("bf16", "fp16", "fp32"), dtypes.subList(0, 3));

        Position body = pos(text, "  let g", 0);
        List<String> inBody = client.complete(uri, body.getLine(), body.getCharacter()).stream().map(CompletionItem::getLabel).toList();
        assertTrue(inBody.containsAll(List.of("let", "op", "vocab", "width", "layers", "hyena_se", "hyena_mr", "attention", "linear", "rmsnorm")), inBody.toString());
        assertFalse(inBody.contains("dtype"), "dtype is already set: " + inBody);

        List<String> top = client.complete(uri, 0, 0).stream().map(CompletionItem::getLabel).toList();
        assertEquals(List.of("import", "op", "block", "model"), top);
    }

    @Test
    void layerFieldCompletionShowsTheLayersValues() {
        client.initialize();
        String uri = uri("evo2-7b.hyena");
        String good = TestClient.read(TestClient.sample("evo2-7b.hyena"));
        client.open(uri, good);
        client.diagnostics(uri, 1);
        // Mid-edit the model does not elaborate; the last analysis that did still knows layer 3.
        String text = good.replace("layers[0].mlp.act = gelu", "layers[0].mlp.act = gelu\n  layers[3].mlp.");
        client.change(uri, 2, text);
        assertFalse(client.diagnostics(uri, 2).getDiagnostics().isEmpty());
        Position p = pos(text, "layers[3].mlp.", "layers[3].mlp.".length());
        List<CompletionItem> items = client.complete(uri, p.getLine(), p.getCharacter());
        CompletionItem act = items.stream().filter(i -> i.getLabel().equals("act")).findFirst().orElseThrow();
        assertEquals(" = identity in layer 3", act.getLabelDetails().getDetail());
    }

    @Test
    void definitionSymbolsFoldingFormattingHintsAndTokens() {
        client.initialize();
        String uri = uri("custom-ops.hyena");
        String text = TestClient.read(TestClient.sample("custom-ops.hyena"));
        client.open(uri, text);
        client.diagnostics(uri, 1);
        var docs = client.server.getTextDocumentService();
        TextDocumentIdentifier id = new TextDocumentIdentifier(uri);

        // Into the prelude (a file written for the editor) and within the file.
        Position li = pos(text, "hyena_li()", 2);
        Location std = TestClient.get(docs.definition(new DefinitionParams(id, li))).getLeft().getFirst();
        assertTrue(std.getUri().endsWith("/std.hyena"), std.getUri());
        String prelude = TestClient.read(java.nio.file.Path.of(java.net.URI.create(std.getUri())));
        assertEquals(pos(prelude, "hyena_li(", 0), std.getRange().getStart());
        Position hx = pos(text, "hyena_x(len = 32)", 1);
        Location local = TestClient.get(docs.definition(new DefinitionParams(id, hx))).getLeft().getFirst();
        assertEquals(uri, local.getUri());
        assertEquals(pos(text, "hyena_x(len: int", 0), local.getRange().getStart());

        var symbols = TestClient.get(docs.documentSymbol(new DocumentSymbolParams(id))).stream().map(Either::getRight).toList();
        assertEquals(List.of("hyena_x", "parallel", "custom_hybrid"), symbols.stream().map(DocumentSymbol::getName).toList());
        assertEquals(SymbolKind.Module, symbols.get(2).getKind());
        assertTrue(symbols.get(2).getChildren().stream().anyMatch(s -> s.getName().equals("layers[7]")));

        var folds = TestClient.get(docs.foldingRange(new FoldingRangeRequestParams(id)));
        int modelLine = pos(text, "model custom_hybrid", 0).getLine();
        assertTrue(folds.stream().anyMatch(f -> f.getStartLine() == modelLine), folds.toString());

        String messy = text.replace("  op li = hyena_li()", "op   li=hyena_li( )");
        client.change(uri, 2, messy);
        var edits = TestClient.get(docs.formatting(new DocumentFormattingParams(id, new FormattingOptions(2, true))));
        assertEquals(1, edits.size());
        assertEquals(text, edits.getFirst().getNewText());
        client.change(uri, 3, text);
        assertEquals(List.of(), TestClient.get(docs.formatting(new DocumentFormattingParams(id, new FormattingOptions(2, true)))));

        var hints = TestClient.get(docs.inlayHint(new InlayHintParams(id, new Range(new Position(0, 0), new LineMap(text).end()))));
        List<String> labels = hints.stream().map(h -> h.getLabel().getLeft()).toList();
        assertTrue(labels.stream().anyMatch(l -> l.startsWith("3 layers × ") && l.endsWith(" params")), labels.toString());
        assertTrue(labels.stream().anyMatch(l -> l.startsWith("layer 7: ")), labels.toString());

        List<Integer> data = TestClient.get(docs.semanticTokensFull(new SemanticTokensParams(id))).getData();
        assertEquals(0, data.size() % 5);
        // The first token is the comment on line 0, the first keyword `import` on line 1.
        assertEquals(List.of(0, 0), data.subList(0, 2));
        assertEquals(Features.TOKEN_TYPES.indexOf("comment"), data.get(3));
        assertEquals(List.of(1, 0, 6, Features.TOKEN_TYPES.indexOf("keyword")), data.subList(5, 9));
    }

    @Test
    void importsResolveNextToTheDocumentAcrossFiles(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Files.writeString(dir.resolve("lib.hyena"), """
                import "std"
                /// Twice as wide, then back.
                op widen(factor: int = 2) (x) {
                  op up = linear(features = factor * width)
                  op down = linear(features = width)
                  out down(up(x))
                }
                op broken( {
                """);
        client.initialize();
        String uri = dir.resolve("main.hyena").toUri().toString();
        String text = """
                import "std"
                import "lib"
                model m {
                  vocab = 16
                  width = 32
                  context = 64
                  op w = widen(factor = 4)
                  op mlp = gated_mlp(hidden = 64)
                  layers = [w, w]
                }
                """;
        client.open(uri, text);
        List<Diagnostic> ds = client.diagnostics(uri, 1).getDiagnostics();
        // The syntax error inside lib.hyena is shown on the import that brings it in, linked to its place.
        Diagnostic inLib = ds.stream().filter(d -> d.getCode().getLeft().equals("HY0002")).findFirst().orElseThrow(() -> new AssertionError(ds));
        assertEquals(1, inLib.getRange().getStart().getLine());
        assertTrue(inLib.getMessage().getLeft().startsWith("in " + dir.resolve("lib.hyena")), inLib.getMessage().getLeft());
        Location where = inLib.getRelatedInformation().getFirst().getLocation();
        assertEquals(dir.resolve("lib.hyena").toUri().toString(), where.getUri());
        assertEquals(7, where.getRange().getStart().getLine());

        Position widen = pos(text, "widen(", 1);
        Location def = TestClient.get(client.server.getTextDocumentService().definition(
                new DefinitionParams(new TextDocumentIdentifier(uri), widen))).getLeft().getFirst();
        assertEquals(dir.resolve("lib.hyena").toUri().toString(), def.getUri());
        assertEquals(new Position(2, 3), def.getRange().getStart());
        String md = client.hover(uri, widen.getLine(), widen.getCharacter()).getContents().getRight().getValue();
        assertTrue(md.contains("Twice as wide, then back.") && md.contains("_Defined in `lib.hyena`._"), md);

        Position path = pos(text, "\"lib\"", 2);
        Location file = TestClient.get(client.server.getTextDocumentService().definition(
                new DefinitionParams(new TextDocumentIdentifier(uri), path))).getLeft().getFirst();
        assertEquals(dir.resolve("lib.hyena").toUri().toString(), file.getUri());
    }

    @Test
    void theDebounceChecksOnlyTheLastOfQuickChanges() throws Exception {
        InitializeParams p = new InitializeParams();
        p.setCapabilities(new ClientCapabilities());
        com.google.gson.JsonObject options = new com.google.gson.JsonObject();
        options.addProperty("debounceMs", 300);
        p.setInitializationOptions(options);
        TestClient.get(client.server.initialize(p));
        String uri = uri("quick.hyena");
        client.open(uri, "");
        for (int v = 2; v <= 6; v++) client.change(uri, v, "import \"std\"\n".repeat(v % 2 + 1));
        PublishDiagnosticsParams last = client.diagnostics(uri, 6);
        assertEquals(List.of(), last.getDiagnostics());
        Thread.sleep(400);
        List<Integer> versions = client.allPublished.stream().map(PublishDiagnosticsParams::getVersion).toList();
        assertEquals(List.of(6), versions, "only the last change was checked");
    }

    @Test
    void requestsOnUnknownDocumentsGetEmptyAnswers() {
        client.initialize();
        String uri = "file:///nowhere/x.hyena";
        assertNull(client.hover(uri, 0, 0));
        assertEquals(List.of(), client.complete(uri, 0, 0));
    }
}
