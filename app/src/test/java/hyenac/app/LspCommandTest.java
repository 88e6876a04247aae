package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.compiler.artifact.Executable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hyenac lsp} as an editor starts it: the command line's main in a child process, the command found through
 * ServiceLoader as in the jar. The server answers on stdio, names itself with this build's version, and exits 0 after
 * shutdown and exit. The server itself is tested in the ide module.
 */
class LspCommandTest {
    static final long TIMEOUT_S = 60;

    @Test
    void theCommandLineServesLspOnStdio(@TempDir Path dir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = dir.resolve("stderr.txt");
        Process p = new ProcessBuilder(java, "-Xss16m", "-cp", System.getProperty("java.class.path"), "hyenac.cli.Main", "lsp")
                .redirectError(log.toFile()).start();
        ExecutorService io = Executors.newSingleThreadExecutor();  // reads block: a thread of their own, with a time limit
        try {
            OutputStream to = p.getOutputStream();
            to.write(frame("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"capabilities\":{}}}"));
            to.flush();
            JsonObject init = io.submit(() -> response(p.getInputStream(), 1)).get(TIMEOUT_S, TimeUnit.SECONDS);
            JsonObject info = init.getAsJsonObject("result").getAsJsonObject("serverInfo");
            assertEquals("hyenac", info.get("name").getAsString());
            assertEquals(Executable.hyenacVersion(), info.get("version").getAsString(), "the version `hyenac --version` gives");

            to.write(frame("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"shutdown\"}"));
            to.flush();
            JsonObject shutdown = io.submit(() -> response(p.getInputStream(), 2)).get(TIMEOUT_S, TimeUnit.SECONDS);
            assertTrue(shutdown.has("result") && !shutdown.has("error"), shutdown.toString());
            to.write(frame("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}"));
            to.flush();
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the server did not end on exit");
            assertEquals(0, p.exitValue(), "exit after shutdown is a clean exit: " + Files.readString(log));
        } finally {
            p.destroyForcibly();
            io.shutdownNow();
        }
    }

    static byte[] frame(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = java.util.Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** The next response to request {@code id}, read frame by frame from the server's stdout (notifications skipped). */
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
}
