package hyenac.runtime.weights;

import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Primitive;
import hyenac.ir.Weight;
import hyenac.runtime.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

/**
 * A model's weights on the host, in our layout, checked against the graph's declared weights (every one present,
 * every shape right). Each weight is held in the dtype the graph declares for it: bf16 ones as bf16 (half the
 * memory; Evo 2 7B fits 13 GB instead of 26), everything else as fp32. Buffers that are not parameters (RoPE
 * inverse frequencies from a checkpoint) ride along by name, in fp32.
 */
public final class WeightStore {
    private final Map<String, HostTensor> tensors;
    private final Map<String, float[]> buffers;

    private WeightStore(Map<String, HostTensor> tensors, Map<String, float[]> buffers) {
        this.tensors = tensors;
        this.buffers = buffers;
    }

    /**
     * How weights are drawn or loaded: where progress goes (in weights), whether a file's numbers are checked to be
     * finite, how they are stored, and how much heap they may need ({@code memoryLimit}, bytes; the JVM's maximum
     * heap unless a caller says otherwise).
     */
    public record Options(Progress progress, boolean checkFinite, Storage storage, long memoryLimit) {
        public static Options defaults() {
            return new Options(Progress.NONE, true, Storage.DECLARED, Runtime.getRuntime().maxMemory());
        }

        public Options withProgress(Progress p) { return new Options(p, checkFinite, storage, memoryLimit); }

        /** Skips the check that every number read from a file is finite (it reads every byte once). */
        public Options withoutFiniteCheck() { return new Options(progress, false, storage, memoryLimit); }

        /** Every weight in fp32 whatever the graph declares: the oracle's view, compared with fp32 references. */
        public Options storingFp32() { return new Options(progress, checkFinite, Storage.FP32, memoryLimit); }

        public Options withMemoryLimit(long bytes) { return new Options(progress, checkFinite, storage, bytes); }
    }

    /** {@link #DECLARED}: each weight in its graph dtype (bf16 stays bf16); {@link #FP32}: every weight in fp32. */
    public enum Storage { DECLARED, FP32 }

    /** The weight widened to fp32: the stored array for an fp32 weight, a new array for a bf16 one. */
    public float[] get(String name) {
        return tensor(name).floats();
    }

    /** The weight as held: fp32 numbers or bf16 bits. */
    public HostTensor tensor(String name) {
        HostTensor t = tensors.get(name);
        if (t == null) throw new WeightsException("no weight named \"" + name + "\" in this model");
        return t;
    }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** The weights' names, in the graph's order. */
    public Set<String> names() { return Collections.unmodifiableSet(tensors.keySet()); }

    /** Bytes the weights' numbers take, on the heap or in mapped files. */
    public long bytes() { return tensors.values().stream().mapToLong(HostTensor::bytes).sum(); }

    public Optional<float[]> buffer(String name) { return Optional.ofNullable(buffers.get(name)); }

