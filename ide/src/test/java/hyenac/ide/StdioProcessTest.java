package hyenac.ide;

import static org.junit.jupiter.api.Assertions.*;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.*;
import org.junit.jupiter.api.Test;

/**
 * The language server as a child process on stdio, started by {@link StdioServer}'s main with this module's class
 * path. {@code hyenac lsp} adds only its options around the same server; the app module starts it that way.
 */
class StdioProcessTest {

    static Process start(String... extra) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xss16m", "-cp", System.getProperty("java.class.path"), StdioServer.class.getName()));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
    }

    @Test
    void theWholeSessionOverStdio() throws Exception {
        Process p = start("--debounce-ms", "0");
        StringBuilder stderr = new StringBuilder();
        Thread drain = new Thread(() -> {
            try {
                stderr.append(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException ignored) {
                // the process is gone
            }
        });
        drain.start();
        try {
            TestClient c = TestClient.connect(p.getInputStream(), p.getOutputStream());
            InitializeResult init = c.initialize();
            assertEquals("hyenac", init.getServerInfo().getName());

            String uri = TestClient.sample("evo2-1b.hyena").toUri().toString();
            String good = TestClient.read(TestClient.sample("evo2-1b.hyena"));
            String broken = good.replace("hyena_mr(", "hyena_rm(");
            c.open(uri, broken);
            List<Diagnostic> ds = c.diagnostics(uri, 1).getDiagnostics();
            assertEquals(1, ds.size(), ds.toString());
            assertEquals("HY0202", ds.getFirst().getCode().getLeft());
            assertTrue(ds.getFirst().getMessage().getLeft().startsWith("unknown operator `hyena_rm`"), ds.getFirst().getMessage().getLeft());

            c.change(uri, 2, good);
            assertEquals(List.of(), c.diagnostics(uri, 2).getDiagnostics());

            Position args = InProcessServerTest.pos(good, "hyena_mr(", "hyena_mr(".length());
            List<String> labels = c.complete(uri, args.getLine(), args.getCharacter()).stream().map(CompletionItem::getLabel).toList();
            assertEquals(List.of("groups", "len"), labels.subList(0, 2));

            Position mr = InProcessServerTest.pos(good, "hyena_mr(", 2);
            String md = c.hover(uri, mr.getLine(), mr.getCharacter()).getContents().getRight().getValue();
            assertTrue(md.contains("op hyena_mr(groups: int, len: int = 128) (x)"), md);
            assertTrue(md.contains("| parameters |"), md);

            String messy = good.replace("  vocab = 512", "vocab=512;");
            c.change(uri, 3, messy);
            var edits = TestClient.get(c.server.getTextDocumentService().formatting(
                    new DocumentFormattingParams(new TextDocumentIdentifier(uri), new FormattingOptions(2, true))));
            assertEquals(good, edits.getFirst().getNewText());

            c.shutdownAndExit();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server process did not end on exit");
            assertEquals(0, p.exitValue(), "exit after shutdown is a clean exit");
        } finally {
            p.destroyForcibly();
            drain.join(5_000);
        }
    }

    static byte[] frame(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return concat(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII), body);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The next response to request {@code id}, read frame by frame from the server's stdout. */
    static JsonObject response(InputStream in, int id) throws IOException {
        while (true) {
            int length = -1;
            for (String line = header(in); !line.isEmpty(); line = header(in)) {
                if (line.startsWith("Content-Length:")) length = Integer.parseInt(line.substring(15).trim());
            }
            JsonObject m = JsonParser.parseString(new String(in.readNBytes(length), StandardCharsets.UTF_8)).getAsJsonObject();
            if (m.has("id") && m.get("id").getAsInt() == id && !m.has("method")) return m;
        }
    }

    private static String header(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new EOFException("the server closed its output");
            if (c != '\r') b.append((char) c);
        }
        return b.toString();
    }

    @Test
    void aBadFrameIsLoggedAndTheNextOneIsServed() throws Exception {
        Process p = start();
        ExecutorService io = Executors.newCachedThreadPool(); // readers that block: not the common pool
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return e.toString();
            }
        }, io);
        try {
            OutputStream to = p.getOutputStream();
            String init = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}";
            // A length that is not a number, then a good request.
            to.write(("Content-Length: abc\r\n\r\n" + init.formatted(1)).getBytes(StandardCharsets.UTF_8));
            to.write(frame(init.formatted(2)));
            to.flush();
            CompletableFuture<JsonObject> second = CompletableFuture.supplyAsync(() -> {
                try {
                    return response(p.getInputStream(), 2);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, io);
            JsonObject r = second.get(TestClient.TIMEOUT_S, TimeUnit.SECONDS);
            assertEquals("hyenac", r.getAsJsonObject("result").getAsJsonObject("serverInfo").get("name").getAsString());

            // A stray line, then a length too short: the rest of the body runs into the next header.
            to.write("stray\r\n".getBytes(StandardCharsets.US_ASCII));
            to.write("Content-Length: 10\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\"}".getBytes(StandardCharsets.US_ASCII));
            to.write(frame("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"shutdown\"}"));
            to.flush();
            JsonObject shutdown = CompletableFuture.supplyAsync(() -> {
                try {
                    return response(p.getInputStream(), 4);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }, io).get(TestClient.TIMEOUT_S, TimeUnit.SECONDS);
            assertTrue(shutdown.has("result") && !shutdown.has("error"), shutdown.toString());

            to.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"));
            to.flush();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server process did not end on exit");
            assertEquals(0, p.exitValue(), "exit after shutdown is a clean exit");
            String log = stderr.get(20, TimeUnit.SECONDS);
            assertTrue(log.contains("bad frame: Content-Length `abc` is not a number; skipping to the next Content-Length header"), log);
            assertTrue(log.contains("bad frame: the 10-byte body is not JSON (is Content-Length too short?): `{\"jsonrpc\"`"), log);
            assertFalse(log.contains("Exception"), log);
        } finally {
            p.destroyForcibly();
            io.shutdownNow();
        }
    }

    @Test
    void exitWithoutShutdownIsCodeOneAndClosedInputEndsTheServer() throws Exception {
        Process p = start();
        TestClient c = TestClient.connect(p.getInputStream(), p.getOutputStream());
        c.initialize();
        c.server.exit();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue());

        Process q = start();
        q.getOutputStream().close();
        assertTrue(q.waitFor(20, TimeUnit.SECONDS), "end of input ends the server");
        p.destroyForcibly();
        q.destroyForcibly();
    }
}
