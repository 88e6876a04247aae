package hyenac.explain;

import hyenac.backends.cpu.Conv;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Origin;
import hyenac.ir.Primitive;
import hyenac.ir.TensorType;
import hyenac.ir.Value;
import hyenac.ir.Weight;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parameters, FLOPs and activation bytes per token of a model's graph (normally after the standard
 * passes), by the conventions of SEMANTICS.md §7: a multiply-add is 2 FLOPs; linear 2·in·out; an
 * explicit FIR of K taps over C channels 2·K·C; a modal (long) convolution as an FFT of N = 2L:
 * C·(10·N·log2 N + 6·N)/L; causal attention 2·L·D; elementwise operations are not counted. Activation
 * bytes are the results every node writes, in their dtype, as if nothing were fused.
 *
 * <p>Rows group nodes and weights by their binding path: {@code embedding}, {@code layers.N…}, and
 * everything else (the final norm and the unembedding) as the head. A weight counts once, in the row
 * its name belongs to, however many nodes read it (the tied unembedding reads {@code embedding.weight}).
 */
public final class Explain {
    private Explain() {}

    /** One row of the table: a layer, the embedding or the head. */
    public record Row(String index, String operator, long parameters, double flopsPerToken, double activationBytesPerToken) {}

    /**
     * One node of the plan, in execution order. {@code algorithm} is what the CPU backend runs for a
     * convolution ("direct" or "fft"), null otherwise. Widths are the operands' and results' channels;
     * null where a value has none (the token ids). {@code group} is the index of the kernel the node runs in
     * ({@link Report#groups()}), {@code fusion} that kernel's kind ("single" for a node alone).
     */
    public record Kernel(int index, String op, String algorithm, List<Long> inputWidths, List<Long> outputWidths,
                         List<String> weights, double flopsPerToken, String path, List<Origin> origins, int group, String fusion) {}

    /** {@code groups}: the kernels of a parallel pass as the fusion pass groups the nodes, in execution order. */
    public record Report(String model, long context, long width, long vocab, String dtype, int layers, List<Row> rows,
                         long parameters, double flopsPerToken, double activationBytesPerToken, List<Weight> weights,
                         List<Kernel> kernels, List<Group> groups) {}

    public static Report of(Graph g, long context) { return of(g, context, true); }

    /** As {@link #of(Graph, long)}; without the {@code plan} (kernels and groups empty), which only --kernels prints. */
    public static Report of(Graph g, long context, boolean plan) {
        Node embedding = g.nodes().stream().filter(n -> n.is(Primitive.EMBEDDING)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the graph has no embedding"));
        Value embedded = g.value(embedding.results().getFirst());
        long width = embedded.type().channels();
        long vocab = g.value(g.outputs().getFirst()).type().channels();
        String model = String.valueOf(g.attrs().getOrDefault("model", "graph"));

        // Row keys: "embedding", the layer index, "head". Layers come from the graph's attributes, so a
        // layer keeps its row even if the passes left it no nodes.
        Map<Integer, Acc> layers = new TreeMap<>();
        g.attrs().forEach((k, v) -> {
            Integer i = layerOf(k);
            if (i != null && k.equals("layers." + i + ".mixer")) layers.computeIfAbsent(i, x -> new Acc()).operator = (String) v;
        });
        Acc emb = new Acc();
        Acc head = new Acc();
        for (Weight w : g.weights().values()) row(w.name(), emb, layers, head).parameters += w.elements();
        for (Node n : g.nodes()) {
            Acc a = row(n.path(), emb, layers, head);
            a.flops += flops(g, n, context);
            a.bytes += bytes(g, n);
        }

        List<Row> rows = new ArrayList<>();
        rows.add(emb.row("-", "embedding"));
        layers.forEach((i, a) -> rows.add(a.row(Integer.toString(i), a.operator == null ? "-" : a.operator)));
        boolean tied = g.nodes().stream().anyMatch(n -> n.is(Primitive.UNEMBED)
                && n.weights().get("weight") != null && n.weights().get("weight").equals(embedding.weights().get("weight")));
        rows.add(head.row("-", tied ? "head (norm, tied unembedding)" : "head (norm, unembedding)"));

        List<Group> groups = plan ? FuseKernels.standard().run(g) : List.of();
        List<Kernel> kernels = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            for (Node n : groups.get(i).nodes()) {
                kernels.add(new Kernel(kernels.size(), n.op(), cpuAlgorithm(n, context), widths(g, n.operands()), widths(g, n.results()),
                        List.copyOf(n.weights().values()), flops(g, n, context), n.path(), n.origins(), i, groups.get(i).kind()));
            }
        }
        return new Report(model, context, width, vocab, embedded.type().dtype().spelling(), layers.size(), rows,
                rows.stream().mapToLong(Row::parameters).sum(),
                rows.stream().mapToDouble(Row::flopsPerToken).sum(),
                rows.stream().mapToDouble(Row::activationBytesPerToken).sum(),
                List.copyOf(g.weights().values()), kernels, groups);
    }

