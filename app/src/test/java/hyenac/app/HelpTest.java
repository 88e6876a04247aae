package hyenac.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command of the full application (extra commands included) explains itself with -h and --help. */
class HelpTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** Every command path, as the user types it: ["run"], ["bench", "compare"], … */
    static List<List<String>> commands() {
        List<List<String>> all = new ArrayList<>();
        collect(Main.commandLine(), List.of(), all);
        return all;
    }

    private static void collect(CommandLine cli, List<String> path, List<List<String>> all) {
        for (var e : cli.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) continue;
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            all.add(p);
            collect(e.getValue(), p, all);
        }
    }

    @Test
    void everyCommandTakesDashHAndDashDashHelp() {
        List<List<String>> commands = commands();
        assertTrue(commands.size() >= 12, commands.toString());
        for (List<String> command : commands) {
            for (String flag : new String[] {"-h", "--help"}) {
                List<String> args = new ArrayList<>(command);
                args.add(flag);
                Run r = run(args.toArray(String[]::new));
                assertEquals(0, r.code(), args + ": " + r.err());
                assertEquals("", r.err(), args.toString());
                assertTrue(r.out().contains("Usage: hyenac " + String.join(" ", command)), args + ":\n" + r.out());
                assertFalse(r.out().contains("shared/"), "user-facing text names the developers' shared folder: " + args + "\n" + r.out());
            }
        }
    }

    @Test
    void theCommandListGivesEachCommandOneWholeSentence() {
        Run r = run("--help");
        assertEquals(0, r.code());
        List<String> listed = r.out().lines().dropWhile(l -> !l.equals("Commands:")).skip(1).toList();
        assertEquals(commands().stream().filter(c -> c.size() == 1).count() + 1, listed.size(), "one line per command (and help):\n" + r.out());
        for (String line : listed) {
            assertTrue(line.matches("  [a-z]+ +[A-Z].*\\.$"), "a whole sentence on one line: `" + line + "`");
            assertTrue(line.length() <= 80, line);
        }
    }
}
