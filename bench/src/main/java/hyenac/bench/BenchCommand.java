package hyenac.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.backends.codegen.Precision;
import hyenac.backends.cuda.bindings.CudaUnavailableException;
import hyenac.compiler.commands.ExtraCommand;
import hyenac.compiler.Compilation;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.ir.cp.CpMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "bench", header = "Time a model or operators on a GPU or the CPU (JSON out).",
        mixinStandardHelpOptions = true, subcommands = CompareCommand.class, description = {
        "Time a model (SPEC: its forward pass at each --prefill L, then --decode N steps after a --prompt P, for each --batch B of sequences) or single operators "
                + "(--op se,mr,li,attention,copy at --shapes BxL,... and --width D) on the cuda or cpu target.",
        "On cuda: CUDA events around each repetition, an L2 flush before it, an untimed first run and --warmup more, "
                + "at least 50 timed repetitions. On cpu: the host clock, no flush.",
        "Reports median ms, tokens/s, effective GB/s over minimal bytes and TFLOP/s (SEMANTICS.md §7) and writes JSON (--json) "
                + "with the GPU, driver and clocks. Operator names, shapes and byte/FLOP conventions follow "
                + "the PyTorch peer, bench/peer/peer_baselines.py in the repository; `hyenac bench compare OURS.json PEER.json` prints our/peer ratios."})
public final class BenchCommand implements Callable<Integer>, ExtraCommand {
    /** The floor for timed repetitions on the GPU. */
    static final int MIN_REPS = 50;


    @Parameters(arity = "0..1", paramLabel = "SPEC", description = "a .hyena spec to time as a whole model (random weights)") Path spec;

    @Option(names = "--model", paramLabel = "NAME", description = "which model, when SPEC has several") String modelName;

    @Option(names = {"--op", "--ops"}, split = ",", paramLabel = "OP", description = "operators to time instead of a model: se, mr, li, attention, copy")
    List<String> ops;

    @Option(names = "--shapes", split = ",", paramLabel = "BxL", defaultValue = "1x8192", description = "operator shapes, batch x length (default: ${DEFAULT-VALUE})")
    List<String> shapes;

    @Option(names = "--width", paramLabel = "D", defaultValue = "4096", description = "operator width (default: ${DEFAULT-VALUE})") long width;

    @Option(names = "--groups", paramLabel = "G", description = "SE/MR filter groups (default: 256, or the width when narrower)") Long groups;

    @Option(names = "--heads", defaultValue = "32", description = "attention heads (default: ${DEFAULT-VALUE})") long heads;

    @Option(names = "--head-dim", description = "attention head size (default: width / heads)") Long headDim;

    @Option(names = "--copy-mib", defaultValue = "2048", description = "bytes the copy point copies, MiB (default: ${DEFAULT-VALUE}, the peer's 2 GiB)")
    long copyMib;

    @Option(names = "--target", defaultValue = "cuda", description = "cuda (GPU 0) or cpu (default: ${DEFAULT-VALUE})") String target;

    @Option(names = "--precision", description = "bf16 or fp32 (default: bf16 on cuda; the cpu target runs fp32)") String precision;

    @Option(names = "--prefill", split = ",", paramLabel = "L", defaultValue = "8192",
            description = "forward-pass lengths for SPEC, one point each on the same weights; 0 skips them (default: ${DEFAULT-VALUE})")
    List<Integer> prefill;

    @Option(names = "--decode", paramLabel = "N", defaultValue = "64", description = "decode steps timed for SPEC; 0 skips them (default: ${DEFAULT-VALUE})")
    int decode;

    @Option(names = "--prompt", paramLabel = "P", defaultValue = "1024", description = "prompt tokens before the decode steps (default: ${DEFAULT-VALUE})")
    int prompt;

    @Option(names = "--batch", split = ",", paramLabel = "B", defaultValue = "1",
            description = "sequences decoded together: the decode point is timed at each of these batch sizes, e.g. 1,4,16,64 (default: ${DEFAULT-VALUE})")
    List<Integer> batches;

    @Option(names = "--warmup", defaultValue = "5", description = "untimed runs after the first (default: ${DEFAULT-VALUE})") int warmup;

    @Option(names = "--reps", defaultValue = "50", description = "timed repetitions per point (default and minimum on cuda: ${DEFAULT-VALUE})") int reps;