    /** The same weights rounded to bf16 and back, all in fp32, to compare a bf16 backend with the fp32 oracle fairly. */
    public WeightStore roundedToBf16() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, new HostTensor.Fp32(Floats.roundedToBf16(v.floats()))));
        return new WeightStore(out, buffers);
    }

    /** Whether weight {@code w} is held as bf16. */
    private static boolean bf16(Weight w, Options o) {
        return o.storage() == Storage.DECLARED && w.dtype() == DType.BF16;
    }

    /** Bytes of heap the weights of {@code g} take as {@code o} stores them (what {@link #random} fills). */
    public static long heapBytes(Graph g, Options o) {
        return g.weights().values().stream().mapToLong(w -> w.elements() * (bf16(w, o) ? 2 : 4)).sum();
    }

    /**
     * Heap for weights of {@code weightBytes} and their margin: an eighth more and 64 MiB for activations (a short
     * prompt's), a conversion's temporary, the compiled graph and the JVM's own use.
     */
    public static long memoryNeeded(long weightBytes) {
        return weightBytes + weightBytes / 8 + (64L << 20);
    }

    private static void requireMemory(String what, long weightBytes, Options o) {
        long needed = memoryNeeded(weightBytes);
        if (needed > o.memoryLimit()) throw new NotEnoughMemoryException(what, weightBytes, needed, o.memoryLimit());
    }

    /** As {@link #random(Graph, long, Options)} with {@link Options#defaults()}. */
    public static WeightStore random(Graph g, long seed) {
        return random(g, seed, Options.defaults());
    }

    /**
     * Seeded random weights with sensible scales: norm scales 1, linear N(0, 1/in), biases 0, explicit
     * filters N(0, 1/len), modal poles log λ in [log 0.004, log 0.7], residues N(0, 0.25²), skips N(0, 0.5²).
     * A bf16 weight holds each fp32 draw rounded to nearest even ({@link Floats#floatToBf16}): the same numbers as
     * fp32 draws put through {@link #roundedToBf16}. Refuses at once when they cannot fit {@code o.memoryLimit()}.
     */
    public static WeightStore random(Graph g, long seed, Options o) {
        long heap = heapBytes(g, o);
        requireMemory("random weights (" + storageName(g, o) + ")", heap, o);
        final int block = 1 << 20;
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        long total = g.weights().values().stream().mapToLong(Weight::elements).sum();
        try (Progress.Task task = o.progress().start("drawing random weights", total, "weights")) {
            for (Weight w : g.weights().values()) {
                int n = Math.toIntExact(w.elements());
                ToDoubleFunction<SplittableRandom> draw = rule(w);
                // blocks of 2^20 numbers, each from its own generator split off in order, fill in parallel and give the
                // same numbers on any number of cores: Evo 2 7B's 6.5 billion parameters take seconds, not minutes
                SplittableRandom[] blocks = new SplittableRandom[(int) ((n + (long) block - 1) / block)]; // long: n may be near 2^31
                for (int b = 0; b < blocks.length; b++) blocks[b] = rng.split();
                if (bf16(w, o)) {
                    short[] v = new short[n];
                    IntStream.range(0, blocks.length).parallel().forEach(b -> {
                        int end = (int) Math.min(n, (long) b * block + block);
                        for (int i = b * block; i < end; i++) v[i] = Floats.floatToBf16((float) draw.applyAsDouble(blocks[b]));
                        task.advance(end - b * block);
                    });
                    out.put(w.name(), HostTensor.Bf16.of(v));
                } else {
                    float[] v = new float[n];
                    IntStream.range(0, blocks.length).parallel().forEach(b -> {
                        int end = (int) Math.min(n, (long) b * block + block);
                        for (int i = b * block; i < end; i++) v[i] = (float) draw.applyAsDouble(blocks[b]);
                        task.advance(end - b * block);
                    });
                    out.put(w.name(), new HostTensor.Fp32(v));
                }
            }
        }
        return new WeightStore(out, new LinkedHashMap<>());
    }

    private static String storageName(Graph g, Options o) {
        boolean anyBf16 = g.weights().values().stream().anyMatch(w -> bf16(w, o));
        boolean anyFp32 = g.weights().values().stream().anyMatch(w -> !bf16(w, o));
        return anyBf16 && anyFp32 ? "bf16, filters fp32" : anyBf16 ? "bf16" : "fp32";
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

    /** As {@link #load(SafeTensorsFile, Graph, Options)} with {@link Options#defaults()}. */
    public static WeightStore load(SafeTensorsFile file, Graph g) {
        return load(file, g, Options.defaults());
    }

    /** Weights stored under our own names (as {@link #save} writes them). */
    public static WeightStore load(SafeTensorsFile file, Graph g, Options o) {
        List<Planned> plan = new ArrayList<>();
        for (Weight w : g.weights().values()) {
            if (!file.contains(w.name())) throw missing(file.path(), w.name(), w.name());
            plan.add(planned(file, w.name(), w, null, o));
        }
        return read(file, plan, Map.of(), o);
    }

    /**
     * Weights from a vortex checkpoint (Evo 2 converted to safetensors): keys and layouts mapped by
     * {@link VortexNames}. {@code block} maps our layer index to the checkpoint's block index.
     */
    public static WeightStore fromVortex(SafeTensorsFile file, Graph g, IntUnaryOperator block) {
        return fromVortex(file, g, block, name -> true, Options.defaults());
    }

    /** As {@link #fromVortex(SafeTensorsFile, Graph, IntUnaryOperator)}, for the weights {@code which} selects. */
    public static WeightStore fromVortex(SafeTensorsFile file, Graph g, IntUnaryOperator block, Predicate<String> which) {
        return fromVortex(file, g, block, which, Options.defaults());
    }

    /** As {@link #fromVortex(SafeTensorsFile, Graph, IntUnaryOperator, Predicate)}, drawn as {@code o} says. */
    public static WeightStore fromVortex(SafeTensorsFile file, Graph g, IntUnaryOperator block, Predicate<String> which, Options o) {
        List<Planned> plan = new ArrayList<>();
        Map<String, String> buffers = new LinkedHashMap<>();
        for (Weight w : g.weights().values()) {
            if (!which.test(w.name())) continue;
            int layer = layerOf(w.name());
            boolean attention = layer >= 0 && g.weights().containsKey("layers." + layer + ".mixer.qkv.weight");
            VortexNames.Source src = VortexNames.source(w.name(), block, attention)
                    .orElseThrow(() -> new WeightsException(file.path() + ": no vortex name is known for our weight \"" + w.name()
                            + "\" (vortex checkpoints fit the prelude's operators)"));
            if (!file.contains(src.key())) throw missing(file.path(), src.key(), w.name());
            Qkv qkv = null;
            if (src.transform() == VortexNames.Transform.QKV_BY_HEAD_TO_BY_KIND) {
                int heads = attentionHeads(g, layer);
                int width = Math.toIntExact(w.shape().get(1));
                qkv = new Qkv(heads, Math.toIntExact(w.shape().get(0) / 3 / heads), width);
                String invFreq = VortexNames.invFreq(block.applyAsInt(layer));
                if (file.contains(invFreq)) buffers.put("layers." + layer + ".inv_freq", invFreq);
            }
            plan.add(planned(file, src.key(), w, qkv, o));
        }
        return read(file, plan, buffers, o);
    }

    /** The head layout of a qkv weight that vortex orders by head. */
    private record Qkv(int heads, int headDim, int width) {}

    /**
     * How one weight comes from the file: tensor {@code key}, reordered when {@code qkv} is set, kept as bf16 when
     * {@code bf16}, and then straight from the mapped file when {@code mapped} (the file holds it in bf16 in our layout).
     */
    private record Planned(Weight weight, String key, TensorInfo info, Qkv qkv, boolean bf16, boolean mapped) {
        long heapBytes() { return mapped ? 0 : weight.elements() * (bf16 ? 2 : 4); }
    }

    private static Planned planned(SafeTensorsFile file, String key, Weight w, Qkv qkv, Options o) {
        TensorInfo info = file.info(key);
        long[] want = w.shape().stream().mapToLong(Long::longValue).toArray();
        if (!Arrays.equals(squeeze(info.shape()), squeeze(want))) {
            throw new WeightsException(file.path() + ": tensor \"" + key + "\" has shape " + Arrays.toString(info.shape())
                    + ", but the model's " + w.name() + " needs " + Arrays.toString(want));
        }
        if (!info.dtype().isFloatingPoint()) {
            throw new WeightsException(file.path() + ": tensor \"" + key + "\" is " + info.dtype() + ", but the model's " + w.name()
                    + " holds numbers (F32, BF16, F16 or F64)");
        }
        boolean bf16 = bf16(w, o);
        return new Planned(w, key, info, qkv, bf16, bf16 && qkv == null && info.dtype() == SafetensorsType.BF16);
    }

    /** Reads the planned weights (and buffers: our name to the file's), after checking that they fit the heap. */
    private static WeightStore read(SafeTensorsFile file, List<Planned> plan, Map<String, String> bufferKeys, Options o) {
        requireMemory("the weights", plan.stream().mapToLong(Planned::heapBytes).sum(), o);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        long total = plan.stream().mapToLong(p -> p.weight().elements()).sum();
        try (Progress.Task task = o.progress().start("loading weights", total, "weights")) {
            for (Planned p : plan) {
                out.put(p.weight().name(), tensor(file, p, o));
                task.advance(p.weight().elements());
            }
        }
        Map<String, float[]> buffers = new LinkedHashMap<>();
        bufferKeys.forEach((ours, key) -> {
            float[] v = file.floats(key);
            if (o.checkFinite()) requireFinite(file, key, null, v);
            buffers.put(ours, v);
        });
        return new WeightStore(out, buffers);
    }

    private static HostTensor tensor(SafeTensorsFile file, Planned p, Options o) {
        String ours = p.weight().name();
        if (p.mapped()) {
            HostTensor.Bf16 t = new HostTensor.Bf16(file.retained(p.key()));
            if (o.checkFinite()) {
                long bad = firstNonFinite(t.elements(), (from, to) -> {
                    short[] chunk = new short[Math.toIntExact(to - from)];
                    t.copyBits(from, chunk, 0, chunk.length);
                    for (int i = 0; i < chunk.length; i++) if ((chunk[i] & 0x7F80) == 0x7F80) return from + i;
                    return -1;
                });
                if (bad >= 0) throw notFinite(file, p.key(), ours, bad, Floats.bf16ToFloat(t.bitsAt(bad)));
            }
            return t;
        }
        float[] v = file.floats(p.key());
        if (o.checkFinite()) requireFinite(file, p.key(), ours, v);
        if (p.qkv() != null) v = VortexNames.qkvByKind(v, p.qkv().heads(), p.qkv().headDim(), p.qkv().width());
        if (!p.bf16()) return new HostTensor.Fp32(v);
        short[] bits = new short[v.length];
        for (int i = 0; i < v.length; i++) bits[i] = Floats.floatToBf16(v[i]);
        return HostTensor.Bf16.of(bits);
    }

    private static void requireFinite(SafeTensorsFile file, String key, String ours, float[] v) {
        long bad = firstNonFinite(v.length, (from, to) -> {
            for (int i = (int) from; i < to; i++) if (!Float.isFinite(v[i])) return i;
            return -1;
        });
        if (bad >= 0) throw notFinite(file, key, ours, bad, v[(int) bad]);
    }

    /**
     * The first index in [0, n) that {@code firstIn} (the first bad index of a range, or -1) finds, or -1. Ranges are
     * scanned in parallel; the answer is the same on any number of cores.
     */
    private static long firstNonFinite(long n, LongBinaryOperator firstIn) {
        final long chunk = 1 << 20;
        return LongStream.range(0, (n + chunk - 1) / chunk).parallel()
                .map(c -> firstIn.applyAsLong(c * chunk, Math.min(n, c * chunk + chunk)))
                .filter(i -> i >= 0).min().orElse(-1);
    }

    private static WeightsException notFinite(SafeTensorsFile file, String key, String ours, long index, float value) {
        long[] shape = file.info(key).shape();
        long[] at = new long[shape.length];
        long rest = index;
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = rest % shape[d];
            rest /= shape[d];
        }
        return new WeightsException(file.path() + ": tensor \"" + key + "\"" + (ours == null || ours.equals(key) ? "" : " (our " + ours + ")")
                + " holds " + value + " at index " + index + " " + Arrays.toString(at) + "; every weight must be a finite number"
                + " (a damaged file, or a checkpoint of a run that diverged?)");
    }

    /** Writes the weights under our names with the graph's shapes, in fp32; {@link #load} reads them back. */
    public void save(Path path, Graph g, Map<String, String> metadata) {
        List<TensorData> list = new ArrayList<>();
        for (Weight w : g.weights().values()) {
            list.add(TensorData.of(w.name(), SafetensorsType.F32, w.shape().stream().mapToLong(Long::longValue).toArray(), get(w.name())));
        }
        SafeTensors.write(path, metadata, list);
    }

    private static int attentionHeads(Graph g, int layer) {
        return g.nodes().stream()
                .filter(n -> n.is(Primitive.CAUSAL_ATTENTION) && n.path().startsWith("layers." + layer + "."))
                .mapToInt(n -> Math.toIntExact(n.intAttr("heads"))).findFirst()
                .orElseThrow(() -> new WeightsException("layer " + layer + " has a qkv weight but no attention"));
    }

    private static int layerOf(String name) {
        if (!name.startsWith("layers.")) return -1;
        int dot = name.indexOf('.', 7);
        return Integer.parseInt(name.substring(7, dot));
    }

    /** Dimensions of size 1 carry no layout ([G, 1, K] and [G, K] hold the same values in the same order). */
    private static long[] squeeze(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    private static WeightsException missing(Path file, String key, String ours) {
        return new WeightsException(file + ": tensor \"" + key + "\" is missing (needed for " + ours + ")");
    }
}
