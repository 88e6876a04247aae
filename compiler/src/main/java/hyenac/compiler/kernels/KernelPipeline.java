package hyenac.compiler.kernels;

import hyenac.compiler.passes.PassManager;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.PlanPrinter;
import hyenac.ir.plan.PlanVerifier;
import hyenac.ir.plan.Planner;
import hyenac.ir.plan.Shape;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The back half of the compiler, after the graph passes: for one graph and one target, each plan a run asks for
 * is made by four stages in order —
 * <ol>
 *   <li>{@code fuse-kernels}: the nodes the run needs, grouped into kernels ({@link FuseKernels});</li>
 *   <li>{@code select-algorithms}: each convolution's algorithm, by {@code hyenac tune}'s measurements on the target's
 *       device or else the target's cost model ({@link SelectAlgorithms});</li>
 *   <li>{@code lower-to-kernels}: the groups as the target's kernels and library calls over buffers ({@link Lowering});</li>
 *   <li>{@code plan-memory}: the buffers placed in one pool by liveness ({@link PlanMemory}).</li>
 * </ol>
 * Lowering comes before memory planning because the scratch a kernel needs is known only once it is chosen.
 * Every plan is verified ({@link PlanVerifier}) and kept, so asking again costs nothing. Backends run what this makes.
 */
public final class KernelPipeline implements Planner {
    public static final List<String> STAGES = List.of("fuse-kernels", "select-algorithms", "lower-to-kernels", "plan-memory");
    /** Where costs are judged and pools printed: one sequence of 8192 tokens (Evo 2's context), a KV cache beside it. */
    public static final Shape REFERENCE = new Shape(1, 8192, 8192 + 64);

    /** The shape a phase is judged and printed at: {@link #REFERENCE}, or in a decode step one token against its KV cache. */
    public static Shape reference(Phase phase) {
        return phase == Phase.STEP ? new Shape(REFERENCE.batch(), 1, REFERENCE.capacity()) : REFERENCE;
    }

    private final Graph graph;
    private final Lowering lowering;
    private final boolean fusion;
    private final SelectAlgorithms.Guides guides;
    private final Map<Key, Plan> plans = new HashMap<>();
    private final Map<Key, List<SelectAlgorithms.Choice>> choices = new HashMap<>();
    private final List<PassManager.Timing> timings = new ArrayList<>();
    private Set<String> printAfter = Set.of();
    private PrintWriter out;

    private record Key(Phase phase, Set<Integer> given, Set<Integer> wanted) {}

    /** {@code fusion} false runs one kernel per node (to compare, or to find a fused kernel's fault). */
    public KernelPipeline(Graph graph, Lowering lowering, boolean fusion) { this(graph, lowering, fusion, SelectAlgorithms.Guides.NONE); }

    /**
     * {@code preferred}: an algorithm chosen wherever the target offers it, whatever the costs say (null: the cheapest,
     * always); no measurements.
     */
    public KernelPipeline(Graph graph, Lowering lowering, boolean fusion, Algorithm preferred) {
        this(graph, lowering, fusion, new SelectAlgorithms.Guides(Tuning.none(), preferred, Map.of()));
    }

    public KernelPipeline(Graph graph, Lowering lowering, boolean fusion, SelectAlgorithms.Guides guides) {
        this.graph = graph;
        this.lowering = lowering;
        this.fusion = fusion;
        this.guides = guides;
    }

    /**
     * As a user's run plans: with fusion unless {@code -Dhyenac.fusion=false}, by {@code hyenac tune}'s measurements where
     * it made them ({@link Tuning#standard()}), and {@code -Dhyenac.algorithm=NAME} (direct, blocked, fft, fused_fft, scan, flash, flash_wgmma)
     * preferring that algorithm wherever it is offered, to time it against the choice.
     */
    public KernelPipeline(Graph graph, Lowering lowering) {
        this(graph, lowering, !"false".equals(System.getProperty("hyenac.fusion")),
                new SelectAlgorithms.Guides(Tuning.standard(), preferred(System.getProperty("hyenac.algorithm")), Map.of()));
    }

    /** This pipeline, choosing per phase the algorithms {@code stored} names by node id (an artifact's, which run as compiled). */
    public KernelPipeline withStored(Map<Phase, Map<Integer, Algorithm>> stored) {
        return new KernelPipeline(graph, lowering, fusion, new SelectAlgorithms.Guides(guides.tuning(), guides.preferred(), stored));
    }

    /** The algorithm {@code -Dhyenac.algorithm} names, or null when it is not set; a name of none is an IllegalArgumentException. */
    public static Algorithm preferred(String name) {
        if (name == null || name.isBlank()) return null;
        for (Algorithm a : Algorithm.values()) if (a.spelling().equals(name.strip().toLowerCase(Locale.ROOT))) return a;
        throw new IllegalArgumentException("-Dhyenac.algorithm=" + name + " names no algorithm; choose from "
                + java.util.Arrays.stream(Algorithm.values()).map(Algorithm::spelling).toList());
    }