    @Option(names = "--quick", description = "allow fewer than 50 repetitions (smoke runs, tests)") boolean quick;

    @Option(names = "--time-budget", paramLabel = "SECONDS", defaultValue = "0",
            description = "points that would start later are recorded as skipped; 0: no limit (default)") double timeBudget;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the random weights and inputs (default: ${DEFAULT-VALUE})") long seed;

    @Option(names = "--profile", description = "with SPEC: after the prefill point, the GPU time of one forward pass by kind of work (a kernel, gemm, fft);"
            + " after the decode point, of one decode step")
    boolean profile;

    @Option(names = "--context-parallel", paramLabel = "N", defaultValue = "1",
            description = "with SPEC: the forward pass split over N ranks (zig-zag; the CPU's in-process ranks for now), its time and what each rank sent")
    int contextParallel;

    @Option(names = "--cp-mode", paramLabel = "MODE", defaultValue = "auto",
            description = "with --context-parallel: auto (short FIRs by halo, long ones and Hyena-LI by all-to-all), a2a, or p2p")
    String cpMode;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results as JSON") Path json;

    @Option(names = "--compare", paramLabel = "PEER.json", description = "after the run, print our/peer ratios against peer_baselines.py's JSON")
    Path compare;

    @Spec picocli.CommandLine.Model.CommandSpec commandSpec;

    record Shape(int batch, int length) {
        static Shape parse(String text) {
            String[] parts = text.trim().toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length == 2) {
                    Shape s = new Shape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                    if (s.batch > 0 && s.length > 0) return s;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--shapes: `" + text.trim() + "` is not BxL with positive B and L (e.g. 1x8192)");
        }
    }

    /** What to run, validated: a SPEC or operators (never both). */
    record Plan(Path spec, String modelName, List<Operator> ops, List<Shape> shapes, Operator.Config config, long copyBytes, String target,
                Precision precision, List<Integer> prefills, int decode, int prompt, List<Integer> batches, int warmup, int reps, boolean quick,
                double timeBudget, long seed, boolean profile, int contextParallel, CpMode cpMode, Path json, Path compare) {}

