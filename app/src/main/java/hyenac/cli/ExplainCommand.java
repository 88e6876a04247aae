package hyenac.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.compiler.Compilation;
import hyenac.compiler.artifact.Executable;
import hyenac.compiler.artifact.PlanJson;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.compiler.kernels.SelectAlgorithms;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.explain.Explain;
import hyenac.ir.Graph;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.Weight;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Plan;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "explain", header = "Parameters, FLOPs and bytes per layer; what a .hyx carries.",
        mixinStandardHelpOptions = true, description = {"Per-layer parameters, FLOPs and activation bytes per token of a model.",
        "Given a .hyx, first lists what the artifact carries: target, precision, kernels, weights, every entry."})
final class ExplainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "a .hyena file with a model, or a .hyx artifact") Path file;

    @Option(names = "--context", paramLabel = "N", description = "sequence length for FLOPs (default: the model's context)")
    Long context;

    @Option(names = "--json", description = "print JSON") boolean json;

    @Option(names = "--params", description = "list every weight with its shape, dtype and layout") boolean params;

    @Option(names = "--kernels", description = "print how the target runs the model: for cpu, node by node with the CPU backend's algorithm (and the"
            + " groups a GPU target would fuse); for cuda, the kernel plan of --phase, as `hyenac graph --target cuda` prints it")
    boolean kernels;

    @Option(names = "--target", paramLabel = "NAME", description = "the target --kernels explains: cpu (the default) or cuda (no GPU needed)")
    String target = "cpu";

    @Option(names = "--phase", paramLabel = "PHASE", description = "which plan --kernels --target cuda shows: parallel (the default), prefill or step")
    String phase = "parallel";

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when the file has several") String modelName;

    @Mixin ContextParallelOptions cp;

    @Option(names = "--diagnostics", defaultValue = "human", description = "human or json") DiagnosticOutput.Format format;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (context != null && context < 1) {
            err.println("hyenac explain: --context must be at least 1");
            return Main.INTERNAL_ERROR;
        }
        String problem = KernelPlans.problem(target, phase);
        if (problem != null) {
            err.println("hyenac explain: " + problem);
            return Main.USER_ERROR;
        }
        try {
            if (Executable.looksLikeArtifact(file)) return explainArtifact(out);
            return explainSpec(out, err);
        } catch (UnsupportedOperationException e) {
            err.println("hyenac explain: the " + target + " target cannot compile this model yet: " + e.getMessage());
            return Main.USER_ERROR;
        }
    }

    private int explainSpec(PrintWriter out, PrintWriter err) {
        Checker.Result result = Checker.check(List.of(file));
        if (!result.ok() || format == DiagnosticOutput.Format.human && !result.diagnostics().all().isEmpty()) {
            DiagnosticOutput.print(result.diagnostics(), format, out, err);
        }
        if (!result.ok()) return Main.USER_ERROR;
        List<Elaborated.Model> models = result.models();
        if (modelName != null) models = models.stream().filter(m -> m.name().equals(modelName)).toList();
        if (models.isEmpty()) {
            err.println(Compilation.noModel(file, result, modelName));
            return Main.USER_ERROR;
        }
        for (Elaborated.Model m : models) {
            // The numbers come from the graph the backends run, after the standard passes.
            Graph g = Compilation.lower(m);
            Explain.Report report = Explain.of(g, context != null ? context : m.context(), kernels && target.equals("cpu"));
            KernelPipeline pipeline = kernels && !target.equals("cpu") ? new KernelPipeline(g, KernelPlans.device(target).lowering(g)) : null;
            Plan plan = pipeline != null ? plan(pipeline) : null;
            ContextParallelPlan cpPlan = null;
            if (cp.contextParallel()) {
                cpPlan = cp.plan("hyenac explain", file, g, err);
                if (cpPlan == null) return Main.USER_ERROR;
            }
            if (json) {
                JsonObject o = json(report);
                if (plan != null) {
                    o.add("plan", JsonParser.parseString(PlanJson.write(plan)));
                    o.add("choices", choicesJson(pipeline.choices(plan.phase())));
                }
                if (cpPlan != null) o.add("context_parallel", cpJson(cpPlan, report.context()));
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(o));
            } else {
                table(report, out);
                if (plan != null) {
                    printPlan(plan, out);
                    out.println();
                    out.println("algorithm choices (measured: by hyenac tune on the device; otherwise by the cost model):");
                    out.print(pipeline.choices(pipeline.choices(plan.phase()), plan.phase()));
                }
                if (cpPlan != null && kernels) {
                    out.println();
                    out.print(cpPlan.print(g, 1, report.context()));
                } else if (cpPlan != null) {
                    out.println();
                    out.println("context parallel: " + cpPlan.ranks() + " ranks, --cp-mode " + cpPlan.mode().flag() + ": " + cpPlan.counts()
                            + " steps (--kernels shows each exchange and what it sends)");
                }
            }
        }
        return Main.OK;
    }

    /** What a .hyx carries, then the report of its model (from the plan it holds). */
    private int explainArtifact(PrintWriter out) {
        if (modelName != null) {
            spec.commandLine().getErr().println("hyenac explain: --model applies to a spec; an artifact holds one model");
            return Main.INTERNAL_ERROR;
        }
        try (Executable x = Executable.open(file)) {
            Explain.Report report = Explain.of(x.graph(), context != null ? context : x.compilation().model().context(), kernels && target.equals("cpu"));
            Plan plan = null;
            if (kernels && !target.equals("cpu")) {
                KernelPipeline fresh = new KernelPipeline(x.graph(), KernelPlans.device(target).lowering(x.graph()));
                // the artifact's own plans where it was compiled for this target (checked against the pipeline's)
                plan = x.meta().target().equals(target) ? x.planner(fresh).plan(KernelPlans.phase(phase)) : plan(fresh);
            }
            if (json) {
                JsonObject o = json(report);
                if (plan != null) o.add("plan", JsonParser.parseString(PlanJson.write(plan)));
                o.add("artifact", artifactJson(x));
                out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(o));
                return Main.OK;
            }
            Executable.Meta m = x.meta();
            out.printf(Locale.ROOT, "artifact %s: %s, model %s, built by hyenac %s%n", file, x.format(), m.model(), m.hyenac());
            out.printf(Locale.ROOT, "  target %s, precision %s; kernels: %s%n", m.target(), m.precision(), m.kernels());
            out.printf(Locale.ROOT, "  weights: %s%n", m.weights().equals("none") ? "none embedded" : m.weights());
            out.printf(Locale.ROOT, "  %d entries:%n", x.entries().size());
            x.entries().forEach((name, bytes) -> out.printf(Locale.ROOT, "  %,12d  %s%n", bytes, name));
            out.println();
            table(report, out);
            if (plan != null) printPlan(plan, out);
        }
        return Main.OK;
    }

    private Plan plan(KernelPipeline pipeline) { return pipeline.plan(KernelPlans.phase(phase)); }

    /** The plan as `hyenac graph --target T` prints it. */
    private void printPlan(Plan plan, PrintWriter out) {
        out.println();
        out.println("kernel plan for " + target + ", " + phase + " (the compiler's pipeline: " + String.join(", ", KernelPipeline.STAGES) + "):");
        out.print(KernelPlans.text(plan));
    }

    /** Each convolution's choice, why (model, measured, preferred) and the seconds it was weighed by. */
    private static JsonArray choicesJson(List<SelectAlgorithms.Choice> choices) {
        JsonArray a = new JsonArray();
        for (SelectAlgorithms.Choice c : choices) {
            JsonObject o = new JsonObject();
            o.addProperty("node", c.node().path());
            o.addProperty("op", c.node().op());
            o.addProperty("algorithm", c.algorithm().spelling());
            o.addProperty("basis", c.basis().name().toLowerCase(Locale.ROOT));
            JsonObject seconds = new JsonObject();
            c.costs().forEach((alg, sec) -> seconds.addProperty(alg.spelling(), sec));
            o.add("seconds", seconds);
            a.add(o);
        }
        return a;
    }

    private JsonObject artifactJson(Executable x) {
        JsonObject a = new JsonObject();
        a.addProperty("format", x.format());
        Executable.Meta m = x.meta();
        a.addProperty("model", m.model());
        a.addProperty("hyenac", m.hyenac());
        a.addProperty("target", m.target());
        a.addProperty("precision", m.precision());
        a.addProperty("kernels", m.kernels());
        a.addProperty("weights", m.weights());
        JsonArray entries = new JsonArray();
        x.entries().forEach((name, bytes) -> {
            JsonObject e = new JsonObject();
            e.addProperty("name", name);
            e.addProperty("bytes", bytes);
            entries.add(e);
        });
        a.add("entries", entries);
        return a;
    }

    private void table(Explain.Report r, PrintWriter out) {
        out.printf(Locale.ROOT, "model %s: %d layers, width %d, vocab %d, %s; per token at context %d%n",
                r.model(), r.layers(), r.width(), r.vocab(), r.dtype(), r.context());
        String fmt = "%5s  %-30s %16s %15s %16s%n";
        out.printf(Locale.ROOT, fmt, "layer", "operator", "parameters", "MFLOP/token", "act. KiB/token");
        for (Explain.Row row : r.rows()) {
            out.printf(Locale.ROOT, fmt, row.index(), row.operator(), String.format(Locale.ROOT, "%,d", row.parameters()),
                    String.format(Locale.ROOT, "%,.2f", row.flopsPerToken() / 1e6),
                    String.format(Locale.ROOT, "%,.2f", row.activationBytesPerToken() / 1024));
        }
        out.printf(Locale.ROOT, fmt, "", "total", String.format(Locale.ROOT, "%,d", r.parameters()),
                String.format(Locale.ROOT, "%,.2f", r.flopsPerToken() / 1e6),
                String.format(Locale.ROOT, "%,.2f", r.activationBytesPerToken() / 1024));
        if (params) {
            out.println();
            String wf = "%-48s %-16s %-5s %s%n";
            out.printf(Locale.ROOT, wf, "weight", "shape", "dtype", "layout");
            for (Weight w : r.weights()) {
                out.printf(Locale.ROOT, wf, w.name(), w.shape().toString(), w.dtype().spelling(), w.layout());
            }
        }
        if (kernels) {
            out.println();
            Map<String, Long> fused = r.groups().stream().filter(Group::fused).collect(Collectors.groupingBy(Group::kind, TreeMap::new, Collectors.counting()));
            out.printf(Locale.ROOT, "plan: %d kernels for %d nodes in execution order (fused: %s); convolution algorithms as the CPU backend picks them for %d tokens%n",
                    r.groups().size(), r.kernels().size(), fused.isEmpty() ? "none" : fused.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                            .collect(Collectors.joining(", ")), r.context());
            String kf = "%5s  %-14s %-16s %-6s %-18s %14s  %-40s %s%n";
            out.printf(Locale.ROOT, kf, "#", "kernel", "op", "algo", "widths", "FLOP/token", "weights", "origin");
            for (Explain.Kernel k : r.kernels()) {
                // a kernel's number and kind on its first node; its other nodes below it
                boolean first = k.index() == 0 || r.kernels().get(k.index() - 1).group() != k.group();
                out.printf(Locale.ROOT, kf, first ? k.group() : "", first ? k.fusion() : "", k.op(), k.algorithm() == null ? "-" : k.algorithm(),
                        widths(k.inputWidths()) + " → " + widths(k.outputWidths()),
                        String.format(Locale.ROOT, "%,.0f", k.flopsPerToken()),
                        k.weights().isEmpty() ? "-" : String.join(", ", k.weights()), origin(k));
            }
        }
    }

    private static String widths(List<Long> ws) {
        return String.join(",", ws.stream().map(w -> w == null ? "ids" : Long.toString(w)).toList());
    }

    /** Where the user wrote it, then the prelude line that implements it. */
    private static String origin(Explain.Kernel k) {
        return String.join(" via ", k.origins().stream().map(Object::toString).toList());
    }

    /** Each exchange of the plan and the elements every rank sends in it, at B = 1 and the report's length. */
    private static JsonObject cpJson(ContextParallelPlan plan, long length) {
        JsonObject o = new JsonObject();
        o.addProperty("ranks", plan.ranks());
        o.addProperty("mode", plan.mode().flag());
        o.addProperty("length", length);
        JsonArray steps = new JsonArray();
        for (ContextParallelPlan.Step st : plan.steps()) {
            if (st instanceof ContextParallelPlan.Local) continue;
            JsonObject j = new JsonObject();
            j.addProperty("kind", st.kind());
            j.addProperty("what", switch (st) {
                case ContextParallelPlan.Halo h -> h.node().path();
                case ContextParallelPlan.Ring r -> r.node().path();
                case ContextParallelPlan.AllToAll a -> "region " + a.id() + ": " + a.anchors().stream().map(n -> n.path()).collect(Collectors.joining(", "));
                case ContextParallelPlan.Local l -> "";
            });
            JsonArray sent = new JsonArray();
            for (int r = 0; r < plan.ranks(); r++) sent.add(st.sent(r, plan.ranks(), 1, length));
            j.add("sent_per_rank", sent);
            steps.add(j);
        }
        o.add("exchanges", steps);
        return o;
    }

    private JsonObject json(Explain.Report r) {
        JsonObject o = new JsonObject();
        o.addProperty("model", r.model());
        o.addProperty("context", r.context());
        o.addProperty("width", r.width());
        o.addProperty("vocab", r.vocab());
        o.addProperty("dtype", r.dtype());
        o.addProperty("layers", r.layers());
        JsonArray rows = new JsonArray();
        for (Explain.Row row : r.rows()) {
            JsonObject j = new JsonObject();
            j.addProperty("index", row.index());
            j.addProperty("operator", row.operator());
            j.addProperty("parameters", row.parameters());
            j.addProperty("flops_per_token", row.flopsPerToken());
            j.addProperty("activation_bytes_per_token", row.activationBytesPerToken());
            rows.add(j);
        }
        o.add("rows", rows);
        JsonObject totals = new JsonObject();
        totals.addProperty("parameters", r.parameters());
        totals.addProperty("flops_per_token", r.flopsPerToken());
        totals.addProperty("activation_bytes_per_token", r.activationBytesPerToken());
        o.add("totals", totals);
        if (kernels) {
            JsonArray ks = new JsonArray();
            for (Explain.Kernel k : r.kernels()) {
                JsonObject j = new JsonObject();
                j.addProperty("index", k.index());
                j.addProperty("op", k.op());
                j.addProperty("algorithm", k.algorithm());
                j.add("input_widths", numbers(k.inputWidths()));
                j.add("output_widths", numbers(k.outputWidths()));
                JsonArray ws = new JsonArray();
                k.weights().forEach(ws::add);
                j.add("weights", ws);
                j.addProperty("flops_per_token", k.flopsPerToken());
                j.addProperty("path", k.path());
                j.addProperty("origin", origin(k));
                j.addProperty("group", k.group());
                j.addProperty("fusion", k.fusion());
                ks.add(j);
            }
            o.add("kernels", ks);
            JsonArray gs = new JsonArray();
            for (int i = 0; i < r.groups().size(); i++) {
                Group gr = r.groups().get(i);
                JsonObject j = new JsonObject();
                j.addProperty("index", i);
                j.addProperty("kind", gr.kind());
                JsonArray ops = new JsonArray();
                gr.nodes().forEach(n -> ops.add(n.op()));
                j.add("ops", ops);
                j.add("reads", ids(gr.inputs()));
                j.add("writes", ids(gr.materialised()));
                gs.add(j);
            }
            o.add("groups", gs);
        }
        if (params) {
            JsonArray ws = new JsonArray();
            for (Weight w : r.weights()) {
                JsonObject j = new JsonObject();
                j.addProperty("name", w.name());
                JsonArray shape = new JsonArray();
                w.shape().forEach(shape::add);
                j.add("shape", shape);
                j.addProperty("dtype", w.dtype().spelling());
                j.addProperty("layout", w.layout());
                ws.add(j);
            }
            o.add("weights", ws);
        }
        return o;
    }

    private static JsonArray ids(List<Integer> values) {
        JsonArray a = new JsonArray();
        values.forEach(a::add);
        return a;
    }

    /** Widths as numbers; null for a value without channels (the token ids). */
    private static JsonArray numbers(List<Long> ws) {
        JsonArray a = new JsonArray();
        ws.forEach(a::add);
        return a;
    }
}
