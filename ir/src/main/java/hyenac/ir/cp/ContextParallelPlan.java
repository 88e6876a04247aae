package hyenac.ir.cp;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How one graph runs with its sequence split over N ranks in the {@link Zigzag} layout: the steps in order, each a
 * node run on the rank's shard or an exchange, and the sharding of every value. Device-neutral: the CPU runs it with
 * an in-process communicator; a GPU backend would run the same steps with NCCL. The compiler makes it
 * ({@code compiler/cp/PlanContextParallel}); this says what it is and how much each step sends.
 *
 * <p>Counts are per rank, in elements (the paper's unit): an all-to-all region sends (N−1)/N² · B·L · C for each value
 * C channels wide it exchanges (entries in, exits back; for a Hyena operator 3D in and D out, 4·(N−1)/N²·D·L); a halo
 * sends B·(K−1)·C to each neighbour rank (two at most: 2·D·(K−1)); a ring sends its keys and values N−1 times.
 */
public record ContextParallelPlan(int ranks, CpMode mode, List<Step> steps, Map<Integer, Sharding> values) {
    public ContextParallelPlan {
        steps = List.copyOf(steps);
        values = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(values));
    }

    /** Where a value's elements are. */
    public enum Sharding {
        /** [B, L/N, C]: the rank's two zig-zag chunks, every channel. */
        SEQUENCE,
        /** [B, L, C/N]: every position, the rank's contiguous slice of channels (inside an all-to-all region). */
        CHANNELS
    }

    /** One step of a rank's pass. */
    public sealed interface Step {
        /** What the step sends from {@code rank} to other ranks, in elements. */
        long sent(int rank, int ranks, long batch, long length);

        String kind();
    }

    /** A node whose every output position needs only the same position of its inputs: runs on the shard as is. */
    public record Local(Node node) implements Step {
        public long sent(int rank, int ranks, long batch, long length) { return 0; }

        public String kind() { return "local"; }
    }

    /**
     * A short causal convolution by point-to-point halo: each rank sends the last K−1 positions of each of its chunks
     * to the rank holding the next chunk, then convolves each chunk with the halo before it (zeros before chunk 0).
     */
    public record Halo(Node node, long channels, int taps) implements Step {
        public long sent(int rank, int ranks, long batch, long length) {
            // chunk r's tail goes to rank r+1 and chunk 2N−1−r's to rank r−1; the last rank keeps chunk N−1's for itself
            int messages = (rank < ranks - 1 ? 1 : 0) + (rank > 0 ? 1 : 0);
            return messages * batch * (taps - 1) * channels;
        }

        public String kind() { return "p2p"; }
    }

    /**
     * Causal attention as a ring: each rank keeps its queries and passes its (rotated) keys and values around the
     * ring N−1 times, combining each block with an online softmax under the causal mask of the global positions.
     */
    public record Ring(Node node, long channels) implements Step {
        public long sent(int rank, int ranks, long batch, long length) {
            return (ranks - 1) * 2 * batch * (length / ranks) * channels;
        }

        public String kind() { return "ring"; }
    }

    /**
     * Channel-local nodes (depthwise convolutions, channel selects, gates) run over the whole length on a slice of
     * channels: entries exchanged [B, L/N, C] → [B, L, C/N], the nodes run, exits exchanged back. Filters stay where
     * they are: each rank uses its channels' filters. {@code anchors}: the convolutions that called for it.
     */
    public record AllToAll(int id, List<Node> nodes, List<Node> anchors, List<Integer> entries, List<Integer> exits,
                           Map<Integer, Long> widths) implements Step {
        public AllToAll {
            nodes = List.copyOf(nodes);
            anchors = List.copyOf(anchors);
            entries = List.copyOf(entries);
            exits = List.copyOf(exits);
            widths = Map.copyOf(widths);
        }

        public long sent(int rank, int ranks, long batch, long length) {
            long channels = 0;
            for (int v : entries) channels += widths.get(v);
            for (int v : exits) channels += widths.get(v);
            return exchanged(ranks, batch, length, channels);
        }

        /** One all-to-all of a value C channels wide: every rank sends N−1 of its N blocks, B·(L/N)·(C/N) each. */
        public static long exchanged(int ranks, long batch, long length, long channels) {
            return (ranks - 1) * batch * (length / ranks) * (channels / ranks);
        }

        public String kind() { return "a2a"; }
    }

    /** The step that runs a node (its region's, for a node inside an all-to-all region). */
    public Step stepOf(Node n) {
        for (Step s : steps) {
            boolean has = switch (s) {
                case Local l -> l.node().id() == n.id();
                case Halo h -> h.node().id() == n.id();
                case Ring r -> r.node().id() == n.id();
                case AllToAll a -> a.nodes().stream().anyMatch(m -> m.id() == n.id());
            };
            if (has) return s;
        }
        throw new IllegalArgumentException("node " + n.id() + " is not in the plan");
    }

    public Sharding sharding(int value) { return values.getOrDefault(value, Sharding.SEQUENCE); }

    /**
     * Refuses a length this plan cannot run: one that does not cut into 2N chunks, or chunks shorter than a halo
     * (K−1 positions must come from the one chunk before).
     */
    public Zigzag layout(int length) {
        Zigzag z = new Zigzag(ranks, length);
        for (Step s : steps) {
            if (s instanceof Halo h && h.taps() - 1 > z.chunk()) {
                throw new ContextParallelException(String.format(Locale.ROOT,
                        "%s (causal_conv, %d taps) needs the %d positions before each chunk from the chunk before, but %d tokens over"
                                + " %d ranks make chunks of %d; use at least 2N·(K−1) = %d tokens, fewer ranks, or --cp-mode a2a",
                        h.node().path(), h.taps(), h.taps() - 1, length, ranks, z.chunk(), 2 * ranks * (h.taps() - 1)));
            }
        }
        return z;
    }

    /** The padded length a pass of {@code length} tokens runs at: the next that {@link #layout} accepts (causal: exact). */
    public int paddedLength(int length) {
        int chunks = 2 * ranks;
        int halo = steps.stream().mapToInt(s -> s instanceof Halo h ? h.taps() - 1 : 0).max().orElse(0);
        int padded = Math.max(Math.max(length, 1), chunks * halo);
        return (padded + chunks - 1) / chunks * chunks;
    }

    /** Elements {@code rank} sends in a whole pass. */
    public long sent(int rank, long batch, long length) {
        long total = 0;
        for (Step s : steps) total += s.sent(rank, ranks, batch, length);
        return total;
    }

    /** Steps by kind: how many of each, for summaries. */
    public Map<String, Integer> counts() {
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (String k : List.of("local", "a2a", "p2p", "ring")) out.put(k, 0);
        for (Step s : steps) out.merge(s.kind(), 1, Integer::sum);
        return out;
    }

    /**
     * The plan as text: the layout, then every step that communicates (with local steps counted between them), each
     * with what it exchanges and how much each rank sends at the given batch and length (length 0: formulas only).
     */
    public String print(Graph g, long batch, long length) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "context parallel: %d ranks, --cp-mode %s; zig-zag: 2N = %d chunks of L/%d, rank r holds"
                + " chunks r and %d−r%n", ranks, mode.flag(), 2 * ranks, 2 * ranks, 2 * ranks - 1));
        if (length > 0) out.append(String.format(Locale.ROOT, "  at B = %d, L = %d: elements sent per rank (the busiest rank)%n", batch, length));
        int local = 0, index = 0;
        for (Step s : steps) {
            if (s instanceof Local) {
                local++;
                continue;
            }
            if (local > 0) out.append(String.format(Locale.ROOT, "  %d local step%s%n", local, local == 1 ? "" : "s"));
            local = 0;
            index++;
            String volume = length > 0 ? String.format(Locale.ROOT, "  sends %,d", busiest(s, batch, length)) : "";
            switch (s) {
                case Halo h -> out.append(String.format(Locale.ROOT, "  p2p   %-28s %%%d → %%%d  causal_conv %d taps over %d channels: halo of %d"
                                + " positions to the next chunk's rank; per rank ≤ 2·C·(K−1)·B%s%n", h.node().path(), h.node().operands().getFirst(),
                        h.node().results().getFirst(), h.taps(), h.channels(), h.taps() - 1, volume));
                case Ring r -> out.append(String.format(Locale.ROOT, "  ring  %-28s %%%d  causal_attention over %d channels: keys and values"
                        + " passed N−1 times; per rank 2·(N−1)·B·(L/N)·C%s%n", r.node().path(), r.node().results().getFirst(), r.channels(), volume));
                case AllToAll a -> {
                    out.append(String.format(Locale.ROOT, "  a2a   region %d (%s): per rank (N−1)/N²·B·L·ΣC%s%n", a.id(),
                            a.anchors().stream().map(n -> n.path() + " " + n.op()).collect(Collectors.joining(", ")), volume));
                    for (int v : a.entries()) out.append(String.format(Locale.ROOT, "          in   %%%d [B, L/N, %d] → [B, L, %d/N]%n", v, a.widths().get(v), a.widths().get(v)));
                    out.append("          runs ").append(a.nodes().stream().map(n -> "%" + n.results().getFirst() + " = " + n.op())
                            .collect(Collectors.joining(", "))).append(" on [B, L, C/N]\n");
                    for (int v : a.exits()) out.append(String.format(Locale.ROOT, "          out  %%%d [B, L, %d/N] → [B, L/N, %d]%n", v, a.widths().get(v), a.widths().get(v)));
                }
                case Local l -> throw new AssertionError();
            }
        }
        if (local > 0) out.append(String.format(Locale.ROOT, "  %d local step%s%n", local, local == 1 ? "" : "s"));
        long channelSharded = values.values().stream().filter(v -> v == Sharding.CHANNELS).count();
        out.append(String.format(Locale.ROOT, "  values: %d sharded by sequence [B, L/N, C], %d by channels [B, L, C/N] (inside a2a regions)%n",
                values.size() - channelSharded, channelSharded));
        if (length > 0) {
            long most = 0;
            for (int r = 0; r < ranks; r++) most = Math.max(most, sent(r, batch, length));
            out.append(String.format(Locale.ROOT, "  a pass sends at most %,d elements per rank (%s in fp32)%n", most, bytes(most * 4)));
        }
        return out.toString();
    }

    /** The values' shardings as lines, {@code %id sharding}. */
    public String printValues() {
        StringBuilder out = new StringBuilder();
        values.forEach((v, s) -> out.append('%').append(v).append(' ').append(s.name().toLowerCase(Locale.ROOT)).append('\n'));
        return out.toString();
    }

    private long busiest(Step s, long batch, long length) {
        long most = 0;
        for (int r = 0; r < ranks; r++) most = Math.max(most, s.sent(r, ranks, batch, length));
        return most;
    }

    private static String bytes(long b) {
        if (b < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        return String.format(Locale.ROOT, "%.1f MiB", b / (1024.0 * 1024));
    }
}