    /** Checks the options; a problem → IllegalArgumentException with the sentence to print. */
    Plan plan() {
        if ((spec == null) == (ops == null || ops.isEmpty())) {
            throw new IllegalArgumentException(spec == null ? "give a SPEC to time a model, or --op " + Operator.names() + " to time operators"
                    + " (`hyenac bench compare OURS.json PEER.json` compares results)"
                    : "give a SPEC or --op, not both");
        }
        if (!target.equals("cuda") && !target.equals("cpu")) throw new IllegalArgumentException("--target must be cuda or cpu, not `" + target + "`");
        boolean cuda = target.equals("cuda");
        Precision p = switch (precision == null ? (cuda ? "bf16" : "fp32") : precision.toLowerCase(Locale.ROOT)) {
            case "bf16" -> Precision.BF16;
            case "fp32" -> Precision.FP32;
            default -> throw new IllegalArgumentException("--precision must be bf16 or fp32, not `" + precision + "`");
        };
        if (!cuda && p != Precision.FP32) throw new IllegalArgumentException("the cpu target runs fp32 only; pass --precision fp32 or --target cuda");
        if (reps < 1 || warmup < 0) throw new IllegalArgumentException("--reps must be at least 1 and --warmup at least 0");
        if (cuda && !quick && reps < MIN_REPS) {
            throw new IllegalArgumentException("--reps " + reps + ": at least " + MIN_REPS + " timed repetitions on cuda (--quick allows fewer)");
        }
        List<Operator> chosen = new ArrayList<>();
        if (ops != null) for (String o : ops) if (!o.isBlank() && !chosen.contains(Operator.parse(o))) chosen.add(Operator.parse(o));
        List<Shape> parsed = shapes.stream().map(Shape::parse).toList();
        if (width < 1) throw new IllegalArgumentException("--width must be positive");
        long g = groups != null ? groups : Math.min(256, width);
        if (g < 1 || width % g != 0) throw new IllegalArgumentException("--groups " + g + " must divide --width " + width);
        long hd = headDim != null ? headDim : heads > 0 && width % heads == 0 ? width / heads : -1;
        if (heads < 1 || hd < 1) throw new IllegalArgumentException("--heads " + heads + " must divide --width " + width + ", or give --head-dim");
        if (copyMib < 1) throw new IllegalArgumentException("--copy-mib must be positive");
        if (prefill.stream().anyMatch(l -> l < 0)) throw new IllegalArgumentException("--prefill lengths must be 0 (skip) or positive, not " + prefill);
        List<Integer> lengths = prefill.stream().filter(l -> l > 0).distinct().toList();
        if (profile && (spec == null || lengths.isEmpty() && decode == 0)) {
            throw new IllegalArgumentException("--profile breaks down a model's forward pass or decode step: give a SPEC and --prefill or --decode");
        }
        List<Integer> sizes = batches.stream().distinct().toList();
        if (sizes.stream().anyMatch(b -> b < 1)) throw new IllegalArgumentException("--batch sizes must be at least 1, not " + batches);
        if (!sizes.equals(List.of(1)) && (spec == null || decode == 0)) {
            throw new IllegalArgumentException("--batch sizes a model's decode point: give a SPEC and --decode N");
        }
        if (contextParallel < 1) throw new IllegalArgumentException("--context-parallel must be at least 1 (the ranks a sequence is split over), not " + contextParallel);
        CpMode mode = CpMode.of(cpMode);
        if (contextParallel > 1) {
            if (spec == null || lengths.isEmpty()) throw new IllegalArgumentException("--context-parallel splits a model's forward pass: give a SPEC and --prefill L");
            if (cuda) {
                throw new IllegalArgumentException("--context-parallel runs on the CPU's in-process ranks for now (the NCCL executor needs a machine with"
                        + " several GPUs): pass --target cpu");
            }
            if (decode > 0) throw new IllegalArgumentException("--context-parallel times the forward pass (decode continues on one rank): pass --decode 0");
            if (profile) throw new IllegalArgumentException("--profile breaks down one device's pass, not a split one: leave it out with --context-parallel");
        }
        if (spec != null) {
            if (!Files.isRegularFile(spec)) throw new IllegalArgumentException(spec + ": no such file");
            if (decode < 0) throw new IllegalArgumentException("--decode must be 0 (skip) or positive");
            if (lengths.isEmpty() && decode == 0) throw new IllegalArgumentException("--prefill 0 and --decode 0 leave nothing to time");
            if (decode > 0 && prompt < 1) throw new IllegalArgumentException("--prompt must be at least 1 token");
            if (cuda && !quick && decode > 0 && decode < MIN_REPS) {
                throw new IllegalArgumentException("--decode " + decode + ": the timed steps are the repetitions; at least " + MIN_REPS
                        + " on cuda (--quick allows fewer)");
            }
        }
        return new Plan(spec, modelName, List.copyOf(chosen), parsed, new Operator.Config(width, g, heads, hd), copyMib << 20, target, p,
                lengths, decode, prompt, sizes, warmup, reps, quick, timeBudget, seed, profile, contextParallel, mode, json, compare);
    }

    @Override public Integer call() throws IOException {
        PrintWriter out = commandSpec.commandLine().getOut();
        PrintWriter err = commandSpec.commandLine().getErr();
        Plan plan;
        try {
            plan = plan();
        } catch (IllegalArgumentException e) {
            err.println("hyenac bench: " + e.getMessage());
            return 2;
        }
        Compilation.Result compiled = plan.spec() == null ? null : Compilation.compile(plan.spec(), plan.modelName());
        if (compiled != null) {
            compiled.checked().diagnostics().all().forEach(d -> err.print(HumanRenderer.render(d)));
            if (!compiled.ok()) {
                if (compiled.checked().ok()) err.println(Compilation.noModel(plan.spec(), compiled.checked(), plan.modelName()));
                return 1;
            }
        }
        BenchTarget t;
        try {
            t = plan.target().equals("cuda") ? new CudaBenchTarget(plan.precision()) : new CpuBenchTarget();
        } catch (CudaUnavailableException e) {
            err.println("hyenac bench: " + e.getMessage());
            return 2;
        }
        JsonObject report;
        BenchRun run;
        try (t) {
            JsonObject machine = t.machine();
            err.println("hyenac bench on " + t.name() + " " + plan.precision().suffix() + ": " + Machine.describe(machine));
            // the file is rewritten after every point: a run cut short by a time limit keeps what it measured
            run = new BenchRun(plan, t, err, r -> write(plan.json(), report(plan, machine, compiled, r)));
            if (compiled != null) run.model(compiled);
            else run.operators();
            report = report(plan, machine, compiled, run);
        } catch (CudaUnavailableException e) {
            // a library the executor needs (NVRTC, cuBLASLt, cuFFT) is missing: as unusable as no GPU
            err.println("hyenac bench: " + e.getMessage());
            return 2;
        }
        out.print(Table.render(run.points(), run.copyGbps()));
        for (String n : run.notes()) out.println("note: " + n);
        if (plan.json() != null) {
            write(plan.json(), report);
            out.println("wrote " + plan.json());
        }
        if (plan.compare() != null) return CompareCommand.print(report, plan.compare(), null, out, err);
        return run.points().stream().allMatch(Point::ok) ? 0 : 1;
    }