    public KernelPipeline printAfter(Set<String> names, PrintWriter to) {
        this.printAfter = Set.copyOf(names);
        this.out = to;
        return this;
    }

    @Override public Graph graph() { return graph; }

    public Lowering lowering() { return lowering; }

    public synchronized List<PassManager.Timing> timings() { return List.copyOf(timings); }

    @Override public synchronized Plan plan(Phase phase, Set<Integer> given, Collection<Integer> wanted) {
        Key key = new Key(phase, Set.copyOf(given), Set.copyOf(wanted));
        Plan kept = plans.get(key);
        if (kept != null) return kept;
        Plan p = make(key, phase, given, wanted);
        plans.put(key, p);
        return p;
    }

    /** The algorithm choices behind the plan of a model run in {@code phase} (planned first if it was not), and why each was made. */
    public synchronized List<SelectAlgorithms.Choice> choices(Phase phase) {
        Plan p = plan(phase);
        return choices.get(new Key(phase, Set.copyOf(p.given()), Set.copyOf(p.wanted())));
    }

    private Plan make(Key key, Phase phase, Set<Integer> given, Collection<Integer> wanted) {
        List<Node> order = graph.slice(given, wanted);
        Set<Integer> available = new HashSet<>(given);
        for (Node n : order) available.addAll(n.results());
        for (int w : wanted) {
            if (!available.contains(w)) throw new IllegalArgumentException("value %" + w + " cannot be computed from the given values");
        }

        long t0 = System.nanoTime();
        List<Group> groups = fusion ? FuseKernels.standard().run(graph, order, wanted, mode(phase)) : order.stream().map(Group::single).toList();
        t0 = time("fuse-kernels", t0);
        print("fuse-kernels", phase, () -> groups(groups));

        List<SelectAlgorithms.Choice> chosen = SelectAlgorithms.run(graph, groups, phase, reference(phase), lowering, guides);
        choices.put(key, chosen);
        Map<Integer, Algorithm> algorithms = new LinkedHashMap<>();
        for (SelectAlgorithms.Choice c : chosen) algorithms.put(c.node().id(), c.algorithm());
        t0 = time("select-algorithms", t0);
        print("select-algorithms", phase, () -> choices(chosen, phase));

        Plan lowered = lowering.lower(graph, groups, algorithms, phase, given, wanted);
        t0 = time("lower-to-kernels", t0);
        print("lower-to-kernels", phase, () -> PlanPrinter.print(lowered));

        Plan planned = PlanMemory.run(lowered);
        time("plan-memory", t0);
        PlanVerifier.verify(planned);
        print("plan-memory", phase, () -> PlanPrinter.print(planned, reference(phase)));
        return planned;
    }

    private static FuseKernels.Mode mode(Phase phase) {
        return switch (phase) {
            case PARALLEL -> FuseKernels.Mode.PARALLEL;
            case PREFILL -> FuseKernels.Mode.PREFILL;
            case STEP -> FuseKernels.Mode.STEP;
        };
    }

    private long time(String stage, long since) {
        long now = System.nanoTime();
        timings.add(new PassManager.Timing(stage, (now - since) / 1e6));
        return now;
    }

    private void print(String stage, Phase phase, java.util.function.Supplier<String> text) {
        if (out != null && (printAfter.contains(stage) || printAfter.contains("all"))) {
            out.println("// ----- " + phase.spelling() + " after " + stage);
            out.print(text.get());
            out.flush();
        }
    }

    /** One line per group: its index, kind, nodes and the values it reads and writes. */
    public static String groups(List<Group> groups) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < groups.size(); i++) {
            Group g = groups.get(i);
            s.append("group ").append(i).append("  ").append(g).append("  ; ").append(g.nodes().getLast().path()).append('\n');
        }
        return s.toString();
    }

    /**
     * One line per convolution: the node, its path, the choice, why when it is not the cost model's (measured, preferred,
     * stored), and every cost it was weighed against (the measured times, when measured).
     */
    public String choices(List<SelectAlgorithms.Choice> choices, Phase phase) {
        Algorithm preferred = guides.preferred();
        StringBuilder s = new StringBuilder("// costs at " + reference(phase) + " on " + lowering.target() + ", " + lowering.device()
                + (preferred != null ? ", " + preferred.spelling() + " preferred wherever offered (-Dhyenac.algorithm)" : "") + "\n");
        for (SelectAlgorithms.Choice c : choices) {
            s.append(c.node().op()).append(" ").append(c.node().path()).append(" -> ").append(c.algorithm().spelling()).append("  ");
            s.append(switch (c.basis()) {
                case MODEL -> "";
                case MEASURED -> "measured ";
                case PREFERRED -> "preferred ";
                case STORED -> "as stored ";
            });
            List<String> costs = new ArrayList<>();
            c.costs().forEach((a, sec) -> costs.add(a.spelling() + " " + String.format(Locale.ROOT, "%.3g", sec * 1e6) + " us"));
            s.append("(").append(String.join(", ", costs)).append(")\n");
        }
        return s.toString();
    }
}
