package hyenac.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.backends.cpu.ContextParallelCpu;
import hyenac.backends.cpu.ContextParallelRank;
import hyenac.compiler.Compilation;
import hyenac.compiler.cp.PlanContextParallel;
import hyenac.explain.Explain;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** Runs a validated {@link BenchCommand.Plan} on a target, point by point, and builds the report. */
final class BenchRun {
    private final BenchCommand.Plan plan;
    private final BenchTarget target;
    private final PrintWriter log;
    private final Consumer<BenchRun> afterPoint;
    private final List<Point> points = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final long started = System.nanoTime();
    private Double copyGbps;
    /** Prefill length → where one forward pass's time goes. */
    private final Map<Integer, Map<String, BenchTarget.Work>> profiles = new java.util.LinkedHashMap<>();
    /** With --context-parallel: the ranks, the mode and what each rank sent in one pass at each length; null otherwise. */
    private JsonObject contextParallel;
    /** Batch size → where one decode step's time goes. */
    private final Map<Integer, Map<String, BenchTarget.Work>> stepProfiles = new java.util.LinkedHashMap<>();

    /** {@code afterPoint} sees the run after each point (the command saves the JSON so far). */
    BenchRun(BenchCommand.Plan plan, BenchTarget target, PrintWriter log, Consumer<BenchRun> afterPoint) {
        this.plan = plan;
        this.afterPoint = afterPoint;
        this.target = target;
        this.log = log;
        if (target.name().equals("cpu")) notes.add("cpu target: fp32, timed with the host clock (System.nanoTime), no cache flush between repetitions");
    }

    List<Point> points() { return points; }

    Double copyGbps() { return copyGbps; }

    List<String> notes() { return notes; }

    JsonObject contextParallel() { return contextParallel; }

    /** The forward pass's GPU time by kind of work at each prefill length (with --profile), empty otherwise. */
    Map<Integer, Map<String, BenchTarget.Work>> profiles() { return profiles; }

    /** A decode step's GPU time by kind of work (with --profile and decode steps), empty otherwise. */
    Map<Integer, Map<String, BenchTarget.Work>> stepProfiles() { return stepProfiles; }

    int elementBytes() { return target.precision().storage().bytes(); }

    /** Every operator point: the copy first (the bandwidth the others are compared with), then each operator at each shape. */
    void operators() {
        if (plan.ops().contains(Operator.COPY)) copy();
        long context = plan.shapes().stream().mapToLong(BenchCommand.Shape::length).max().orElse(1);
        for (Operator op : plan.ops()) {
            if (op == Operator.COPY) continue;
            Operator.Model m = op.model(plan.config(), context);
            WeightStore w = WeightStore.random(m.graph(), plan.seed());
            String variant = "hyenac " + target.name() + " " + target.precision().suffix()
                    + (op == Operator.ATTENTION ? " causal attention " + plan.config().heads() + "x" + plan.config().headDim() + " with RoPE"
                    : " gate-conv-gate core");
            try (BenchTarget.Runner r = target.open(m.graph(), w)) {
                for (BenchCommand.Shape s : plan.shapes()) {
                    measure(op.peerName, variant, s.batch(), s.length(), plan.config().width(), () -> {
                        Map<Integer, float[]> given = new HashMap<>();
                        long seed = plan.seed();
                        for (int v : m.given()) {
                            given.put(v, Inputs.random((long) s.batch() * s.length() * m.graph().value(v).type().channels(), seed++));
                        }
                        Samples t = r.forward(s.batch(), s.length(), null, given, Set.of(m.wanted()), plan.warmup(), plan.reps());
                        return new Point(op.peerName, variant, s.batch(), s.length(), plan.config().width(), t,
                                op.bytes(m, s.batch(), s.length(), elementBytes()), op.flops(m, s.batch(), s.length()),
                                (long) s.batch() * s.length(), null, "ok");
                    });
                }
            }
        }
    }

    private void copy() {
        long bytes = plan.copyBytes();
        String variant = target.name().equals("cuda") ? "cuMemcpyDtoDAsync of " + bytes / (1 << 20) + " MiB" : "System.arraycopy of " + bytes / (1 << 20) + " MiB";
        Point p = measure("copy", variant, 1, 0, plan.config().width(), () ->
                new Point("copy", variant, 1, 0, plan.config().width(), target.copy(bytes, plan.warmup(), plan.reps()), Counts.copyBytes(bytes),
                        null, 0, "bytes read plus bytes written, as the peer's copy row", "ok"));
        if (p.ok()) copyGbps = p.gbPerS();
    }

