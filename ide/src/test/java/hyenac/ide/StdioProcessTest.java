package hyenac.ide;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.lsp4j.*;
import org.junit.jupiter.api.Test;

/**
 * {@code hyenac lsp} as a child process on stdio: the command line's main with this module on the
 * class path, so the subcommand comes in through ServiceLoader as it does in the shipped jar.
 */
class StdioProcessTest {

    static Process start(String... extra) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xss16m", "-cp", System.getProperty("java.class.path"), "hyenac.cli.Main", "lsp"));
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
