package hyenac.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Outputs are checked before any work: their directory exists, and they are none of what the command reads (a
 * compile onto its own spec would destroy the only copy).
 */
final class Outputs {
    private Outputs() {}

    /**
     * True when {@code output} can be written; false after saying why on {@code err}: its directory is missing, it is a
     * directory, or it is one of {@code inputs} (by role, e.g. "the spec") through any path or link to the same file.
     */
    static boolean writable(String command, String option, Path output, Map<String, Path> inputs, PrintWriter err) {
        Path dir = output.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            err.println(command + ": " + option + " " + output + ": " + (Files.exists(dir) ? dir + " is not a directory" : "the directory " + dir + " does not exist"));
            return false;
        }
        if (Files.isDirectory(output)) {
            err.println(command + ": " + option + " " + output + " is a directory; name the file to write");
            return false;
        }
        if (!Files.exists(output)) return true;
        for (var e : inputs.entrySet()) {
            if (e.getValue() == null || !Files.exists(e.getValue())) continue;
            try {
                if (Files.isSameFile(output, e.getValue())) {
                    err.println(command + ": " + option + " " + output + " is " + e.getKey() + "; writing it would destroy what is read: "
                            + "choose another " + option);
                    return false;
                }
            } catch (IOException ex) {
                // unreadable: cannot be the same file as one we read
            }
        }
        return true;
    }
}
