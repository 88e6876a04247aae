package hyenac.runtime.weights;

import hyenac.ir.Graph;
import hyenac.ir.Weight;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * A model's weights on the host, in fp32 and in our layout, checked against the graph's declared
 * weights (every one present, every shape right). Buffers that are not parameters (RoPE inverse
 * frequencies from a checkpoint) ride along by name.
 */
public final class WeightStore {
    private final Map<String, float[]> tensors;
    private final Map<String, float[]> buffers;

    private WeightStore(Map<String, float[]> tensors, Map<String, float[]> buffers) {
        this.tensors = tensors;
        this.buffers = buffers;
    }

    public float[] get(String name) {
        float[] t = tensors.get(name);
        if (t == null) throw new WeightsException("no weight named \"" + name + "\" in this model");
        return t;
    }

    public Optional<float[]> buffer(String name) { return Optional.ofNullable(buffers.get(name)); }

    public Map<String, float[]> tensors() { return java.util.Collections.unmodifiableMap(tensors); }

    /** The same weights rounded to bf16 and back, to compare a bf16 backend with the fp32 oracle fairly. */
    public WeightStore roundedToBf16() {
        Map<String, float[]> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, Floats.roundedToBf16(v)));
        return new WeightStore(out, buffers);
    }

    /**
     * Seeded random weights with sensible scales: norm scales 1, linear N(0, 1/in), biases 0, explicit
     * filters N(0, 1/len), modal poles log λ in [log 0.004, log 0.7], residues N(0, 0.25²), skips N(0, 0.5²).
     */
    public static WeightStore random(Graph g, long seed) {
        final int block = 1 << 20;
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Weight w : g.weights().values()) {
            float[] v = new float[Math.toIntExact(w.elements())];
            ToDoubleFunction<SplittableRandom> draw = rule(w);
            // blocks of 2^20 numbers, each from its own generator split off in order, fill in parallel and give the
            // same numbers on any number of cores: Evo 2 7B's 6.5 billion parameters take seconds, not minutes
            SplittableRandom[] blocks = new SplittableRandom[(int) ((v.length + (long) block - 1) / block)]; // long: v.length may be near 2^31
            for (int b = 0; b < blocks.length; b++) blocks[b] = rng.split();
            IntStream.range(0, blocks.length).parallel().forEach(b -> {
                for (int i = b * block, end = (int) Math.min(v.length, (long) i + block); i < end; i++) v[i] = (float) draw.applyAsDouble(blocks[b]);
            });
            out.put(w.name(), v);
        }
        return new WeightStore(out, new LinkedHashMap<>());
    }

    /** How {@link #random} draws one number of weight {@code w} (normals from the JDK's ziggurat sampler). */
    private static ToDoubleFunction<SplittableRandom> rule(Weight w) {
        String name = w.name();
        double fanIn = w.shape().size() > 1 ? w.shape().get(1) : 1;
        if (name.endsWith(".scale")) return rng -> 1.0;
        if (name.endsWith(".bias")) return rng -> 0.0;
        if (name.endsWith(".log_poles")) return rng -> -Math.exp(Math.log(0.004) + rng.nextDouble() * (Math.log(0.7) - Math.log(0.004)));
        if (name.endsWith(".residues")) return rng -> 0.25 * rng.nextGaussian();
        if (name.endsWith(".skip")) return rng -> 0.5 * rng.nextGaussian();
        if (name.equals("embedding.weight")) return SplittableRandom::nextGaussian;
        double scale = 1 / Math.sqrt(fanIn);
        return rng -> scale * rng.nextGaussian();
    }

    /** Weights stored under our own names (as {@link #save} writes them). */
    public static WeightStore load(SafeTensorsFile file, Graph g) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Weight w : g.weights().values()) {
            if (!file.contains(w.name())) throw missing(file.path(), w.name(), w.name());
            out.put(w.name(), checked(file, w.name(), w));
        }
        return new WeightStore(out, new LinkedHashMap<>());
    }

    /**
     * Weights from a vortex checkpoint (Evo 2 converted to safetensors): keys and layouts mapped by
     * {@link VortexNames}. {@code block} maps our layer index to the checkpoint's block index.
     */
    public static WeightStore fromVortex(SafeTensorsFile file, Graph g, IntUnaryOperator block) {
        return fromVortex(file, g, block, name -> true);
    }

    /** As {@link #fromVortex(SafeTensorsFile, Graph, IntUnaryOperator)}, for the weights {@code which} selects. */
    public static WeightStore fromVortex(SafeTensorsFile file, Graph g, IntUnaryOperator block, Predicate<String> which) {
        Map<String, float[]> out = new LinkedHashMap<>();
        Map<String, float[]> buffers = new LinkedHashMap<>();
        for (Weight w : g.weights().values()) {
            if (!which.test(w.name())) continue;
            int layer = layerOf(w.name());
            boolean attention = layer >= 0 && g.weights().containsKey("layers." + layer + ".mixer.qkv.weight");
            VortexNames.Source src = VortexNames.source(w.name(), block, attention)
                    .orElseThrow(() -> new WeightsException(file.path() + ": no vortex name is known for our weight \"" + w.name()
                            + "\" (vortex checkpoints fit the prelude's operators)"));
            if (!file.contains(src.key())) throw missing(file.path(), src.key(), w.name());
            float[] v = checked(file, src.key(), w);
            if (src.transform() == VortexNames.Transform.QKV_BY_HEAD_TO_BY_KIND) {
                int heads = attentionHeads(g, layer);
                int width = Math.toIntExact(w.shape().get(1));
                int headDim = Math.toIntExact(w.shape().get(0) / 3 / heads);
                v = VortexNames.qkvByKind(v, heads, headDim, width);
                String invFreq = VortexNames.invFreq(block.applyAsInt(layer));
                if (file.contains(invFreq)) buffers.put("layers." + layer + ".inv_freq", file.floats(invFreq));
            }
            out.put(w.name(), v);
        }
        return new WeightStore(out, buffers);
    }

    /** Writes the weights under our names with the graph's shapes, in fp32; {@link #load} reads them back. */
    public void save(Path path, Graph g, Map<String, String> metadata) {
        List<TensorData> list = new ArrayList<>();
        for (Weight w : g.weights().values()) {
            list.add(TensorData.of(w.name(), DType.F32, w.shape().stream().mapToLong(Long::longValue).toArray(), get(w.name())));
        }
        SafeTensors.write(path, metadata, list);
    }

    private static int attentionHeads(Graph g, int layer) {
        return g.nodes().stream()
                .filter(n -> n.op().equals("causal_attention") && n.path().startsWith("layers." + layer + "."))
                .mapToInt(n -> Math.toIntExact(n.intAttr("heads"))).findFirst()
                .orElseThrow(() -> new WeightsException("layer " + layer + " has a qkv weight but no attention"));
    }

    private static int layerOf(String name) {
        if (!name.startsWith("layers.")) return -1;
        int dot = name.indexOf('.', 7);
        return Integer.parseInt(name.substring(7, dot));
    }

    private static float[] checked(SafeTensorsFile file, String key, Weight w) {
        TensorInfo info = file.info(key);
        long[] want = w.shape().stream().mapToLong(Long::longValue).toArray();
        if (!Arrays.equals(squeeze(info.shape()), squeeze(want))) {
            throw new WeightsException(file.path() + ": tensor \"" + key + "\" has shape " + Arrays.toString(info.shape())
                    + ", but the model's " + w.name() + " needs " + Arrays.toString(want));
        }
        return file.floats(key);
    }

    /** Dimensions of size 1 carry no layout ([G, 1, K] and [G, K] hold the same values in the same order). */
    private static long[] squeeze(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    private static WeightsException missing(Path file, String key, String ours) {
        return new WeightsException(file + ": tensor \"" + key + "\" is missing (needed for " + ours + ")");
    }
}
