package hyenac.conformance;

import hyenac.compiler.commands.ExtraCommand;
import hyenac.compiler.commands.Targets;
import hyenac.ir.cp.CpMode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "conformance", header = "Check the pipeline against a vortex reference set.",
        mixinStandardHelpOptions = true, description = {"DIR is laid out like conformance/data/vortex in the hyenac repository (its README says how):",
        "each case's model is built from its vortex YAML config through the importer and the whole pipeline,",
        "and every reference tensor the graph exposes is compared. Exits 1 on any mismatch or case that cannot run."})
public final class ConformanceCommand implements Callable<Integer>, ExtraCommand {
    @Parameters(paramLabel = "DIR") Path dir;

    @Option(names = "--target", defaultValue = "cpu", description = "backend to run on: cpu, or cuda (GPU 0)") String target;

    @Option(names = "--precision", defaultValue = "fp32", description = {"fp32 (compared with the reference tensors), or bf16 on cuda:",
            "compared with the CPU on the same bf16-rounded weights and inputs, within 1e-2 (operators) / 3e-2 (models) of max|ref|"})
    String precision;

    @Option(names = "--verbose", description = "print every tensor compared") boolean verbose;

    @Option(names = "--context-parallel", defaultValue = "1", paramLabel = "N",
            description = {"split each sequence over N ranks (in-process threads on the CPU) in the zig-zag layout;",
                    "lengths that do not cut into 2N chunks are padded at the end, which changes no earlier position"}) int contextParallel;

    @Option(names = "--cp-mode", defaultValue = "auto", paramLabel = "auto|a2a|p2p",
            description = "with --context-parallel: how convolutions exchange, auto (short FIRs p2p, the rest a2a), a2a, or p2p (default ${DEFAULT-VALUE})")
    String cpMode;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        VortexConformance.Target chosen;
        try {
            chosen = VortexConformance.Target.of(target, precision);
        } catch (IllegalArgumentException e) {
            err.println("hyenac conformance: " + e.getMessage());
            return 2;
        }
        VortexConformance.ContextParallel cp = null;
        try {
            CpMode mode = CpMode.of(cpMode);
            if (contextParallel < 1) throw new IllegalArgumentException("--context-parallel must be at least 1 (ranks), not " + contextParallel);
            if (contextParallel > 1 && chosen != VortexConformance.Target.CPU) {
                throw new IllegalArgumentException("--context-parallel runs on the CPU for now (NCCL on GPUs comes later); use --target cpu");
            }
            if (contextParallel > 1) cp = new VortexConformance.ContextParallel(contextParallel, mode);
        } catch (IllegalArgumentException e) {
            err.println("hyenac conformance: " + e.getMessage());
            return 2;
        }
        if (!Files.isDirectory(dir)) {
            err.println("hyenac conformance: " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist"));
            return 1;
        }
        // No GPU is one message and exit 2, as for `hyenac run --target cuda`, not a FAIL line per case.
        if (chosen != VortexConformance.Target.CPU && Targets.forRunning("hyenac conformance", Targets.Name.cuda, err) == null) {
            return 2;
        }
        List<VortexConformance.CaseResult> results = VortexConformance.run(dir, java.util.function.UnaryOperator.identity(), chosen, cp);
        if (results.isEmpty()) {
            err.println(dir + ": no .safetensors cases found");
            return 1;
        }
        int failed = 0, unsupported = 0;
        for (VortexConformance.CaseResult r : results) {
            if (r.unsupported()) {
                unsupported++;
                out.printf(Locale.ROOT, "SKIP  %-34s %-14s %s%n", r.file(), r.kind(), r.error());
                continue;
            }
            if (!r.ok()) failed++;
            if (r.error() != null) {
                out.printf(Locale.ROOT, "FAIL  %-34s %-14s %s%n", r.file(), r.kind(), r.error());
                continue;
            }
            double worst = r.checks().stream().mapToDouble(VortexConformance.Check::relative).max().orElse(0);
            double tolerance = r.checks().stream().mapToDouble(VortexConformance.Check::tolerance).max().orElse(0);
            out.printf(Locale.ROOT, "%-5s %-34s %-14s %d tensors, worst max|err|/max|ref| = %.2e (tolerance %.0e)%n",
                    r.ok() ? "ok" : "FAIL", r.file(), r.kind(), r.checks().size(), worst, tolerance);
            for (VortexConformance.Check c : r.checks()) {
                if (verbose || !c.ok()) {
                    out.printf(Locale.ROOT, "        %-28s %-6s max|err| %.3e  max|ref| %.3e  rel %.2e%s%n",
                            c.tensor(), c.probe(), c.maxAbsError(), c.maxRef(), c.relative(), c.ok() ? "" : "  MISMATCH");
                }
            }
            if (verbose) r.notes().forEach(n -> out.println("        note: " + n));
        }
        if (cp != null) out.printf(Locale.ROOT, "context parallel: %d ranks, --cp-mode %s%n", cp.ranks(), cp.mode().flag());
        out.printf(Locale.ROOT, "%d of %d cases pass%s%n", results.size() - failed - unsupported, results.size() - unsupported,
                unsupported == 0 ? "" : " (" + unsupported + " not supported on " + target + ")");
        return failed == 0 ? 0 : 1;
    }
}
