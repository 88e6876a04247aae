package hyenac.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Outputs never overwrite what the command reads: a compile onto its own spec would destroy the only copy. */
final class Outputs {
    private Outputs() {}

    /**
     * False after saying so on {@code err} when {@code output} is one of {@code inputs} (by role, e.g. "the spec"),
     * through any path or link that reaches the same file; true otherwise.
     */
    static boolean distinct(String command, String option, Path output, Map<String, Path> inputs, PrintWriter err) {
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
