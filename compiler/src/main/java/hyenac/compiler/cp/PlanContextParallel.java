package hyenac.compiler.cp;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.cp.ContextParallelException;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.cp.ContextParallelPlan.AllToAll;
import hyenac.ir.cp.ContextParallelPlan.Halo;
import hyenac.ir.cp.ContextParallelPlan.Local;
import hyenac.ir.cp.ContextParallelPlan.Ring;
import hyenac.ir.cp.ContextParallelPlan.Sharding;
import hyenac.ir.cp.ContextParallelPlan.Step;
import hyenac.ir.cp.CpMode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Plans context parallelism for a graph (the stage {@code context-parallel}): which convolutions run by all-to-all,
 * which by halo, attention as a ring, and everything else on the rank's shard as it is.
 *
 * <p>An all-to-all is costly, so each one does as much as it can: from each convolution that needs one (the anchor),
 * a region grows over its channel-local neighbours (channel selects, gates, other depthwise convolutions) while every
 * value stays divisible over the ranks, so that a Hyena operator exchanges its projection (3D) in and its gated output
 * (D) back, once, as the paper counts it. A region must be convex (no path leaves it and comes back), or it would wait
 * on itself; one that is not shrinks to its anchor. Steps are then ordered by the graph's order, a region where its
 * first node would run once its entries are ready.
 */
public final class PlanContextParallel {
    private final Graph g;
    private final int ranks;
    private final CpMode mode;
    private final Map<Node, Integer> index = new HashMap<>();
    private final Map<Integer, Node> producers = new HashMap<>();

    private PlanContextParallel(Graph g, int ranks, CpMode mode) {
        this.g = g;
        this.ranks = ranks;
        this.mode = mode;
        for (Node n : g.nodes()) {
            index.put(n, index.size());
            for (int r : n.results()) producers.put(r, n);
        }
    }

    /** The plan for {@code ranks} ranks; throws {@link ContextParallelException} naming what does not split and how to fix it. */
    public static ContextParallelPlan plan(Graph g, int ranks, CpMode mode) {
        if (ranks < 1) throw new ContextParallelException("--context-parallel needs at least 1 rank, not " + ranks);
        return new PlanContextParallel(g, ranks, mode).make();
    }