    /** FLOPs per token of one node at sequence length {@code l}, by its primitive's rule ({@link Primitive#flopsPerToken}). */
    public static double flops(Graph g, Node n, long l) {
        long in = n.operands().isEmpty() ? 0 : Math.max(0, channels(g, n.operands().getFirst()));
        long out = n.results().isEmpty() ? 0 : Math.max(0, channels(g, n.results().getFirst()));
        return n.primitive().flopsPerToken(n, in, out, l);
    }

    /** Bytes per token the node writes: every result's channels in its dtype. */
    public static double bytes(Graph g, Node n) {
        double total = 0;
        for (int r : n.results()) {
            TensorType t = g.value(r).type();
            total += (double) Math.max(0, t.channels()) * t.dtype().bytes;
        }
        return total;
    }

    /**
     * The algorithm the CPU backend runs for a node over {@code length} tokens: a causal convolution
     * directly or through the FFT as {@link Conv#choose} decides; a modal convolution always through
     * the FFT (its filter is as long as the sequence); null for everything else.
     */
    public static String cpuAlgorithm(Node n, long length) {
        return switch (n.primitive()) {
            case CAUSAL_CONV -> Conv.choose(Math.toIntExact(n.intAttr("len")), (int) Math.min(length, Integer.MAX_VALUE))
                    == Conv.Algorithm.DIRECT ? "direct" : "fft";
            case MODAL_CONV -> "fft";
            default -> null;
        };
    }

    /** The channel count of a value; -1 where its last dimension is symbolic (token ids [B, L]). */
    private static long channels(Graph g, int value) {
        TensorType t = g.value(value).type();
        return t.dims().getLast().isSymbolic() ? -1 : t.channels();
    }

    private static List<Long> widths(Graph g, List<Integer> values) {
        List<Long> out = new ArrayList<>();
        for (int v : values) {
            long c = channels(g, v);
            out.add(c < 0 ? null : c);
        }
        return java.util.Collections.unmodifiableList(out);
    }

    /** The layer index a binding path lies in ({@code layers.12.mixer.q} → 12), or null. */
    static Integer layerOf(String path) {
        if (!path.startsWith("layers.")) return null;
        int end = path.indexOf('.', 7);
        String digits = end < 0 ? path.substring(7) : path.substring(7, end);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) return null;
        return Integer.valueOf(digits);
    }

    private static Acc row(String path, Acc emb, Map<Integer, Acc> layers, Acc head) {
        if (path.equals("embedding") || path.startsWith("embedding.")) return emb;
        Integer i = layerOf(path);
        return i == null ? head : layers.computeIfAbsent(i, x -> new Acc());
    }

    private static final class Acc {
        String operator;
        long parameters;
        double flops;
        double bytes;

        Row row(String index, String op) { return new Row(index, op, parameters, flops, bytes); }
    }
}
