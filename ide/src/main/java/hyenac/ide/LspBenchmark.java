package hyenac.ide;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.*;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;
import org.eclipse.lsp4j.services.LanguageServer;

/**
 * Measures didChange → publishDiagnostics: a client sends an edited version of the spec over JSON-RPC
 * (piped streams, the server in this JVM) and waits for that version's diagnostics. The server's
 * debounce is 0 here, so the number is the work the server does; an editor adds the debounce on top.
 * Usage: LspBenchmark [SPEC] [RUNS] [OUT.json]
 */
public final class LspBenchmark {
    private LspBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path spec = Path.of(args.length > 0 ? args[0] : "samples/evo2-40b.hyena");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String host = InetAddress.getLocalHost().getHostName();
        Path out = Path.of(args.length > 2 ? args[2] : "bench/results/lsp-" + host + ".json");
        int warmup = Math.max(20, runs / 4);

        PipedInputStream serverIn = new PipedInputStream(1 << 20);
        PipedOutputStream clientOut = new PipedOutputStream(serverIn);
        PipedInputStream clientIn = new PipedInputStream(1 << 20);
        PipedOutputStream serverOut = new PipedOutputStream(clientIn);
        Thread server = new Thread(null, () -> StdioServer.serve(serverIn, serverOut, 0), "server", 256L << 20);
        server.setDaemon(true);
        server.start();

        BlockingQueue<PublishDiagnosticsParams> published = new LinkedBlockingQueue<>();
        LanguageClient client = new LanguageClient() {
            public void publishDiagnostics(PublishDiagnosticsParams d) { published.add(d); }
            public void telemetryEvent(Object o) { }
            public void showMessage(MessageParams m) { }
            public CompletableFuture<MessageActionItem> showMessageRequest(ShowMessageRequestParams r) { return CompletableFuture.completedFuture(null); }
            public void logMessage(MessageParams m) { }
        };
        var launcher = LSPLauncher.createClientLauncher(client, clientIn, clientOut);
        LanguageServer remote = launcher.getRemoteProxy();
        launcher.startListening();
        InitializeParams init = new InitializeParams();
        init.setCapabilities(new ClientCapabilities());
        remote.initialize(init).get(30, TimeUnit.SECONDS);
        remote.initialized(new InitializedParams());

        String text = Files.readString(spec);
        String uri = spec.toAbsolutePath().toUri().toString();
        remote.getTextDocumentService().didOpen(new DidOpenTextDocumentParams(new TextDocumentItem(uri, "hyena", 1, text)));
        await(published, 1);

        double[] ms = new double[runs];
        int diagnostics = -1;
        for (int i = 0; i < warmup + runs; i++) {
            int version = i + 2;
            // A real edit: the text differs every time, so nothing can be reused.
            String edited = text + "\n// edit " + i + "\n";
            long t0 = System.nanoTime();
            remote.getTextDocumentService().didChange(new DidChangeTextDocumentParams(
                    new VersionedTextDocumentIdentifier(uri, version), List.of(new TextDocumentContentChangeEvent(edited))));
            PublishDiagnosticsParams p = await(published, version);
            long t1 = System.nanoTime();
            if (i >= warmup) ms[i - warmup] = (t1 - t0) / 1e6;
            diagnostics = p.getDiagnostics().size();
        }
        remote.shutdown().get(30, TimeUnit.SECONDS);
        remote.exit();

        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        JsonObject json = new JsonObject();
        json.addProperty("benchmark", "lsp didChange -> publishDiagnostics (full sync, JSON-RPC over pipes, debounce 0)");
        json.addProperty("spec", spec.toString());
        json.addProperty("diagnostics", diagnostics);
        JsonObject machine = new JsonObject();
        machine.addProperty("host", host);
        machine.addProperty("cores", Runtime.getRuntime().availableProcessors());
        machine.addProperty("java", Runtime.version().toString());
        machine.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.addProperty("jvm_args", String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        json.add("machine", machine);
        JsonObject r = new JsonObject();
        r.addProperty("warmup", warmup);
        r.addProperty("runs", runs);
        r.addProperty("median", percentile(sorted, 0.5));
        r.addProperty("p90", percentile(sorted, 0.9));
        r.addProperty("min", sorted[0]);
        r.addProperty("max", sorted[sorted.length - 1]);
        json.add("latency_ms", r);
        json.addProperty("note", "an editor waits the debounce (default " + HyenaLanguageServer.DEFAULT_DEBOUNCE_MS + " ms) before this starts");
        String s = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(json);
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        Files.writeString(out, s + "\n");
        System.out.println(s);
        System.exit(0);
    }

    private static PublishDiagnosticsParams await(BlockingQueue<PublishDiagnosticsParams> q, int version) throws InterruptedException {
        while (true) {
            PublishDiagnosticsParams p = q.poll(60, TimeUnit.SECONDS);
            if (p == null) throw new IllegalStateException("no diagnostics for version " + version);
            if (p.getVersion() != null && p.getVersion() == version) return p;
        }
    }

    private static double percentile(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
