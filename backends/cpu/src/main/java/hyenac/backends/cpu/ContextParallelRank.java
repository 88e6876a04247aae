package hyenac.backends.cpu;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.cp.ContextParallelPlan;
import hyenac.ir.cp.ContextParallelPlan.AllToAll;
import hyenac.ir.cp.ContextParallelPlan.Halo;
import hyenac.ir.cp.ContextParallelPlan.Local;
import hyenac.ir.cp.ContextParallelPlan.Ring;
import hyenac.ir.cp.ContextParallelPlan.Step;
import hyenac.ir.cp.Zigzag;
import hyenac.runtime.comm.Communicator;
import hyenac.runtime.comm.Communicator.Transfer;
import hyenac.runtime.weights.WeightStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One rank of a context-parallel pass on the CPU: the steps of a {@link ContextParallelPlan} over this rank's shard,
 * each node by the same kernels {@link CpuExecutor} runs (row-local nodes through it directly), the communicator
 * called where the plan exchanges. Whole values come in (every rank takes its own shard) and wanted values go out
 * whole (all-gathered), so callers see what a one-rank pass returns.
 */
public final class ContextParallelRank {
    private final Graph graph;
    private final ContextParallelPlan plan;
    private final Communicator comm;
    private final CpuExecutor cpu;
    private final int rank, ranks;
    private final List<Sent> traffic = new ArrayList<>();

    /** What one step sent to other ranks, in elements; {@code kind} as the plan's steps say it, or "gather". */
    public record Sent(String kind, String what, long elements) {}

    public ContextParallelRank(Graph graph, WeightStore weights, ContextParallelPlan plan, Communicator comm) {
        if (comm.size() != plan.ranks()) throw new IllegalArgumentException("the plan is for " + plan.ranks() + " ranks, the group has " + comm.size());
        this.graph = graph;
        this.plan = plan;
        this.comm = comm;
        this.cpu = new CpuExecutor(graph, weights);
        this.rank = comm.rank();
        this.ranks = comm.size();
    }

    /** Per step that communicated, what this rank sent, in order. */
    public List<Sent> traffic() { return List.copyOf(traffic); }

    /**
     * A parallel pass over [batch, length] ({@link CpuExecutor#run}'s contract, whole values in and out); every rank
     * of the group calls it with the same arguments.
     */
    public Map<Integer, float[]> run(int batch, int length, long[] tokens, Map<Integer, float[]> given, Collection<Integer> wanted) {
        Zigzag z = plan.layout(length);
        Pass p = new Pass(z, batch);
        long[] mine = tokens == null ? null : z.shard(tokens, batch, rank);
        given.forEach((v, whole) -> {
            if (plan.sharding(v) == ContextParallelPlan.Sharding.SEQUENCE) p.seq.put(v, z.shard(whole, batch, width(v), rank));
            else p.chan.put(v, channelSlice(whole, batch * length, width(v)));
        });
        Set<Node> needed = new HashSet<>(graph.slice(given.keySet(), wanted));
        for (Step s : plan.steps()) {
            switch (s) {
                case Local l -> {
                    if (!needed.contains(l.node())) continue;
                    float[][] out = cpu.forward(l.node(), batch, z.local(), mine, p.seq);
                    for (int i = 0; i < out.length; i++) p.seq.put(l.node().results().get(i), out[i]);
                }
                case Halo h -> { if (needed.contains(h.node())) p.halo(h); }
                case Ring r -> { if (needed.contains(r.node())) p.ring(r); }
                case AllToAll a -> {
                    List<Node> nodes = a.nodes().stream().filter(needed::contains).toList();
                    if (!nodes.isEmpty()) p.region(a, nodes, needed);
                }
            }
        }
        Map<Integer, float[]> out = new LinkedHashMap<>();
        long before = comm.sent();
        for (int w : wanted) out.put(w, p.gather(w));
        if (!wanted.isEmpty()) traffic.add(new Sent("gather", "wanted values", comm.sent() - before));
        return out;
    }