    private static void write(Path file, JsonObject report) {
        if (file == null) return;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, gson(report) + "\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String gson(JsonObject o) {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(o);
    }

    private static JsonObject report(Plan plan, JsonObject machine, Compilation.Result compiled, BenchRun run) {
        JsonObject r = new JsonObject();
        r.addProperty("tool", "hyenac bench");
        r.addProperty("hyenac_version", version());
        r.addProperty("date_utc", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        r.add("machine", machine);
        r.addProperty("target", plan.target());
        r.addProperty("precision", plan.precision().suffix());
        r.addProperty("spec", plan.spec() == null ? null : plan.spec().toString());
        r.addProperty("model", compiled == null ? null : compiled.model().name());
        JsonArray ops = null;
        if (plan.spec() == null) {
            ops = new JsonArray();
            for (Operator o : plan.ops()) ops.add(o.flag);
            JsonObject c = new JsonObject();
            c.addProperty("width", plan.config().width());
            c.addProperty("groups", plan.config().groups());
            c.addProperty("heads", plan.config().heads());
            c.addProperty("head_dim", plan.config().headDim());
            c.addProperty("copy_bytes", plan.copyBytes());
            r.add("config", c);
        }
        r.add("ops", ops);
        r.add("timing", run.timing());
        JsonObject conventions = new JsonObject();
        conventions.addProperty("min_bytes", "hyena_se/mr/li: the gate-conv-gate core reads q, k, v and writes y, 4*B*L*D elements (8*B*D*L bytes in bf16);"
                + " attention: q, k, v and the output; copy: bytes read plus written; decode: every weight once plus the KV caches of the B sequences; filters not counted");
        conventions.addProperty("flops", "SEMANTICS.md 7: FIR 2*K*C per token, LI as an FFT of N = 2L: C*(10*N*log2 N + 6*N) per sequence,"
                + " causal attention 2*B*L^2*C (= 4*B*H*L^2*d/2), elementwise not counted; prefill: explain's FLOPs per token * L");
        r.add("conventions", conventions);
        r.addProperty("copy_gbps", run.copyGbps());
        r.add("points", run.pointsJson());
        if (!run.profiles().isEmpty()) {
            // length → the forward pass's breakdown
            JsonObject passes = new JsonObject();
            run.profiles().forEach((l, works) -> passes.add(String.valueOf(l), profileJson(works)));
            r.add("profile_ms", passes);
        }
        if (run.contextParallel() != null) r.add("context_parallel", run.contextParallel());
        if (!run.stepProfiles().isEmpty()) {
            // batch size → the step's breakdown
            JsonObject steps = new JsonObject();
            run.stepProfiles().forEach((b, works) -> steps.add(String.valueOf(b), profileJson(works)));
            r.add("decode_profile_ms", steps);
        }
        JsonArray notes = new JsonArray();
        run.notes().forEach(notes::add);
        r.add("notes", notes);
        return r;
    }

    /** Kind of work → {"ms": …, "count": …}, largest first. */
    private static JsonObject profileJson(Map<String, BenchTarget.Work> works) {
        JsonObject o = new JsonObject();
        works.forEach((kind, w) -> {
            JsonObject e = new JsonObject();
            e.addProperty("ms", w.ms());
            e.addProperty("count", w.count());
            o.add(kind, e);
        });
        return o;
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = BenchCommand.class.getResourceAsStream("/hyenac/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }
}
