package hyenac.ide;

import java.io.PrintStream;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/** The server's log: stderr only, because stdout carries the protocol. */
final class Log {
    private Log() {}

    private static final PrintStream ERR = System.err;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    static volatile boolean verbose = Boolean.getBoolean("hyenac.lsp.verbose");

    static void info(String message) { if (verbose) print("info", message); }

    static void warn(String message) { print("warn", message); }

    static void error(String message, Throwable t) {
        print("error", message + ": " + t);
        synchronized (ERR) { t.printStackTrace(ERR); }
    }

    private static void print(String level, String message) {
        synchronized (ERR) {
            ERR.println("[hyenac-lsp " + LocalTime.now().format(TIME) + " " + level + "] " + message);
        }
    }
}
