package hyenac.cli;

import hyenac.compiler.cp.PlanContextParallel;
import hyenac.ir.Graph;
import hyenac.ir.cp.ContextParallelException;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.cp.CpMode;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --context-parallel N} and {@code --cp-mode}: one sequence split over N ranks (commands that run, print or explain a model). */
class ContextParallelOptions {
    @Option(names = "--context-parallel", defaultValue = "1", paramLabel = "N",
            description = {"split each sequence over N ranks in the zig-zag layout (2N chunks; rank r holds r and 2N−1−r); on the CPU the",
                    "ranks are threads of this process; prompts that do not cut into 2N chunks are padded at the end (exact: causal)"})
    int contextParallel = 1;

    @Option(names = "--cp-mode", defaultValue = "auto", paramLabel = "auto|a2a|p2p",
            description = "with --context-parallel: auto (short FIRs by halo, long ones and Hyena-LI by all-to-all), a2a, or p2p (FIRs by halo)")
    String cpMode = "auto";

    boolean contextParallel() { return contextParallel > 1; }

    /** Null when the options make sense, else the exit code after saying why: checked before a model is compiled or loaded. */
    Integer invalidContextParallel(String command, PrintWriter err) {
        try {
            CpMode.of(cpMode);
        } catch (IllegalArgumentException e) {
            err.println(command + ": " + e.getMessage());
            return Main.INTERNAL_ERROR;
        }
        if (contextParallel < 1) {
            err.println(command + ": --context-parallel must be at least 1 (the ranks a sequence is split over), not " + contextParallel);
            return Main.INTERNAL_ERROR;
        }
        return null;
    }

    /** The plan for {@code g}, or null after one line on {@code err} (a usage mistake, or a model that does not split: what and how to fix). */
    ContextParallelPlan plan(String command, Object file, Graph g, PrintWriter err) {
        if (contextParallel < 1) {
            err.println(command + ": --context-parallel must be at least 1 (the ranks a sequence is split over), not " + contextParallel);
            return null;
        }
        try {
            return PlanContextParallel.plan(g, contextParallel, CpMode.of(cpMode));
        } catch (ContextParallelException e) {
            err.println(command + ": " + file + ": " + e.getMessage());
            return null;
        } catch (IllegalArgumentException e) {
            err.println(command + ": " + e.getMessage());
            return null;
        }
    }
}
