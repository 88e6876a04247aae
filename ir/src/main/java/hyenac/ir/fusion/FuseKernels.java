package hyenac.ir.fusion;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The fusion pass: groups a graph's nodes into kernels by pattern kind. Each pattern, in priority order, is
 * offered every node in graph order; a group it forms is accepted when its nodes are all free and contracting
 * it keeps the graph of groups acyclic. Nodes no pattern takes run alone ({@link Group#SINGLE}). The groups come
 * out in an order that runs every node after its operands' producers, as close to graph order as that allows.
 * Deterministic: the same graph and request give the same groups.
 */
public final class FuseKernels {
    /** What a run fuses for. */
    public enum Mode {
        /** A parallel pass over whole sequences. */
        PARALLEL,
        /** A prompt's parallel pass that then builds the recurrent states: the operands of recurrent nodes stay in memory. */
        PREFILL,
        /** One decode step: recurrent nodes run alone, through their step kernels, unless a pattern steps their state itself. */
        STEP
    }

    private final List<Pattern> patterns;

    public FuseKernels(List<Pattern> patterns) { this.patterns = List.copyOf(patterns); }

    /** The standard patterns ({@link Patterns#STANDARD}). */
    public static FuseKernels standard() { return new FuseKernels(Patterns.STANDARD); }

    /** Every node of a parallel pass, only the graph's outputs kept. */
    public List<Group> run(Graph g) { return run(g, g.nodes(), Set.of(), Mode.PARALLEL); }

    /**
     * @param nodes the nodes that run (others do not: the values they produce come from outside the run)
     * @param keep  values that must be materialised besides the graph's outputs (wanted or probed values)
     */
    public List<Group> run(Graph g, Collection<Node> nodes, Collection<Integer> keep, Mode mode) {
        Run r = new Run(g, nodes, keep, mode);
        for (Pattern p : patterns) {
            if (!p.runsIn(mode)) continue;
            r.matching = p;
            for (Node n : r.order) {
                if (!r.free(n)) continue;
                Optional<Set<Node>> m = p.match(n, r);
                if (m.isPresent() && m.get().size() >= 2 && m.get().stream().allMatch(r::free) && r.schedulable(m.get())) r.accept(p.kind(), m.get());
            }
        }
        return r.groups();
    }

    /** One run of the pass: the nodes that run, their uses, and the groups accepted so far. */
    private static final class Run implements Pattern.Context {
        final Graph graph;
        final List<Node> order = new ArrayList<>();
        final Map<Node, Integer> position = new HashMap<>();
        final Map<Integer, Node> producers = new HashMap<>();
        final Map<Integer, List<Node>> users = new HashMap<>();
        final Set<Integer> kept = new HashSet<>();
        final Set<Node> alone = new HashSet<>();
        /** The pattern being matched: one that steps decode state may take the nodes a decode step otherwise runs alone. */
        Pattern matching;
        /** Accepted groups by index: their kinds and their nodes' positions; groupOf and groupAt map nodes (positions) to the index. */
        final List<String> kinds = new ArrayList<>();
        final List<int[]> members = new ArrayList<>();
        final Map<Node, Integer> groupOf = new HashMap<>();
        final int[] groupAt;
        /** By position: the positions of the running nodes reading a node's results. */
        final int[][] readers;
        /** Scratch of {@link #schedulable}: marks stamped per call, and its search stack. */
        final int[] mark, stack;
        int stamp;

        Run(Graph g, Collection<Node> nodes, Collection<Integer> keep, Mode mode) {
            this.graph = g;
            Set<Node> running = new HashSet<>(nodes);
            for (Node n : g.nodes()) {
                if (!running.contains(n)) continue;
                position.put(n, order.size());
                order.add(n);
                for (int r : n.results()) producers.put(r, n);
                for (int v : new LinkedHashSet<>(n.operands())) users.computeIfAbsent(v, x -> new ArrayList<>()).add(n);
            }
            readers = new int[order.size()][];
            for (int i = 0; i < order.size(); i++) {
                Set<Integer> r = new LinkedHashSet<>();
                for (int v : order.get(i).results()) for (Node u : users(v)) r.add(position.get(u));
                readers[i] = r.stream().mapToInt(Integer::intValue).toArray();
            }
            mark = new int[order.size()];
            stack = new int[order.size()];
            groupAt = new int[order.size()];
            Arrays.fill(groupAt, -1);
            kept.addAll(keep);
            kept.addAll(g.outputs());
            for (Node n : order) {
                if (!n.primitive().stateful()) continue; // keeps recurrent state while decoding
                if (mode == Mode.PREFILL) kept.addAll(n.operands());
                if (mode == Mode.STEP) alone.add(n);
            }
        }

        @Override public Graph graph() { return graph; }

        @Override public Node producer(int value) { return producers.get(value); }

        @Override public List<Node> users(int value) { return users.getOrDefault(value, List.of()); }

        @Override public boolean free(Node n) {
            return position.containsKey(n) && !groupOf.containsKey(n) && (!alone.contains(n) || matching != null && matching.stepsState());
        }

        @Override public boolean kept(int value) { return kept.contains(value); }

        /**
         * The graph of groups (accepted ones and {@code nodes}, each contracted) stays acyclic when no path leaves
         * {@code nodes} and comes back: a search from their readers outside, moving through a group as through one
         * vertex, must not reach them. It was acyclic before, so any new cycle passes through {@code nodes}.
         * Over positions with stamped marks: patterns ask this often, on graphs of a thousand nodes.
         */
        @Override public boolean schedulable(Collection<Node> nodes) {
            int candidate = ++stamp, seen = ++stamp;
            for (Node n : nodes) {
                Integer p = position.get(n);
                if (p == null) return false;
                mark[p] = candidate;
            }
            int top = 0;
            for (Node n : nodes) {
                for (int r : readers[position.get(n)]) {
                    if (mark[r] != candidate && mark[r] != seen) {
                        mark[r] = seen;
                        stack[top++] = r;
                    }
                }
            }
            while (top > 0) {
                int n = stack[--top];
                if (groupAt[n] >= 0) {
                    for (int m : members.get(groupAt[n])) {
                        if (mark[m] != seen) {
                            mark[m] = seen;
                            stack[top++] = m;
                        }
                    }
                }
                for (int r : readers[n]) {
                    if (mark[r] == candidate) return false;
                    if (mark[r] != seen) {
                        mark[r] = seen;
                        stack[top++] = r;
                    }
                }
            }
            return true;
        }

        void accept(String kind, Set<Node> nodes) {
            int index = kinds.size();
            kinds.add(kind);
            members.add(nodes.stream().mapToInt(position::get).toArray());
            for (Node n : nodes) {
                groupOf.put(n, index);
                groupAt[position.get(n)] = index;
            }
        }

        /** Every node in a group (accepted or single), the groups in dependence order, ties broken by their first node. */
        List<Group> groups() {
            // slots in the graph order of their first nodes: a node alone, or an accepted group at its first node
            List<List<Node>> slots = new ArrayList<>();
            List<String> kind = new ArrayList<>();
            Map<Integer, Integer> slotOfGroup = new HashMap<>();
            Map<Node, Integer> of = new HashMap<>();
            for (Node n : order) {
                Integer g = groupOf.get(n);
                Integer slot = g == null ? null : slotOfGroup.get(g);
                if (slot == null) {
                    slot = slots.size();
                    slots.add(new ArrayList<>());
                    kind.add(g == null ? Group.SINGLE : kinds.get(g));
                    if (g != null) slotOfGroup.put(g, slot);
                }
                slots.get(slot).add(n);
                of.put(n, slot);
            }
            int count = slots.size();
            List<Set<Integer>> successors = new ArrayList<>();
            int[] indegree = new int[count];
            for (int i = 0; i < count; i++) successors.add(new LinkedHashSet<>());
            for (Node n : order) {
                for (int operand : n.operands()) {
                    Node p = producers.get(operand);
                    if (p == null || of.get(p).equals(of.get(n))) continue;
                    if (successors.get(of.get(p)).add(of.get(n))) indegree[of.get(n)]++;
                }
            }
            // the smallest ready slot is the one whose first node comes earliest
            PriorityQueue<Integer> ready = new PriorityQueue<>();
            for (int i = 0; i < count; i++) if (indegree[i] == 0) ready.add(i);
            List<Group> out = new ArrayList<>();
            while (!ready.isEmpty()) {
                int i = ready.poll();
                out.add(describe(kind.get(i), slots.get(i)));
                for (int s : successors.get(i)) if (--indegree[s] == 0) ready.add(s);
            }
            if (out.size() != count) throw new IllegalStateException("the groups form a cycle: a pattern broke the schedule");
            return out;
        }

        /** A group's inputs (values read from outside it) and materialised values. */
        private Group describe(String kind, List<Node> nodes) {
            Set<Integer> produced = new HashSet<>();
            for (Node n : nodes) produced.addAll(n.results());
            Set<Integer> inputs = new LinkedHashSet<>();
            for (Node n : nodes) for (int v : n.operands()) if (!produced.contains(v)) inputs.add(v);
            List<Integer> materialised = new ArrayList<>();
            for (Node n : nodes) {
                for (int r : n.results()) {
                    if (kind.equals(Group.SINGLE) || kept.contains(r) || !nodes.containsAll(users(r))) materialised.add(r);
                }
            }
            return new Group(kind, nodes, List.copyOf(inputs), materialised);
        }
    }
}