    /** This rank's channels [rank·C/N, (rank+1)·C/N) of rows [rows, C]. */
    private float[] channelSlice(float[] whole, int rows, int channels) {
        int w = channels / ranks;
        float[] out = new float[rows * w];
        for (int r = 0; r < rows; r++) System.arraycopy(whole, r * channels + rank * w, out, r * w, w);
        return out;
    }

    private int width(int value) { return Math.toIntExact(graph.value(value).type().channels()); }

    /** The values of one pass: by sequence shard [B, 2c, C], and by channel slice [B, L, C/N] inside regions. */
    private final class Pass {
        final Zigzag z;
        final int batch;
        final Map<Integer, float[]> seq = new HashMap<>(), chan = new HashMap<>();

        Pass(Zigzag z, int batch) {
            this.z = z;
            this.batch = batch;
        }

        private void note(String kind, String what, long before) { traffic.add(new Sent(kind, what, comm.sent() - before)); }

        /** The short convolution of each local chunk over the K−1 positions before it, which the chunk before's rank sends. */
        void halo(Halo h) {
            Node n = h.node();
            int c = z.chunk(), ch = Math.toIntExact(h.channels()), k = h.taps() - 1, local = z.local();
            float[] x = seq.get(n.operands().getFirst());
            float[][] tails = {tail(x, 0, k, ch), tail(x, 1, k, ch)};
            float[][] halos = {new float[batch * k * ch], new float[batch * k * ch]};
            long before = comm.sent();
            if (k > 0) {
                List<Transfer> t = new ArrayList<>();
                if (rank < ranks - 1) t.add(Transfer.send(rank + 1, tails[0], 0, tails[0].length));
                if (rank > 0) t.add(Transfer.send(rank - 1, tails[1], 0, tails[1].length));
                if (rank > 0) t.add(Transfer.recv(rank - 1, halos[0], 0, halos[0].length));
                if (rank < ranks - 1) t.add(Transfer.recv(rank + 1, halos[1], 0, halos[1].length));
                else halos[1] = tails[0]; // chunk N−1 comes before chunk N, and this rank holds both
                comm.exchange(t);
            }
            note("p2p", n.path(), before);
            Fir fir = cpu.fir(n);
            float[] skip = cpu.w(n, "skip");
            float[] y = new float[x.length];
            for (int i = 0; i < 2; i++) {
                float[] ext = new float[batch * (k + c) * ch];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(halos[i], b * k * ch, ext, b * (k + c) * ch, k * ch);
                    System.arraycopy(x, (b * local + i * c) * ch, ext, (b * (k + c) + k) * ch, c * ch);
                }
                float[] ye = Conv.causal(ext, batch, k + c, ch, fir, skip);
                for (int b = 0; b < batch; b++) System.arraycopy(ye, (b * (k + c) + k) * ch, y, (b * local + i * c) * ch, c * ch);
            }
            seq.put(n.results().getFirst(), y);
        }

        /** The last k rows of local chunk i, [batch, k, ch]. */
        private float[] tail(float[] x, int i, int k, int ch) {
            int c = z.chunk();
            float[] out = new float[batch * k * ch];
            for (int b = 0; b < batch; b++) System.arraycopy(x, (b * z.local() + i * c + c - k) * ch, out, b * k * ch, k * ch);
            return out;
        }

