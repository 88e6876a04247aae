package hyenac.compiler.passes;

import hyenac.ir.Graph;
import hyenac.ir.Printer;
import hyenac.ir.Verifier;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs passes in order with the instruments of the pipeline: print the IR after a pass
 * ({@code --print-after=eliminate-dead-code} or {@code all}), time each pass, and verify after each
 * one (always in tests, on request otherwise).
 */
public final class PassManager {
    public record Timing(String pass, double millis) {}

    private final List<Pass> passes;
    private Set<String> printAfter = Set.of();
    private boolean verify;
    private PrintWriter out;
    private final List<Timing> timings = new ArrayList<>();

    public PassManager(List<Pass> passes) { this.passes = List.copyOf(passes); }

    /** The pipeline in order: the one place it is written down. */
    public static PassManager standard() {
        return new PassManager(List.of(new EliminateIdentities(), new EliminateCommonSubexpressions(), new EliminateDeadCode()));
    }

    /**
     * Training: the standard passes, then the forward graph with Hyena-MR's decay as a parameter, differentiated,
     * and cleaned up again (the backward graph repeats forward values that CSE merges).
     */
    public static PassManager training() {
        return new PassManager(List.of(new EliminateIdentities(), new EliminateCommonSubexpressions(), new EliminateDeadCode(),
                new ParametriseDecay(), new Differentiate(), new EliminateCommonSubexpressions(), new EliminateDeadCode()));
    }

    public PassManager printAfter(Set<String> names, PrintWriter to) {
        this.printAfter = Set.copyOf(names);
        this.out = to;
        return this;
    }

    public PassManager verifyEach(boolean on) {
        this.verify = on;
        return this;
    }

    public List<String> names() { return passes.stream().map(p -> kebab(p.name())).distinct().toList(); }

    public Graph run(Graph g) {
        if (verify) Verifier.verify(g, "elaboration");
        print("elaborate", g);
        for (Pass p : passes) {
            long t0 = System.nanoTime();
            g = p.run(g);
            timings.add(new Timing(kebab(p.name()), (System.nanoTime() - t0) / 1e6));
            if (verify) Verifier.verify(g, p.name());
            print(kebab(p.name()), g);
        }
        return g;
    }

    public List<Timing> timings() { return List.copyOf(timings); }

    private void print(String name, Graph g) {
        if (out != null && (printAfter.contains(name) || printAfter.contains("all"))) {
            out.println("// ----- IR after " + name);
            out.print(Printer.print(g));
        }
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
