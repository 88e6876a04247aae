package hyenac.app;

import hyenac.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the real command line in process (extra commands found through ServiceLoader, as in the jar) with captured streams. */
final class Cli {
    static final Path ROOT = Path.of(System.getProperty("hyenac.root", "..")).toAbsolutePath().normalize();

    record Result(int code, String out, String err) {}

    private Cli() {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }
}