        /** Ring attention: keys and values travel the ring; each rank's queries meet every block under the global causal mask. */
        void ring(Ring r) {
            Node n = r.node();
            int ch = Math.toIntExact(r.channels()), heads = Math.toIntExact(n.intAttr("heads")), headDim = ch / heads;
            int local = z.local(), rows = batch * local;
            Rope rope = cpu.rope(n, headDim);
            float[] q = rotated(seq.get(n.operands().get(0)), rope, heads, ch);
            float[] block = new float[2 * rows * ch];
            System.arraycopy(rotated(seq.get(n.operands().get(1)), rope, heads, ch), 0, block, 0, rows * ch);
            System.arraycopy(seq.get(n.operands().get(2)), 0, block, rows * ch, rows * ch);
            double[] max = new double[rows * heads], sum = new double[rows * heads], acc = new double[rows * ch];
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
            long before = comm.sent();
            int from = rank;
            for (int s = 0; s < ranks; s++) {
                RingAttention.accumulate(q, block, rows * ch, batch, local, heads, headDim, z, rank, from, max, sum, acc);
                if (s == ranks - 1) break;
                float[] next = new float[block.length];
                comm.exchange(List.of(Transfer.send((rank + 1) % ranks, block, 0, block.length),
                        Transfer.recv((rank - 1 + ranks) % ranks, next, 0, next.length)));
                block = next;
                from = (from - 1 + ranks) % ranks;
            }
            note("ring", n.path(), before);
            float[] out = new float[rows * ch];
            for (int i = 0; i < rows; i++) {
                for (int h = 0; h < heads; h++) {
                    double l = sum[i * heads + h];
                    for (int d = 0; d < headDim; d++) out[i * ch + h * headDim + d] = (float) (acc[i * ch + h * headDim + d] / l);
                }
            }
            seq.put(n.results().getFirst(), out);
        }

