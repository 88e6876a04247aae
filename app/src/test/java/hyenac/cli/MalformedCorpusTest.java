package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed input through the real command line, in process: every case must end in exit code 1
 * with positioned diagnostics (human and JSON), within a time limit, without an internal error or a
 * stack trace. Hand-written cases live in {@code src/test/resources/corpus} (top-level files only;
 * {@code corpus/imports} holds their import partners); {@link MalformedCorpus} generates the rest.
 */
class MalformedCorpusTest {
    static final Duration LIMIT = Duration.ofSeconds(10);

    @TempDir static Path scratch;

    private static List<MalformedCorpus.Case> corpus;

    /** The corpus, generated once per run; generated inputs that turn out valid are left out. */
    static synchronized List<MalformedCorpus.Case> corpus() throws IOException {
        if (corpus == null) {
            List<MalformedCorpus.Case> kept = new ArrayList<>();
            for (MalformedCorpus.Case c : MalformedCorpus.all(root(), scratch)) {
                if (!c.mayBeValid() || classify(c) != Main.OK) kept.add(c);
            }
            corpus = kept;
        }
        return corpus;
    }

    @TestFactory
    Stream<DynamicTest> everyMalformedInputIsAPositionedUserError() throws IOException {
        return corpus().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<String> human = checkHuman(c, assertTimeoutPreemptively(LIMIT, () -> cli(c.args(false)), c.name() + " (human) timed out"));
            List<String> json = checkJson(c, assertTimeoutPreemptively(LIMIT, () -> cli(c.args(true)), c.name() + " (json) timed out"));
            assertEquals(human, json, c.name() + ": the human and the JSON output list different diagnostics");
        }));
    }

    @Test
    void theCorpusHoldsAtLeast200MalformedInputs() throws IOException {
        long handWritten = corpus().stream().filter(c -> c.name().startsWith("corpus/")).count();
        assertTrue(corpus().size() >= 200, "only " + corpus().size() + " malformed inputs");
        assertTrue(handWritten >= 50, "only " + handWritten + " hand-written inputs");
    }

    // ------------------------------------------------------------------ running

    record Run(int code, String out, String err) {
        String both() { return "exit " + code + "\n--- stdout\n" + clip(out) + "\n--- stderr\n" + clip(err); }
    }

    /** As {@link Main#main} does: the command line on a thread with a deep stack. */
    static Run cli(List<String> args) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int[] code = {-1};
        Throwable[] escaped = {null};
        Thread worker = new Thread(null, () -> {
            try {
                code[0] = Main.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
            } catch (Throwable t) {
                escaped[0] = t;
            }
        }, "hyenac-corpus", 512L << 20);
        worker.setDaemon(true); // a run that times out must not keep the test JVM alive
        worker.start();
        try {
            worker.join();
        } catch (InterruptedException e) {
            worker.interrupt();
            throw e;
        }
        if (escaped[0] != null) throw new AssertionError("exception escaped Main.run for " + args, escaped[0]);
        return new Run(code[0], out.toString(), err.toString());
    }

    /** The exit code of a plain check, to drop generated inputs that happen to be valid; -1 when it did not finish. */
    private static int classify(MalformedCorpus.Case c) {
        FutureTask<Run> task = new FutureTask<>(() -> cli(c.args(false)));
        Thread t = new Thread(task, "hyenac-classify");
        t.setDaemon(true);
        t.start();
        try {
            return task.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS).code();
        } catch (TimeoutException | ExecutionException e) {
            return -1; // kept: its dynamic test will show what went wrong
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            t.interrupt();
        }
    }

    // ------------------------------------------------------------------ checks

    /** {@code file:line:col: severity[HYnnnn]: message}, the first line of each rendered diagnostic. */
    private static final Pattern HEADER = Pattern.compile("^(.*):(\\d+):(\\d+): (error|warning)\\[(HY\\d{4})\\]: .*$");
    private static final Pattern CODE = Pattern.compile("HY\\d{4}");

    /** Returns {@code file:line:col code} of each diagnostic, in output order. */
    private static List<String> checkHuman(MalformedCorpus.Case c, Run r) {
        assertClean(c, r);
        assertEquals("", r.out(), c.name() + ": human diagnostics go to stderr\n" + r.both());
        List<String> found = new ArrayList<>();
        boolean error = false;
        for (String line : r.err().split("\n")) {
            Matcher m = HEADER.matcher(line);
            if (!m.matches()) continue;
            int ln = Integer.parseInt(m.group(2));
            int col = Integer.parseInt(m.group(3));
            assertInside(c, m.group(1), ln, col, line, r);
            error |= m.group(4).equals("error");
            found.add(m.group(1) + ":" + ln + ":" + col + " " + m.group(5));
        }
        assertFalse(found.isEmpty(), c.name() + ": no diagnostic with file:line:col\n" + r.both());
        assertTrue(error, c.name() + ": exit 1 but no error diagnostic\n" + r.both());
        for (MalformedCorpus.Expect e : c.expected()) {
            String want = e.file() + ":" + (e.line() > 0 ? e.line() + ":" : "");
            assertTrue(found.stream().anyMatch(f -> f.startsWith(want) && f.endsWith(" " + e.code())),
                    c.name() + ": expected " + e.code() + " at " + want + " among " + found + "\n" + r.both());
        }
        return found;
    }

    private static List<String> checkJson(MalformedCorpus.Case c, Run r) {
        assertClean(c, r);
        assertEquals("", r.err(), c.name() + ": JSON mode writes nothing to stderr\n" + r.both());
        JsonObject root;
        try {
            root = JsonParser.parseString(r.out()).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new AssertionError(c.name() + ": stdout is not a JSON object\n" + r.both(), e);
        }
        var list = root.getAsJsonArray("diagnostics");
        assertTrue(list != null && !list.isEmpty(), c.name() + ": no diagnostics in JSON\n" + r.both());
        assertTrue(root.get("errors").getAsInt() >= 1, c.name() + ": JSON reports no errors\n" + r.both());
        List<String> found = new ArrayList<>();
        for (JsonElement el : list) {
            JsonObject d = el.getAsJsonObject();
            String code = d.get("code").getAsString();
            assertTrue(CODE.matcher(code).matches(), c.name() + ": bad code " + code);
            assertTrue(d.get("severity").getAsString().matches("error|warning"), c.name() + ": bad severity in " + d);
            assertFalse(d.get("message").getAsString().isBlank(), c.name() + ": empty message in " + d);
            checkSpan(c, d.getAsJsonObject("span"), d, r);
            for (JsonElement n : d.getAsJsonArray("notes")) {
                JsonObject note = n.getAsJsonObject();
                if (note.has("span")) checkSpan(c, note.getAsJsonObject("span"), d, r);
            }
            JsonObject span = d.getAsJsonObject("span");
            found.add(span.get("file").getAsString() + ":" + span.get("line").getAsInt() + ":" + span.get("column").getAsInt() + " " + code);
        }
        return found;
    }

    private static void checkSpan(MalformedCorpus.Case c, JsonObject span, JsonObject d, Run r) {
        assertTrue(span != null, c.name() + ": diagnostic without a span: " + d);
        int line = span.get("line").getAsInt();
        int col = span.get("column").getAsInt();
        assertTrue(line >= 1 && col >= 1, c.name() + ": span before 1:1 in " + d);
        int endLine = span.get("endLine").getAsInt();
        int endCol = span.get("endColumn").getAsInt();
        assertTrue(endLine > line || endLine == line && endCol >= col, c.name() + ": span ends before it starts: " + d);
        assertTrue(span.get("end").getAsInt() >= span.get("start").getAsInt(), c.name() + ": negative span: " + d);
        assertInside(c, span.get("file").getAsString(), line, col, d.toString(), r);
        assertInside(c, span.get("file").getAsString(), endLine, endCol, d.toString(), r);
    }

    /** No internal error and no stack trace, on either stream, and exactly exit code 1. */
    private static void assertClean(MalformedCorpus.Case c, Run r) {
        String all = r.out() + "\n" + r.err();
        assertFalse(all.contains("internal error"), c.name() + ": internal error\n" + r.both());
        for (String line : all.split("\n")) {
            boolean trace = line.startsWith("\tat ") || line.matches("\\s+at [\\w$.]+\\(.*\\)\\s*")
                    || line.contains("Exception") || line.matches(".*\\bjava\\.lang\\.\\w+Error\\b.*");
            assertFalse(trace, c.name() + ": stack trace in the output: " + line + "\n" + r.both());
        }
        assertEquals(Main.USER_ERROR, r.code(), c.name() + ": exit code\n" + r.both());
    }

    /** A position must be a real place in the file it names (or 1:1 of a file that cannot be read). */
    private static void assertInside(MalformedCorpus.Case c, String file, int line, int col, String what, Run r) {
        assertFalse(file.isEmpty(), c.name() + ": diagnostic without a file name: " + what + "\n" + r.both());
        List<String> lines = linesOf(file);
        if (lines == null) {
            assertTrue(line == 1 && col == 1, c.name() + ": position in an unreadable file must be 1:1: " + what);
            return;
        }
        assertTrue(line <= lines.size(), c.name() + ": line " + line + " past the end (" + lines.size() + " lines): " + what);
        assertTrue(col <= lines.get(line - 1).length() + 1,
                c.name() + ": column " + col + " past the end of line " + line + ": " + clip(what) + "\n" + r.both());
    }

    private static final Map<String, List<String>> LINES = new HashMap<>();

    /** The file's lines as the compiler counts them (\n, \r\n or a lone \r; columns in UTF-16 units); null if unreadable. */
    private static synchronized List<String> linesOf(String file) {
        return LINES.computeIfAbsent(file, f -> {
            try {
                byte[] bytes;
                if (f.equals("std")) {
                    try (InputStream in = Main.class.getResourceAsStream("/hyenac/dsl/std.hyena")) {
                        bytes = in.readAllBytes();
                    }
                } else {
                    Path p = Path.of(f);
                    if (!Files.isRegularFile(p)) return null;
                    bytes = Files.readAllBytes(p);
                }
                String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
                return List.of(text.split("\r\n|\n|\r", -1));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        });
    }

    private static String clip(String s) {
        return s.length() > 4000 ? s.substring(0, 4000) + "… (" + s.length() + " chars)" : s;
    }

    static Path root() {
        String prop = System.getProperty("hyenac.root");
        if (prop != null && Files.isDirectory(Path.of(prop, "samples"))) return Path.of(prop).toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("samples")) && Files.isRegularFile(p.resolve("pom.xml"))) return p;
        }
        throw new UncheckedIOException(new IOException("cannot find the repository root from " + Path.of("").toAbsolutePath()));
    }
}