    /** The model's forward pass at the prefill length, then its decode steps after a prompt. */
    void model(Compilation.Result c) {
        Graph g = c.graph();
        String name = c.model().name();
        long width = c.model().width();
        log.println("random weights for " + name + " (" + String.format(Locale.ROOT, "%,d", Explain.of(g, c.model().context()).parameters())
                + " parameters)...");
        log.flush();
        WeightStore w = WeightStore.random(g, plan.seed());
        if (plan.contextParallel() > 1) {
            contextParallelPrefill(g, w, name, width);
            return;
        }
        try (BenchTarget.Runner r = target.open(g, w)) {
            for (int l : plan.prefills()) {
                String variant = name + " forward pass, logits at every position";
                measure("prefill", variant, 1, l, width, () -> new Point("prefill", variant, 1, l, width,
                        r.forward(1, l, Inputs.dna(l), Map.of(), Set.of(g.outputs().getFirst()), plan.warmup(), plan.reps()),
                        null, Explain.of(g, l).flopsPerToken() * l, l, "FLOPs by SEMANTICS.md §7 (explain's per-token count × L)", "ok"));
                if (plan.profile()) profile(r, l, g.outputs().getFirst());
            }
            if (plan.decode() > 0) {
                int p = plan.prompt(), n = plan.decode();
                // the middle of the timed steps: where the KV caches' size and attention's work are counted
                long position = p + plan.warmup() + 1 + n / 2;
                List<Integer> batches = plan.batches();
                for (int b : batches) {
                    String variant = name + " decode step of " + b + (b == 1 ? " sequence" : " sequences") + " after a " + p + "-token prompt"
                            + (b == 1 ? "" : " each");
                    Point point = measure("decode", variant, b, p, width, () -> new Point("decode", variant, b, p, width,
                            r.decode(Inputs.dna(b, p), b, p, n, plan.warmup()), (long) Counts.decodeBytesPerToken(g, position, b, elementBytes()),
                            b * Counts.decodeFlopsPerToken(g, position), b,
                            "B sequences decoded together after different prompts of L tokens; wall clock of each step() call: B tokens in, "
                                    + "the step, the logits [B, vocab] back on the host; greedy; tokens_per_s counts all B sequences, "
                                    + "tokens_per_s_per_sequence one; min_bytes = every weight once + the B KV caches at position " + position, "ok"));
                    // one more step of this batch size, while the runner holds its sequences
                    if (plan.profile() && point.ok()) profileStep(r, b);
                }
            }
        }
    }

    /** The forward pass split over {@code --context-parallel} in-process ranks: its time, and what each rank sent in one pass. */
    private void contextParallelPrefill(Graph g, WeightStore w, String name, long width) {
        for (int l : plan.prefills()) contextParallelPrefill(g, w, name, width, l);
    }

    private void contextParallelPrefill(Graph g, WeightStore w, String name, long width, int l) {
        int ranks = plan.contextParallel();
        String variant = name + " forward pass over " + ranks + " ranks (zig-zag, --cp-mode " + plan.cpMode().flag() + "), logits at every position";
        long[] tokens = Inputs.dna(l);
        Set<Integer> wanted = Set.of(g.outputs().getFirst());
        ContextParallelCpu.Result[] last = new ContextParallelCpu.Result[1];
        Point p = measure("prefill", variant, 1, l, width, () -> {
            ContextParallelCpu cp = new ContextParallelCpu(PlanContextParallel.plan(g, ranks, plan.cpMode()));
            Samples t = CpuBenchTarget.time(() -> last[0] = cp.run(g, w, 1, l, tokens, Map.of(), wanted), plan.warmup(), plan.reps());
            return new Point("prefill", variant, 1, l, width, t, null, Explain.of(g, l).flopsPerToken() * l, l,
                    "FLOPs by SEMANTICS.md §7 over all ranks; the ranks are threads of one process sharing its cores", "ok");
        });
        if (!p.ok()) return;
        if (contextParallel == null) {
            contextParallel = new JsonObject();
            contextParallel.addProperty("ranks", ranks);
            contextParallel.addProperty("mode", plan.cpMode().flag());
            contextParallel.add("per_rank_by_length", new JsonObject());
        }
        JsonArray perRank = new JsonArray();
        List<List<ContextParallelRank.Sent>> traffic = last[0].traffic();
        for (int r = 0; r < traffic.size(); r++) {
            Map<String, Long> byKind = new java.util.TreeMap<>();
            long total = 0;
            for (ContextParallelRank.Sent sent : traffic.get(r)) {
                byKind.merge(sent.kind(), sent.elements(), Long::sum);
                total += sent.elements();
            }
            JsonObject rank = new JsonObject();
            rank.addProperty("rank", r);
            rank.addProperty("sent_elements", total);
            JsonObject kinds = new JsonObject();
            byKind.forEach(kinds::addProperty);
            rank.add("sent_elements_by_kind", kinds);
            perRank.add(rank);
            log.printf(Locale.ROOT, "  rank %d sent %,d elements in one pass %s%n", r, total, byKind);
        }
        contextParallel.getAsJsonObject("per_rank_by_length").add(String.valueOf(l), perRank);
        afterPoint.accept(this);
    }