        /** x rotated by RoPE at each row's global position (a copy), or x itself without RoPE. */
        private float[] rotated(float[] x, Rope rope, int heads, int ch) {
            if (rope == null) return x;
            float[] y = new float[x.length];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < z.local(); t++) rope.rotate(x, (b * z.local() + t) * ch, y, (b * z.local() + t) * ch, heads, z.position(rank, t));
            }
            return y;
        }

        /** An all-to-all region: entries to channel slices, the nodes over the whole length, exits back. */
        void region(AllToAll a, List<Node> nodes, Set<Node> needed) {
            Set<Integer> made = new HashSet<>();
            for (Node n : nodes) made.addAll(n.results());
            long before = comm.sent();
            for (Node n : nodes) {
                for (int v : n.operands()) if (!made.contains(v) && !chan.containsKey(v)) chan.put(v, toChannels(seq.get(v), width(v)));
            }
            for (Node n : nodes) {
                float[][] out = channelLocal(n);
                for (int i = 0; i < out.length; i++) chan.put(n.results().get(i), out[i]);
            }
            Set<Node> inRegion = new HashSet<>(nodes);
            for (Node n : nodes) {
                for (int r : n.results()) {
                    boolean readOutside = graph.users(r).stream().anyMatch(m -> needed.contains(m) && !inRegion.contains(m));
                    if (readOutside) seq.put(r, toSequence(chan.get(r), width(r)));
                }
            }
            note("a2a", "region " + a.id(), before);
        }

        /** A node of a region on this rank's channel slice, every position. */
        private float[][] channelLocal(Node n) {
            int length = z.length(), rows = batch * length;
            List<float[]> in = n.operands().stream().map(chan::get).toList();
            float[] x = in.getFirst();
            int w = width(n.operands().getFirst()) / ranks;
            return switch (n.primitive()) {
                case DEINTERLEAVE -> Channels.deinterleave(x, rows, w, n.results().size());
                case ADD -> new float[][] {Elementwise.add(x, in.get(1))};
                case SUB -> new float[][] {Elementwise.sub(x, in.get(1))};
                case MUL -> new float[][] {Elementwise.mul(x, in.get(1))};
                case SCALE -> new float[][] {Elementwise.scale(x, n.floatAttr("by"))};
                case NEG -> new float[][] {Elementwise.scale(x, -1)};
                case IDENTITY, GELU, SILU, RELU -> new float[][] {Activation.of(n.primitive()).apply(x)};
                case CAUSAL_CONV -> {
                    Fir all = cpu.fir(n);
                    int groups = all.groups() / ranks, len = all.len();
                    Fir mine = new Fir(Arrays.copyOfRange(all.taps(), rank * groups * len, (rank + 1) * groups * len), groups, len);
                    yield new float[][] {Conv.causal(x, batch, length, w, mine, slice(cpu.w(n, "skip"), w))};
                }
                case MODAL_CONV -> {
                    int modes = Math.toIntExact(n.intAttr("modes"));
                    float[] poles = slice(cpu.w(n, "log_poles"), w * modes), residues = slice(cpu.w(n, "residues"), w * modes);
                    Fir h = new Fir(ModalFilter.materialise(poles, residues, w, modes, length), w, length);
                    yield new float[][] {Conv.causal(x, batch, length, w, h, slice(cpu.w(n, "skip"), w), Conv.Algorithm.FFT)};
                }
                default -> throw new IllegalStateException("`" + n.op() + "` is not channel-local: the plan should not put it in a region");
            };
        }

        /** This rank's part of a per-channel weight, {@code per} elements per rank (null stays null). */
        private float[] slice(float[] weight, int per) {
            return weight == null ? null : Arrays.copyOfRange(weight, rank * per, (rank + 1) * per);
        }

        /** [B, 2c, C] by sequence → [B, L, C/N] by channels: block p of the send buffer is rank p's channels of my rows. */
        float[] toChannels(float[] x, int channels) {
            int w = channels / ranks, local = z.local(), count = batch * local * w;
            float[] send = new float[ranks * count], recv = new float[ranks * count];
            for (int p = 0; p < ranks; p++) {
                for (int row = 0; row < batch * local; row++) System.arraycopy(x, row * channels + p * w, send, p * count + row * w, w);
            }
            comm.allToAll(send, recv, count);
            float[] out = new float[batch * z.length() * w];
            for (int p = 0; p < ranks; p++) {
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < local; t++) {
                        System.arraycopy(recv, p * count + (b * local + t) * w, out, (b * z.length() + z.position(p, t)) * w, w);
                    }
                }
            }
            return out;
        }

        /** The inverse of {@link #toChannels}. */
        float[] toSequence(float[] x, int channels) {
            int w = channels / ranks, local = z.local(), count = batch * local * w;
            float[] send = new float[ranks * count], recv = new float[ranks * count];
            for (int p = 0; p < ranks; p++) {
                for (int b = 0; b < batch; b++) {
                    for (int t = 0; t < local; t++) {
                        System.arraycopy(x, (b * z.length() + z.position(p, t)) * w, send, p * count + (b * local + t) * w, w);
                    }
                }
            }
            comm.allToAll(send, recv, count);
            float[] out = new float[batch * local * channels];
            for (int p = 0; p < ranks; p++) {
                for (int row = 0; row < batch * local; row++) System.arraycopy(recv, p * count + row * w, out, row * channels + p * w, w);
            }
            return out;
        }

        /** A wanted value whole, from every rank's part. */
        float[] gather(int v) {
            int channels = width(v);
            float[] whole = new float[batch * z.length() * channels];
            float[] s = seq.get(v);
            if (s != null) {
                float[] all = new float[ranks * s.length];
                comm.allGather(s, all, s.length);
                for (int p = 0; p < ranks; p++) z.place(Arrays.copyOfRange(all, p * s.length, (p + 1) * s.length), batch, channels, p, whole);
                return whole;
            }
            float[] c = chan.get(v);
            if (c == null) throw new IllegalArgumentException("value %" + v + " cannot be computed from the given values");
            float[] all = new float[ranks * c.length];
            comm.allGather(c, all, c.length);
            int w = channels / ranks, rows = batch * z.length();
            for (int p = 0; p < ranks; p++) {
                for (int row = 0; row < rows; row++) System.arraycopy(all, p * c.length + row * w, whole, row * channels + p * w, w);
            }
            return whole;
        }
    }
}
