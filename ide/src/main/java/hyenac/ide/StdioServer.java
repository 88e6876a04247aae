package hyenac.ide;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.CountDownLatch;
import org.eclipse.lsp4j.jsonrpc.Launcher;
import org.eclipse.lsp4j.launch.LSPLauncher;
import org.eclipse.lsp4j.services.LanguageClient;

/** Runs the server on stdin/stdout until the client says {@code exit} or closes the stream. */
public final class StdioServer {
    private StdioServer() {}

    /** Serves on the process's stdio; returns the exit code LSP asks for (0 after shutdown, else 1). */
    public static int serve(long debounceMs) {
        // Only the protocol may write to stdout: anything printed by accident goes to stderr instead.
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        InputStream in = System.in;
        System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
        return serve(in, out, debounceMs);
    }

    static int serve(InputStream in, OutputStream out, long debounceMs) {
        CountDownLatch exited = new CountDownLatch(1);
        HyenaLanguageServer server = new HyenaLanguageServer(debounceMs, exited::countDown);
        Launcher<LanguageClient> launcher = LSPLauncher.createServerLauncher(server, new FramedInput(in), out);
        server.connect(launcher.getRemoteProxy());
        var listening = launcher.startListening();
        Log.info("listening on stdio (debounce " + debounceMs + " ms)");
        // The reader ends when stdin closes; exit ends us too.
        Thread watcher = new Thread(() -> {
            try {
                listening.get();
            } catch (Exception e) {
                Log.info("input closed: " + e);
            }
            exited.countDown();
        }, "hyenac-lsp-eof");
        watcher.setDaemon(true);
        watcher.start();
        try {
            exited.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return server.shutdownReceived() ? 0 : 1;
    }

    /** {@code java -cp … hyenac.ide.StdioServer [--debounce-ms N]}: the server without the command line around it. */
    public static void main(String[] args) {
        long debounce = HyenaLanguageServer.DEFAULT_DEBOUNCE_MS;
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--debounce-ms")) debounce = Long.parseLong(args[i + 1]);
        System.exit(serve(debounce));
    }
}