    private ContextParallelPlan make() {
        for (Node n : g.nodes()) {
            if (n.primitive().form() == Primitive.Form.TRAINING) {
                throw new ContextParallelException("context parallelism runs forward passes and generation; `" + n.op()
                        + "` is training's (run without --context-parallel)");
            }
        }
        // regions, grown from each anchor in graph order
        Map<Node, Integer> regionOf = new HashMap<>();
        List<Set<Node>> regions = new ArrayList<>();
        List<Node> anchorsOf = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!anchor(n) || regionOf.containsKey(n)) continue;
            checkAnchor(n);
            Set<Node> region = grow(n, regionOf);
            if (!convex(region)) region = new LinkedHashSet<>(List.of(n));
            for (Node m : region) regionOf.put(m, regions.size());
            regions.add(region);
            anchorsOf.add(n);
        }
        List<Step> steps = order(regions, regionOf);
        if (steps == null) { // regions that wait on each other: fall back to one per anchor, which cannot
            regionOf.clear();
            regions.clear();
            for (Node a : anchorsOf) {
                regionOf.put(a, regions.size());
                regions.add(new LinkedHashSet<>(List.of(a)));
            }
            steps = order(regions, regionOf);
        }
        Map<Integer, Sharding> values = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            for (int r : n.results()) values.put(r, regionOf.containsKey(n) ? Sharding.CHANNELS : Sharding.SEQUENCE);
        }
        return new ContextParallelPlan(ranks, mode, steps, values);
    }

    /** Whether a node needs an all-to-all of its own in this mode. */
    private boolean anchor(Node n) {
        return switch (n.primitive()) {
            case MODAL_CONV -> true;
            case CAUSAL_CONV -> switch (mode) {
                case A2A -> true;
                case P2P -> false;
                case AUTO -> n.intAttr("len") > CpMode.SHORT_TAPS;
            };
            default -> false;
        };
    }

    /** An anchor that cannot split over the ranks is the user's to fix: say how. */
    private void checkAnchor(Node n) {
        long channels = width(n.operands().getFirst());
        if (channels % ranks != 0) {
            throw new ContextParallelException(String.format(Locale.ROOT, "%s (%s over %d channels) needs an all-to-all, and %d channels do not"
                    + " split evenly over %d ranks; use a number of ranks that divides %d", n.path(), n.op(), channels, channels, ranks, channels));
        }
        if (n.is(Primitive.CAUSAL_CONV)) {
            long groups = n.intAttr("groups");
            if (groups % ranks != 0) {
                String p2p = n.intAttr("len") <= 1L << 10 ? ", or --cp-mode p2p (a halo exchange)" : "";
                throw new ContextParallelException(String.format(Locale.ROOT, "%s (causal_conv over %d channels in %d filter groups of %d)"
                                + " needs an all-to-all, and %d ranks would each hold %d channels, not a whole number of filter groups;"
                                + " use a number of ranks that divides %d%s", n.path(), channels, groups, channels / groups, ranks,
                        channels / ranks, groups, p2p));
            }
        }
    }

    /** Whether n may join a region: it reads and writes channel c of its values only, and they split over the ranks. */
    private boolean channelLocal(Node n) {
        boolean kind = switch (n.primitive()) {
            case DEINTERLEAVE, ADD, SUB, MUL, SCALE, NEG, IDENTITY, GELU, SILU, RELU, MODAL_CONV -> true;
            case CAUSAL_CONV -> mode != CpMode.P2P && n.intAttr("groups") % ranks == 0;
            default -> false;
        };
        if (!kind) return false;
        for (int v : n.operands()) if (width(v) % ranks != 0) return false;
        for (int v : n.results()) if (width(v) % ranks != 0) return false;
        return true;
    }

    private Set<Node> grow(Node anchor, Map<Node, Integer> taken) {
        Set<Node> region = new LinkedHashSet<>(List.of(anchor));
        Deque<Node> todo = new ArrayDeque<>(List.of(anchor));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            // back: the producers of what it reads
            for (int v : n.operands()) {
                Node p = producers.get(v);
                if (p != null && !region.contains(p) && !taken.containsKey(p) && channelLocal(p)) {
                    region.add(p);
                    todo.push(p);
                }
            }
            // forward: readers whose every operand the region makes
            for (int r : n.results()) {
                for (Node m : g.users(r)) {
                    if (region.contains(m) || taken.containsKey(m) || !channelLocal(m)) continue;
                    if (m.operands().stream().allMatch(v -> producers.get(v) != null && region.contains(producers.get(v)))) {
                        region.add(m);
                        todo.push(m);
                    }
                }
            }
        }
        return region;
    }

    /** No node outside the region is both reachable from it and able to reach it. */
    private boolean convex(Set<Node> region) {
        Set<Node> below = new HashSet<>();
        Deque<Node> todo = new ArrayDeque<>();
        for (Node n : region) for (int r : n.results()) todo.addAll(g.users(r));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (region.contains(n) || !below.add(n)) continue;
            for (int r : n.results()) todo.addAll(g.users(r));
        }
        Set<Node> seen = new HashSet<>();
        for (Node n : region) for (int v : n.operands()) if (producers.get(v) != null) todo.add(producers.get(v));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (region.contains(n) || !seen.add(n)) continue;
            if (below.contains(n)) return false;
            for (int v : n.operands()) if (producers.get(v) != null) todo.add(producers.get(v));
        }
        return true;
    }

    /** The steps in an order every input is ready by, regions as one unit; null when regions wait on each other. */
    private List<Step> order(List<Set<Node>> regions, Map<Node, Integer> regionOf) {
        // units: a region is -1 - its index, a lone node its graph index
        Map<Integer, Set<Integer>> after = new HashMap<>();
        Map<Integer, Integer> waiting = new HashMap<>();
        Map<Integer, Integer> first = new HashMap<>();
        for (Node n : g.nodes()) {
            int u = unit(n, regionOf);
            first.merge(u, index.get(n), Math::min);
            waiting.putIfAbsent(u, 0);
        }
        for (Node n : g.nodes()) {
            int u = unit(n, regionOf);
            for (int v : n.operands()) {
                Node p = producers.get(v);
                if (p == null) continue;
                int pu = unit(p, regionOf);
                if (pu != u && after.computeIfAbsent(pu, k -> new HashSet<>()).add(u)) waiting.merge(u, 1, Integer::sum);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>(Comparator.comparing(first::get));
        waiting.forEach((u, w) -> { if (w == 0) ready.add(u); });
        List<Step> steps = new ArrayList<>();
        while (!ready.isEmpty()) {
            int u = ready.poll();
            steps.add(u < 0 ? region(-1 - u, regions.get(-1 - u), regionOf) : lone(g.nodes().get(u)));
            for (int next : after.getOrDefault(u, Set.of())) if (waiting.merge(next, -1, Integer::sum) == 0) ready.add(next);
        }
        return steps.size() == waiting.size() ? steps : null;
    }

    private int unit(Node n, Map<Node, Integer> regionOf) {
        Integer r = regionOf.get(n);
        return r != null ? -1 - r : index.get(n);
    }

    private Step lone(Node n) {
        return switch (n.primitive()) {
            case CAUSAL_CONV -> new Halo(n, width(n.operands().getFirst()), Math.toIntExact(n.intAttr("len")));
            case CAUSAL_ATTENTION -> new Ring(n, width(n.operands().getFirst()));
            default -> new Local(n);
        };
    }

    private Step region(int id, Set<Node> region, Map<Node, Integer> regionOf) {
        List<Node> nodes = region.stream().sorted(Comparator.comparing(index::get)).toList();
        Set<Integer> made = new HashSet<>();
        for (Node n : nodes) made.addAll(n.results());
        Set<Integer> entries = new LinkedHashSet<>(), exits = new LinkedHashSet<>();
        for (Node n : nodes) for (int v : n.operands()) if (!made.contains(v)) entries.add(v);
        for (Node n : nodes) {
            for (int r : n.results()) {
                if (g.users(r).stream().anyMatch(m -> !region.contains(m)) || g.outputs().contains(r)) exits.add(r);
            }
        }
        Map<Integer, Long> widths = new HashMap<>();
        for (int v : entries) widths.put(v, width(v));
        for (int v : exits) widths.put(v, width(v));
        List<Node> anchors = nodes.stream().filter(this::anchor).toList();
        return new AllToAll(id + 1, nodes, anchors, List.copyOf(entries), List.copyOf(exits), widths);
    }

    private long width(int value) { return g.value(value).type().channels(); }
}