    /** One more decode step of {@code batch} sequences after the timed ones, each operation between its own events: where a step's time goes. */
    private void profileStep(BenchTarget.Runner r, int batch) {
        long[] tokens = new long[batch];
        Arrays.fill(tokens, Inputs.dna(1)[0]);
        Map<String, BenchTarget.Work> stepProfile = r.profileStep(tokens);
        if (stepProfile.isEmpty()) {
            String note = "--profile: the " + target.name() + " target does not break a decode step down";
            if (!notes.contains(note)) notes.add(note);
            return;
        }
        stepProfiles.put(batch, stepProfile);
        print("one decode step of " + batch + (batch == 1 ? " sequence" : " sequences"), stepProfile);
        afterPoint.accept(this);
    }

    private void print(String what, Map<String, BenchTarget.Work> works) {
        double total = works.values().stream().mapToDouble(BenchTarget.Work::ms).sum();
        int count = works.values().stream().mapToInt(BenchTarget.Work::count).sum();
        log.printf(Locale.ROOT, "  profile of %s (%.3f ms in %d operations, a synchronisation after each):%n", what, total, count);
        works.forEach((kind, w) -> log.printf(Locale.ROOT, "    %-22s %5d x %9.3f ms  %5.1f%%%n", kind, w.count(), w.ms(), 100 * w.ms() / total));
        log.flush();
    }

    /** One more forward pass, each operation between its own events: where the time goes. */
    private void profile(BenchTarget.Runner r, int length, int logits) {
        Map<String, BenchTarget.Work> profile = r.profile(1, length, Inputs.dna(length), Set.of(logits));
        if (profile.isEmpty()) {
            notes.add("--profile: the " + target.name() + " target does not break a pass down");
            return;
        }
        profiles.put(length, profile);
        print("one forward pass at L=" + length, profile);
        afterPoint.accept(this);
    }

    private interface Work {
        Point run();
    }

    /** Runs one point; a point past the time budget, or one the device cannot run (out of memory), is recorded and skipped. */
    private Point measure(String op, String variant, long batch, long length, long width, Work work) {
        Point p;
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (plan.timeBudget() > 0 && elapsed > plan.timeBudget()) {
            p = Point.failed(op, variant, batch, length, width, "skipped: time budget (" + plan.timeBudget() + " s)");
        } else {
            try {
                p = work.run();
            } catch (RuntimeException | OutOfMemoryError e) {
                // e.g. out of GPU memory at a long shape: the other points still run
                p = Point.failed(op, variant, batch, length, width, "error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        points.add(p);
        log.println(p.ok() ? String.format(Locale.ROOT, "  %-9s B=%d L=%-6d %10.4f ms%s%s", op, batch, length, p.samples().median(),
                p.gbPerS() == null ? "" : "  " + Table.num(p.gbPerS()) + " GB/s", p.tflops() == null ? "" : "  " + Table.num(p.tflops()) + " TFLOP/s")
                + (p.tokensPerSPerSequence() == null ? "" : "  " + Table.num(p.tokensPerS()) + " tokens/s (" + Table.num(p.tokensPerSPerSequence())
                        + " per sequence)")
                : "  " + op + " B=" + batch + " L=" + length + ": " + p.status());
        log.flush();
        afterPoint.accept(this);
        return p;
    }

    JsonArray pointsJson() {
        JsonArray a = new JsonArray();
        for (Point p : points) a.add(p.json(copyGbps));
        return a;
    }

    JsonObject timing() {
        JsonObject t = new JsonObject();
        t.addProperty("timer", target.timer());
        t.addProperty("untimed_first_run", true);
        t.addProperty("warmup", plan.warmup());
        t.addProperty("reps", plan.reps());
        t.addProperty("l2_flush_bytes", target.name().equals("cuda") ? CudaBenchTarget.FLUSH_BYTES : null);
        t.addProperty("decode", "median of the wall-clock time of each decode step() (synchronous; includes the logits download)");
        return t;
    }
}
