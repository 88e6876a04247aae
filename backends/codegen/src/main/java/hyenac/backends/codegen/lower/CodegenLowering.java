package hyenac.backends.codegen.lower;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.kernels.Binding;
import hyenac.backends.codegen.kernels.BlockedConv;
import hyenac.backends.codegen.kernels.Decode;
import hyenac.backends.codegen.kernels.FusedFft;
import hyenac.backends.codegen.kernels.FusedKernel;
import hyenac.backends.codegen.kernels.Gemv;
import hyenac.backends.codegen.kernels.GemvGroup;
import hyenac.backends.codegen.kernels.HyenaCore;
import hyenac.backends.codegen.kernels.Kernels;
import hyenac.backends.codegen.kernels.ModalScan;
import hyenac.backends.cpu.Rope;
import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseGemv;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Lowering;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Site;
import hyenac.ir.plan.Size;
import hyenac.ir.plan.Step;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Lowers fused groups to the typed builder's generated kernels and library calls, for any dialect the
 * {@link Kernels} speak (CUDA today): every kernel argument bound to a buffer, a size formula or a real. What each
 * node does here is what the generators offer: causal convolutions direct or two-stage blocked on the tensor cores
 * (bf16, filters up to the chunk), modal convolutions through library FFTs (the filter's spectrum prepared once), by
 * the fused FFT (one kernel, its chunks' filter spectra prepared once) or by the chunked scan of their modes (three
 * kernels around a scratch of states), GEMMs as library calls, and in a decode step
 * each stateful node through its recurrent kernel (a Hyena mixer's all in one), each projection as a GEMV with its
 * fused epilogue.
 */
public final class CodegenLowering implements Lowering {
    /**
     * A device's throughput, for the cost of an algorithm: FLOP/s of fp32 arithmetic on its cores, FLOP/s of bf16 matrix
     * products on its tensor cores as {@code mma.sync} issues them, bytes/s of memory, bytes/s of shared memory (all
     * multiprocessors together), and how many multiprocessors share that work (a kernel of fewer blocks than they hold
     * gets a part of it); {@code name} as the device names itself (the driver's name), which measurements are filed under;
     * whether it has Hopper's warpgroup tensor cores (wgmma: compute capability 9.0).
     */
    public record Hardware(String name, double flops, double tensorFlops, double bytesPerSecond, double sharedBytesPerSecond, int multiprocessors,
                           boolean warpgroupMma) {
        /**
         * An H100 SXM: 67 TFLOP/s fp32 on CUDA cores, 3.35 TB/s of HBM3; bf16 products taken at half the 989 TFLOP/s
         * dense peak, which only wgmma approaches (an estimate for mma.sync; the blocked convolution is bound by memory);
         * 132 multiprocessors, each reading or writing 128 bytes of shared memory a cycle at some 1.75 GHz.
         */
        public static final Hardware H100 = new Hardware("NVIDIA H100 80GB HBM3", 67e12, 495e12, 3.35e12, 132 * 128 * 1.75e9, 132, true);

        /**
         * Another device, scaled from the H100 by its multiprocessors × clock (arithmetic and shared memory) and its
         * memory's peak bandwidth, with or without wgmma; the H100's own figures where {@code name} is the H100's.
         */
        public static Hardware scaled(String name, int multiprocessors, double clockHz, double peakBytesPerSecond, boolean warpgroupMma) {
            if (name.equals(H100.name())) return H100;
            double compute = multiprocessors * clockHz / (H100_MULTIPROCESSORS * H100_CLOCK_HZ);
            return new Hardware(name, H100.flops() * compute, H100.tensorFlops() * compute, peakBytesPerSecond,
                    H100.sharedBytesPerSecond() * compute, multiprocessors, warpgroupMma);
        }

        private static final int H100_MULTIPROCESSORS = 132;
        private static final double H100_CLOCK_HZ = 1.98e9;
    }

    private final String target;
    private final Kernels kernels;
    private final Precision precision;
    private final Hardware hardware;

    public CodegenLowering(String target, Kernels kernels, Precision precision, Hardware hardware) {
        this.target = target;
        this.kernels = kernels;
        this.precision = precision;
        this.hardware = hardware;
    }

    @Override public String target() { return target; }

    @Override public String device() { return hardware.name(); }

    @Override public List<Algorithm> algorithms(Graph g, Node n, Phase phase) {
        if (n.is(Primitive.CAUSAL_ATTENTION)) {
            // prefill and the parallel pass; a decode step attends over its cache with its own kernel
            if (phase == Phase.STEP) return List.of();
            boolean wgmma = hardware.warpgroupMma() && wgmmaAttention();
            return kernels.algorithms(g, n, precision).stream().filter(a -> a != Algorithm.FLASH_WGMMA || wgmma).toList();
        }
        boolean conv = n.is(Primitive.CAUSAL_CONV) || n.is(Primitive.MODAL_CONV);
        if (!conv) return List.of();
        if (phase == Phase.STEP) return List.of(Algorithm.RECURRENT);
        // what the generators have: direct for explicit filters, blocked on the tensor cores where it fits, FFTs for modal ones
        return kernels.algorithms(g, n, precision);
    }

    /**
     * What the direct and blocked kernels attain of the hardware's rates, measured on an H100 (bf16, B = 1, D = 4096, L =
     * 8192 and 65536, the Hyena cores as BlockedConvCheck times them): the direct kernel's sums reach 5.1 of 67 TFLOP/s
     * at 128 taps and its memory 2,040-2,240 of 3,020 GB/s at 7 taps; the blocked kernel's memory 2,500-2,900.
     */
    static final double DIRECT_ARITHMETIC = 0.077, DIRECT_MEMORY = 0.7, BLOCKED_MEMORY = 0.85;

    /**
     * What the FFT paths attain of the rates their estimates assume, measured on an H100 (bf16, B = 1, D = 4096, Hyena-LI's
     * core): through cuFFT 1.252 ms at L = 8192, where its passes over padded rows estimate 0.52 (at 65536, 17.6 ms for an
     * estimated 4.2: larger transforms fall further behind, which this does not model); the fused FFT 0.686 and 5.63 ms at
     * 8192 and 65536, where its three bounds estimate 0.127 and 1.02 (its passes wait on their barriers, and its blocks on
     * their shared memory; its explicit filters, unmeasured, are taken to fare alike). Without these the estimates ranked
     * the two the right way round but put both 2.4 to 5.4 times under what they took, while the direct and blocked kernels
     * are costed at the rates measured for them (and the scan, streaming like the blocked kernel, at its rate).
     */
    static final double FFT_ATTAINED = 0.42, FUSED_FFT_ATTAINED = 0.18;

    /**
     * What the attention kernels attain of the tensor cores' rate, measured on an H100 (bf16, 32 heads × 128, L = 8192
     * and 16384, AttentionCheck): mma.sync's ({@link hyenac.backends.codegen.kernels.FlashAttention}) 285-295 TFLOP/s,
     * some 0.58 of {@link Hardware#tensorFlops}; wgmma issues at twice that rate (989 TFLOP/s dense) and its kernel
     * ({@link hyenac.backends.codegen.kernels.HopperAttention}) reached 454-461, some 0.46 of it.
     */
    static final double FLASH_ATTAINED = 0.58, WGMMA_SPEEDUP = 2, WGMMA_FLASH_ATTAINED = 0.46;

    /**
     * Whether the wgmma attention kernel is offered where the device has wgmma: unless
     * {@code -Dhyenac.attention.wgmma=false} (then attention runs on mma.sync, to compare).
     */
    static boolean wgmmaAttention() { return !"false".equals(System.getProperty("hyenac.attention.wgmma")); }

    /** How long a load from device memory takes under load (an H100's HBM3: some 600 ns), for kernels bound by their threads' chains. */
    static final double MEMORY_LATENCY = 6e-7;

    @Override public double cost(Graph g, Node n, Algorithm algorithm, Shape shape) {
        double channels = g.value(n.operands().getFirst()).type().channels(), rows = (double) shape.batch() * shape.length();
        double element = precision.storage().bytes(), io = 2 * rows * channels * element;
        return switch (algorithm) {
            case DIRECT -> {
                double taps = n.is(Primitive.CAUSAL_CONV) ? n.intAttr("len") : shape.length();
                yield Math.max(2 * rows * channels * taps / (hardware.flops() * DIRECT_ARITHMETIC),
                        io / (hardware.bytesPerSecond() * DIRECT_MEMORY));
            }
            case BLOCKED -> {
                // memory: the input once, plus each segment's halo of history read again (the first's is zeros), and the output;
                // tensor cores: 2·16 FLOPs per output and Toeplitz tile, the tiles D + 1 of the filter's length
                int tiles = BlockedConv.tiles(Math.toIntExact(n.intAttr("len")));
                long segments = Math.ceilDiv(shape.length(), BlockedConv.SEGMENT);
                double halo = (double) shape.batch() * channels * element * (segments - 1) * 16 * (tiles - 1);
                double flops = rows * channels * 32 * tiles;
                yield Math.max(flops / hardware.tensorFlops(), (io + halo) / (hardware.bytesPerSecond() * BLOCKED_MEMORY));
            }
            case FFT -> {
                double points = fft(shape.length()), transforms = shape.batch() * channels;
                // a forward and an inverse real FFT (≈ 2.5·N·log2 N each) and the spectra's product, padded rows through memory
                double flops = transforms * (5 * points * (Math.log(points) / Math.log(2)) + 6 * (points / 2 + 1));
                double bytes = io + transforms * points * 4 * 6;
                yield Math.max(flops / hardware.flops(), bytes / hardware.bytesPerSecond()) / FFT_ATTAINED;
            }
            case FUSED_FFT -> fusedFft(n, shape, rows, channels, element);
            // causal attention: two products of 2·L²·d per head, halved by the mask
            case FLASH -> 2 * shape.batch() * (double) shape.length() * shape.length() * channels / (hardware.tensorFlops() * FLASH_ATTAINED);
            case FLASH_WGMMA -> 2 * shape.batch() * (double) shape.length() * shape.length() * channels
                    / (WGMMA_SPEEDUP * hardware.tensorFlops() * WGMMA_FLASH_ATTAINED);
            case SCAN -> scan(n, shape, rows, channels, element);
            case RECURRENT -> {
                double state = n.is(Primitive.MODAL_CONV) ? n.intAttr("modes") : n.is(Primitive.CAUSAL_CONV) ? n.intAttr("len") : shape.capacity();
                yield Math.max(rows * channels * state * 8 / hardware.flops(), (io + rows * channels * state * 4) / hardware.bytesPerSecond());
            }
        };
    }

    private static double fft(long length) { return Math.max(2, Long.highestOneBit(Math.max(1, 2 * length - 1)) << 1); }

    /**
     * The fused FFT ({@link FusedFft}, chunks of T steps as complex FFTs of T points on chip), the slowest of three bounds,
     * over the share of the multiprocessors its blocks fill (a block walks its chunks in order):
     * <ul>
     *   <li>arithmetic, per output: a forward and an inverse transform (5·log2 T each), the real spectrum's bins and the
     *       product (some 30), and for modal filters 8 per mode (the states' carry into the chunk and the chunk's part of
     *       the next states);</li>
     *   <li>shared memory: 16 bytes per output and pass (a complex float read and written), seven passes;</li>
     *   <li>memory: the input once (twice for explicit filters: overlap-save reads the chunk before), y once, and the
     *       spectra of the block's filters every chunk, 8 bytes per bin (cached, but counted).</li>
     * </ul>
     * Nothing else goes through memory: no padded rows, no spectra of the signal. The kernel attains {@link #FUSED_FFT_ATTAINED}
     * of the slowest bound.
     */
    private double fusedFft(Node n, Shape shape, double rows, double channels, double element) {
        FusedFft.Blocking k = FusedFft.DEFAULT;
        boolean modal = n.is(Primitive.MODAL_CONV);
        double t = k.chunk(), chunks = Math.ceilDiv(shape.length(), k.chunk());
        // every chunk is transformed whole, the last too
        double transformed = shape.batch() * chunks * t * channels;
        double perOutput = 10 * (Math.log(t) / Math.log(2)) + 30 + (modal ? 8.0 * n.intAttr("modes") : 0);
        double spectra = shape.batch() * chunks * channels * (t + 1) * 8;
        double bytes = (modal ? 2 : 3) * rows * channels * element + spectra;
        double blocks = Math.ceil(channels / k.channels()) * shape.batch();
        double share = Math.min(1, blocks / ((double) hardware.multiprocessors() * k.blocksPerMultiprocessor()));
        double seconds = Math.max(transformed * perOutput / hardware.flops(),
                Math.max(transformed * 16 * 7 / hardware.sharedBytesPerSecond(), bytes / hardware.bytesPerSecond()));
        return seconds / share / FUSED_FFT_ATTAINED;
    }

    /**
     * The modal scan ({@link ModalScan}), bound by memory at the blocked kernel's rate (both stream their input in order,
     * one thread a channel), or by arithmetic where that is slower, over the share of the multiprocessors its threads fill
     * (a thread a channel and chunk):
     * <ul>
     *   <li>memory: the input and y once, the input again (in a Hyena core s = k ⊙ v, two elements: counted as such), and the
     *       scratch of states, 4 bytes per mode, channel and chunk written, read and written by the carry, and read;</li>
     *   <li>arithmetic: per step, channel and mode one FMA for the chunk's end states and two for its output.</li>
     * </ul>
     * However few the threads, no kernel ends before its threads' walks: a load latency per group of steps loaded ahead,
     * twice a chunk's, and per group of chunks the carry loads ahead.
     */
    private double scan(Node n, Shape shape, double rows, double channels, double element) {
        ModalScan.Blocking k = ModalScan.DEFAULT;
        double modes = n.intAttr("modes"), chunks = Math.ceilDiv(shape.length(), k.chunk());
        double scratch = 4 * 4 * shape.batch() * chunks * modes * channels;
        double bytes = 4 * rows * channels * element + scratch;
        double flops = 6 * modes * rows * channels;
        double threads = shape.batch() * chunks * Math.ceil(channels / k.threads()) * k.threads();
        double share = Math.min(1, threads / ((double) hardware.multiprocessors() * k.blocksPerMultiprocessor() * k.threads()));
        double walks = (2.0 * k.chunk() / k.ahead() + Math.ceil(chunks / k.carryAhead())) * MEMORY_LATENCY;
        return Math.max(walks, Math.max(flops / hardware.flops(), bytes / (hardware.bytesPerSecond() * BLOCKED_MEMORY)) / share);
    }

    @Override public Plan lower(Graph g, List<Group> groups, Map<Integer, Algorithm> algorithms, Phase phase, Set<Integer> given,
                                Collection<Integer> wanted) {
        Builder b = new Builder(g, algorithms);
        // in id order: buffer ids must not follow the caller's set's iteration order (Set.of's differs between processes)
        for (int v : given.stream().sorted().toList()) b.value(v);
        boolean embeds = groups.stream().anyMatch(gr -> gr.nodes().stream().anyMatch(n -> n.is(Primitive.EMBEDDING)));
        if (embeds) b.tokens();
        if (phase != Phase.PARALLEL) b.declareStates();
        for (Group group : groups) {
            Node last = group.nodes().getLast();
            for (int r : group.materialised()) if (g.value(r).type().dtype() != DType.I64) b.value(r);
            b.beginGroup();
            if (phase == Phase.STEP && !group.fused() && stateful(last)) decodeStep(b, last);
            else if (gemv(group, phase)) gemv(b, group.nodes());
            else if (group.fused()) fused(b, group);
            else node(b, last);
            if (phase == Phase.PREFILL) for (Node m : group.nodes()) if (stateful(m)) fillState(b, m);
            b.endGroup();
        }
        for (int w : wanted) {
            if (b.values.get(w) == null) throw new IllegalArgumentException("value %" + w + " is computed inside a fused kernel and has no buffer");
        }
        return new Plan(phase, given, List.copyOf(wanted), b.buffers, List.of(), List.copyOf(b.kernels.values()), b.steps, b.constants);
    }

    /**
     * Whether a group runs as a GEMV: a {@link FuseGemv} group (the fusion pass forms them in decode steps), or a lone
     * projection in a decode step. A step multiplies B rows, one token per sequence, by each weight: reading the
     * weight is the whole cost, and a GEMV that streams it once for up to 16 rows beats the library GEMM, whose tiles
     * are built for many rows (and which fuses no epilogue but a bias). The choice is the phase's rather than a cost
     * at one shape because a plan is symbolic in B and serves every batch: decode batches are small, and past 16 rows
     * the GEMV, still correct, reads each weight once per 16. A prompt's projections stay library GEMMs.
     */
    private static boolean gemv(Group group, Phase phase) {
        return group.kind().equals(FuseGemv.KIND) || phase == Phase.STEP && !group.fused() && FuseGemv.projection(group.node());
    }

    /** Whether a node keeps recurrent state while decoding (the others run their parallel kernels with L = 1). */
    private static boolean stateful(Node n) { return n.primitive().stateful(); }

    /** The buffers, kernels and steps of a plan being written; scratch names are per group. */
    private final class Builder {
        final Graph g;
        final Map<Integer, Algorithm> algorithms;
        final List<Buffer> buffers = new ArrayList<>();
        final Map<String, Kernel> kernels = new LinkedHashMap<>();
        final List<Step> steps = new ArrayList<>();
        final Map<String, float[]> constants = new LinkedHashMap<>();
        final Map<Integer, Buffer> values = new HashMap<>();
        final Map<String, Integer> named = new HashMap<>();
        Buffer tokens;
        int groupStart;
        Site site;

        Builder(Graph g, Map<Integer, Algorithm> algorithms) {
            this.g = g;
            this.algorithms = algorithms;
        }

        Buffer add(Buffer.Kind kind, String name, DType element, Size elements) {
            Integer id = named.get(kind + " " + name);
            if (id != null) {
                Buffer old = buffers.get(id);
                if (old.element() != element || !old.elements().equals(elements)) {
                    throw new IllegalStateException(name + " is bound as " + element.spelling() + "[" + elements + "] and as " + old.element().spelling() + "["
                            + old.elements() + "]");
                }
                return old;
            }
            Buffer buf = new Buffer(buffers.size(), kind, name, element, elements, -1);
            buffers.add(buf);
            named.put(kind + " " + name, buf.id());
            return buf;
        }

        Buffer value(int id) {
            return values.computeIfAbsent(id, v -> add(Buffer.Kind.VALUE, "%" + v, storage(), Size.rows().times(g.value(v).type().channels())));
        }

        void tokens() { tokens = add(Buffer.Kind.TOKENS, "tokens", DType.I64, Size.rows()); }

        Buffer weight(String name, DType element) { return add(Buffer.Kind.WEIGHT, name, element, Size.of(weightElements(name))); }

        long weightElements(String name) {
            return g.weights().get(name).elements();
        }

        Buffer scratch(String name, DType element, Size elements) { return add(Buffer.Kind.SCRATCH, name, element, elements); }

        Buffer state(String name, DType element, Size elements) { return add(Buffer.Kind.STATE, name, element, elements); }

        /** Every stateful node's decode state and the decode clock, so a prefill allocates all a step will use. */
        void declareStates() {
            for (Node n : g.nodes()) {
                if (!stateful(n)) continue;
                long c = g.value(n.operands().getFirst()).type().channels();
                String id = "n" + n.id();
                switch (n.primitive()) {
                    case CAUSAL_CONV -> {
                        if (n.intAttr("len") > 1) state(Decode.ringState(n), stateElement(n, "ring"), Size.batch().times(c * (n.intAttr("len") - 1)));
                    }
                    case MODAL_CONV -> state(Decode.modalState(n), stateElement(n, "state"), Size.batch().times(c * n.intAttr("modes")));
                    default -> {
                        state(id + ".keys", stateElement(n, "keys"), Size.batch().times(Size.capacity()).times(c));
                        state(id + ".values", stateElement(n, "values"), Size.batch().times(Size.capacity()).times(c));
                    }
                }
            }
            state(Plan.CLOCK, DType.I64, Size.of(2));
        }

        /** The element type a state has: the one its decode kernel declares for the parameter. */
        DType stateElement(Node n, String param) {
            for (KernelSource k : kernels().decodeForNode(g, n, precision)) {
                for (KernelParam p : k.params()) if (p.name().equals(param) && p.type() instanceof CType.Pointer ptr) return dtype(ptr.element());
            }
            throw new IllegalStateException("no decode kernel of " + n.op() + " " + n.path() + " has parameter " + param);
        }

        Kernels kernels() { return CodegenLowering.this.kernels; }

        void beginGroup() { groupStart = steps.size(); }

        /** Scratch written by a prepared step and read by the runs keeps its memory: it becomes PREPARED. */
        void endGroup() {
            Set<Integer> once = new HashSet<>(), runs = new HashSet<>();
            for (Step s : steps.subList(groupStart, steps.size())) for (int id : scratchOf(s)) (s.once() ? once : runs).add(id);
            once.retainAll(runs);
            for (int id : once) {
                Buffer old = buffers.get(id);
                buffers.set(id, new Buffer(id, Buffer.Kind.PREPARED, old.name(), old.element(), old.elements(), -1));
            }
        }

        List<Integer> scratchOf(Step s) {
            List<Integer> ids = new ArrayList<>();
            List<Arg> args = switch (s) {
                case Step.Launch l -> l.args();
                case Step.Fft f -> List.of(new Arg.Buf(f.in()), new Arg.Buf(f.out()));
                default -> List.of();
            };
            for (Arg a : args) if (a instanceof Arg.Buf buf && buffers.get(buf.buffer()).kind() == Buffer.Kind.SCRATCH) ids.add(buf.buffer());
            return ids;
        }

        void siteOf(List<Node> nodes) {
            Algorithm alg = null;
            for (Node n : nodes) if (algorithms.containsKey(n.id())) alg = algorithms.get(n.id());
            Node last = nodes.getLast();
            site = new Site(nodes.stream().map(Node::id).toList(), nodes.stream().map(Node::op).collect(Collectors.joining("+")), last.path(),
                    nodes.stream().flatMap(n -> n.origins().stream()).distinct().toList(), alg);
        }

        /** Binds a kernel's parameters in order from {@code args}, and the sizes every kernel knows by name. */
        void launch(KernelSource k, Map<String, Object> args, boolean once) {
            Kernel kernel = kernels.computeIfAbsent(k.entry(), e -> kernel(k));
            List<Arg> bound = new ArrayList<>();
            for (int i = 0; i < k.params().size(); i++) {
                KernelParam param = k.params().get(i);
                Kernel.Param p = kernel.params().get(i);
                Object a = args.get(param.name());
                if (a == null) {
                    a = switch (param.name()) {
                        case "rows" -> Size.rows();
                        case "length", "y_length" -> Size.length();
                        case "batch" -> Size.batch();
                        case "first_position" -> Size.of(0);
                        default -> throw new IllegalStateException("nothing binds parameter `" + param.name() + "` (" + param.holds() + ") of "
                                + k.entry() + " for " + site);
                    };
                }
                bound.add(switch (a) {
                    case Size s when !p.pointer() -> new Arg.Int(s);
                    case Double r when !p.pointer() -> new Arg.Real(r);
                    case Ref r when p.pointer() -> new Arg.Buf(r.resolve(this, p.element()).id());
                    default -> throw new IllegalStateException(k.entry() + " parameter `" + param.name() + "` is " + (p.pointer() ? "a pointer" : "a scalar")
                            + " but was bound to " + a);
                });
            }
            steps.add(new Step.Launch(k.entry(), bound, once, site));
        }
    }

    /** A pointer argument before its element type is known: the reading kernel's parameter says it. */
    private sealed interface Ref {
        Buffer resolve(Builder b, DType element);

        record Value(int id) implements Ref {
            public Buffer resolve(Builder b, DType element) {
                Buffer v = b.values.get(id);
                if (v == null) throw new IllegalStateException("value %" + id + " has no buffer here");
                return v;
            }
        }

        record Weight(String name) implements Ref {
            public Buffer resolve(Builder b, DType element) { return b.weight(name, element); }
        }

        record Scratch(String name, Size elements) implements Ref {
            public Buffer resolve(Builder b, DType element) { return b.scratch(name, element, elements); }
        }

        record State(String name) implements Ref {
            public Buffer resolve(Builder b, DType element) {
                Integer id = b.named.get(Buffer.Kind.STATE + " " + name);
                if (id == null) throw new IllegalStateException("state " + name + " is not declared");
                return b.buffers.get(id);
            }
        }

        record Tokens() implements Ref {
            public Buffer resolve(Builder b, DType element) { return b.tokens; }
        }

        record Constant(String name, float[] fallback) implements Ref {
            public Buffer resolve(Builder b, DType element) {
                b.constants.putIfAbsent(name, fallback);
                return b.add(Buffer.Kind.CONSTANT, name, element, Size.of(fallback.length));
            }
        }
    }

    private void node(Builder b, Node n) {
        b.siteOf(List.of(n));
        if (b.site.algorithm() == Algorithm.FUSED_FFT) {
            launch(b, kernels.fusedFft(b.g, n, precision));
            return;
        }
        if (b.site.algorithm() == Algorithm.SCAN) {
            scan(b, n, kernels.forNode(b.g, n, precision, Algorithm.SCAN), Map.of("x", operand(n, 0)), result(n, 0));
            return;
        }
        int in = n.is(Primitive.EMBEDDING) ? 0 : width(b.g, n.operands().getFirst());
        int out = width(b.g, n.results().getFirst());
        switch (n.primitive()) {
            case LINEAR, UNEMBED -> {
                String bias = n.is(Primitive.LINEAR) ? n.weights().get("bias") : null;
                b.steps.add(new Step.Gemm(Size.rows(), out, in, b.value(n.operands().getFirst()).id(), b.weight(weight(n, "weight"), storage()).id(),
                        bias == null ? -1 : b.weight(bias, storage()).id(), b.value(n.results().getFirst()).id(), b.site));
            }
            case EMBEDDING -> one(b, n, Map.of("tokens", new Ref.Tokens(), "table", new Ref.Weight(weight(n, "weight")), "y", result(n, 0)));
            case RMSNORM -> one(b, n, Map.of("x", operand(n, 0), "scale", new Ref.Weight(weight(n, "scale")), "y", result(n, 0)));
            case DEINTERLEAVE, SPLIT -> {
                Map<String, Object> named = new HashMap<>(Map.of("x", operand(n, 0)));
                for (int j = 0; j < n.results().size(); j++) named.put("y" + j, result(n, j));
                one(b, n, named);
            }
            case CONCAT -> {
                Map<String, Object> named = new HashMap<>(Map.of("y", result(n, 0)));
                for (int j = 0; j < n.operands().size(); j++) named.put("x" + j, operand(n, j));
                one(b, n, named);
            }
            case CAUSAL_CONV -> one(b, n, withSkip(n, Map.of("x", operand(n, 0), "h", new Ref.Weight(weight(n, "weight")), "y", result(n, 0))));
            case MODAL_CONV -> libraryFfts(b, n, kernels.forNode(b.g, n, precision), "x", operand(n, 0), result(n, 0));
            case CAUSAL_ATTENTION -> {
                int heads = Math.toIntExact(n.intAttr("heads"));
                // the selected algorithm's kernel (mma.sync or wgmma), as for the convolutions
                List<KernelSource> ks = kernels.forNode(b.g, n, precision, b.algorithms.get(n.id()));
                Object q = operand(n, 0), k = operand(n, 1);
                if (ks.size() == 2) {
                    Ref invFreq = invFreq(n, in / heads);
                    Ref qr = new Ref.Scratch("n" + n.id() + ".q_rotated", Size.rows().times(in)), kr = rotatedKeys(n, in);
                    b.launch(ks.getFirst(), Map.of("x", q, "y", qr, "inv_freq", invFreq), false);
                    b.launch(ks.getFirst(), Map.of("x", k, "y", kr, "inv_freq", invFreq), false);
                    q = qr;
                    k = kr;
                }
                b.launch(ks.getLast(), Map.of("q", q, "k", k, "v", operand(n, 2), "out", result(n, 0)), false);
            }
            default -> {
                Map<String, Object> named = new HashMap<>(Map.of("a", operand(n, 0), "y", result(n, 0)));
                if (n.operands().size() > 1) named.put("b", operand(n, 1));
                if (n.is(Primitive.SCALE)) named.put("by", n.floatAttr("by"));
                one(b, n, named);
            }
        }
    }

    /**
     * A GEMV over a lone projection or a {@link FuseGemv} group's nodes: its one kernel, or where K is split across
     * blocks the partial sums (into scratch of the group) and their reduction with the epilogue.
     */
    private void gemv(Builder b, List<Node> nodes) {
        b.siteOf(nodes);
        GemvGroup call = GemvGroup.of(b.g, nodes);
        Map<String, Object> named = new HashMap<>(Map.of("x", new Ref.Value(call.x()), "y", new Ref.Value(call.y())));
        for (int m = 0; m < call.projections().size(); m++) {
            Node projection = call.projections().get(m);
            named.put("w" + m, new Ref.Weight(weight(projection, "weight")));
            if (call.spec().bias()) named.put("bias" + m, new Ref.Weight(weight(projection, "bias")));
        }
        if (call.residual() >= 0) named.put("residual", new Ref.Value(call.residual()));
        long partials = Gemv.partialsPerRow(call.spec(), precision);
        if (partials > 0) named.put("partials", new Ref.Scratch("n" + nodes.getFirst().id() + ".partials", Size.rows().times(partials)));
        for (KernelSource k : kernels.gemv(b.g, nodes, precision)) b.launch(k, named, false);
    }

    /**
     * A modal convolution through library FFTs: the filter materialised and its spectrum taken once, then
     * y = IFFT(FFT(s)·FFT(h)) / N (+ skip ⊙ s) over rows zero-padded to N ≥ 2L, s read from {@code in} as the kernels'
     * parameter {@code input} (x; or z of a Hyena core, whose last kernel also gates) and y written to {@code out}.
     */
    private void libraryFfts(Builder b, Node n, List<KernelSource> ks, String input, Ref in, Ref out) {
        int width = width(b.g, n.operands().getFirst());
        Size fft = new Size.FftLength(Size.length()), bins = fft.ceilDiv(2).plus(1);
        Size transforms = Size.batch().times(width);
        String id = "n" + n.id();
        Ref h = new Ref.Scratch(id + ".filter", Size.length().times(width));
        Ref.Scratch hp = new Ref.Scratch(id + ".filter_rows", fft.times(width));
        Ref.Scratch hf = new Ref.Scratch(id + ".filter_spectra", bins.times(2L * width));
        Ref.Scratch xp = new Ref.Scratch(id + ".rows", transforms.times(fft));
        Ref.Scratch xf = new Ref.Scratch(id + ".spectra", transforms.times(bins).times(2));
        b.launch(ks.get(0), Map.of("log_poles", new Ref.Weight(weight(n, "log_poles")), "residues", new Ref.Weight(weight(n, "residues")), "h", h), true);
        b.launch(ks.get(1), Map.of("h", h, "hp", hp, "n", fft), true);
        b.steps.add(new Step.Fft(hp.resolve(b, DType.FP32).id(), hf.resolve(b, DType.FP32).id(), fft, Size.of(width), true, true, b.site));
        b.launch(ks.get(2), Map.of(input, in, "xp", xp, "n", fft), false);
        b.steps.add(new Step.Fft(xp.resolve(b, DType.FP32).id(), xf.resolve(b, DType.FP32).id(), fft, transforms, true, false, b.site));
        b.launch(ks.get(3), Map.of("xf", xf, "hf", hf, "bins", bins), false);
        b.steps.add(new Step.Fft(xf.resolve(b, DType.FP32).id(), xp.resolve(b, DType.FP32).id(), fft, transforms, false, false, b.site));
        b.launch(ks.get(4), withSkip(n, Map.of("yp", xp, input, in, "y", out, "n", fft)), false);
    }

    /**
     * A modal convolution by the chunked scan ({@link ModalScan}): the chunks' end states into scratch [B, ceil(L / T),
     * modes, C], the carry turning them in place into each chunk's incoming states, and the chunks run again from those,
     * s read from what {@code input} binds (x; or z of a Hyena core, whose last kernel also gates; or u and the featurizer's
     * weights of a core computing its featurizer) and y written to {@code out}. The poles and residues are read from the
     * weights as they are.
     */
    private void scan(Builder b, Node n, List<KernelSource> ks, Map<String, Object> input, Ref out) {
        int width = width(b.g, n.operands().getFirst());
        ModalScan.Filter f = ModalScan.filter(n, width);
        Ref states = new Ref.Scratch(ModalScan.scratchName(n), Size.batch().times(Size.length().ceilDiv(ModalScan.DEFAULT.chunk()))
                .times(ModalScan.scratchPerChunk(f)));
        Ref logPoles = new Ref.Weight(weight(n, "log_poles"));
        Map<String, Object> first = new HashMap<>(input), last = new HashMap<>(input);
        first.putAll(Map.of("log_poles", logPoles, "states", states));
        last.putAll(withSkip(n, Map.of("log_poles", logPoles, "residues", new Ref.Weight(weight(n, "residues")), "states", states, "y", out)));
        b.launch(ks.get(0), first, false);
        b.launch(ks.get(1), Map.of("log_poles", logPoles, "states", states), false);
        b.launch(ks.get(2), last, false);
    }

    /**
     * A fused group: its one kernel bound as its generator says at this group, after the kernels that prepare its data
     * once (the fused FFT's filter spectra); a modal Hyena core by library FFTs, its kernels around the FFT steps, or by
     * the scan, its three kernels around their scratch of states.
     */
    private void fused(Builder b, Group group) {
        if (featurizerApart(b, group)) group = featurizerFirst(b, group);
        b.siteOf(group.nodes());
        if (kernels.throughLibraryFfts(b.g, group, precision, b.site.algorithm())) {
            Node split = group.nodes(Primitive.DEINTERLEAVE).getFirst();
            libraryFfts(b, HyenaCore.conv(group), kernels.fftCore(b.g, group, precision), "z", operand(split, 0), result(group.nodes().getLast(), 0));
            return;
        }
        if (kernels.byScan(b.g, group, precision, b.site.algorithm())) {
            // z, or u and the featurizer's weights where the scan computes the featurizer
            scan(b, HyenaCore.conv(group), kernels.scanCore(b.g, group, precision), refs(HyenaCore.inputBindings(b.g, group)),
                    result(group.nodes().getLast(), 0));
            return;
        }
        launch(b, kernels.fused(b.g, group, precision, b.site.algorithm()));
    }

    /**
     * Whether a Hyena core group's featurizer runs apart: where the core's algorithm reads z (the FFTs, and any algorithm
     * but the direct, blocked and scan kernels, which compute it on their loads), or the featurizer was given an algorithm
     * of its own other than direct, whose numbers the fused kernels would not reproduce.
     */
    private boolean featurizerApart(Builder b, Group group) {
        Node featurizer = HyenaCore.featurizer(group);
        if (featurizer == null) return false;
        Algorithm own = b.algorithms.get(featurizer.id());
        return own != null && own != Algorithm.DIRECT || kernels.featurizerApart(b.g, group, precision, b.algorithms.get(HyenaCore.conv(group).id()));
    }

    /**
     * The one fallback that lets every core algorithm take a group holding its featurizer: the featurizer by its own kernel
     * (as a node alone, by its own algorithm) into scratch of the group that stands for z, then the rest of the group as any
     * core reading z; returns that rest.
     */
    private Group featurizerFirst(Builder b, Group group) {
        Node featurizer = HyenaCore.featurizer(group);
        int z = featurizer.results().getFirst();
        b.values.put(z, b.scratch("n" + featurizer.id() + ".z", storage(), Size.rows().times(width(b.g, z))));
        node(b, featurizer);
        return HyenaCore.withoutFeaturizer(group);
    }

    /** A kernel bound as its bindings say, its preparations first, once (their prepared scratch becomes PREPARED at the group's end). */
    private void launch(Builder b, FusedKernel k) {
        for (FusedKernel prep : k.prepare()) b.launch(prep.source(), refs(prep.bindings()), true);
        b.launch(k.source(), refs(k.bindings()), false);
    }

    private static Map<String, Object> refs(Map<String, Binding> bindings) {
        Map<String, Object> named = new HashMap<>();
        bindings.forEach((param, binding) -> named.put(param, switch (binding) {
            case Binding.Value v -> new Ref.Value(v.id());
            case Binding.Weight w -> new Ref.Weight(w.name());
            case Binding.Real r -> r.value();
            case Binding.State st -> new Ref.State(st.name());
            case Binding.Prepared p -> new Ref.Scratch(p.name(), Size.of(p.elements()));
            case Binding.Constant c -> new Ref.Constant(c.name(), c.values());
        }));
        return named;
    }

    /**
     * One decode step of a stateful node through its recurrent kernel (attention's with the kernel merging its split
     * keys' partials, where they are split). Where the token stands the kernels read from the {@link Plan#CLOCK} state,
     * so a step's launches are the same from token to token.
     */
    private void decodeStep(Builder b, Node n) {
        b.siteOf(List.of(n));
        List<KernelSource> ks = kernels.decodeForNode(b.g, n, precision);
        // a FIR's second kernel fills its ring after a prompt; attention's merges the partials of its split keys
        List<KernelSource> launched = n.is(Primitive.CAUSAL_ATTENTION) ? ks : List.of(ks.getFirst());
        String id = "n" + n.id();
        Map<String, Object> named = new HashMap<>(Map.of("x", operand(n, 0), "y", result(n, 0)));
        switch (n.primitive()) {
            case CAUSAL_CONV -> {
                named.put("h", new Ref.Weight(weight(n, "weight")));
                named.put("ring", new Ref.State(Decode.ringState(n)));
                named.put("clock", new Ref.State(Plan.CLOCK));
            }
            case MODAL_CONV -> {
                named.put("s", operand(n, 0));
                named.put("state", new Ref.State(Decode.modalState(n)));
                named.put("log_poles", new Ref.Weight(weight(n, "log_poles")));
                named.put("residues", new Ref.Weight(weight(n, "residues")));
                named.put("steps", Size.of(1));
            }
            case CAUSAL_ATTENTION -> {
                int in = width(b.g, n.operands().getFirst());
                named.putAll(Map.of("q", operand(n, 0), "k", operand(n, 1), "v", operand(n, 2), "out", result(n, 0),
                        "keys", new Ref.State(id + ".keys"), "values", new Ref.State(id + ".values"), "clock", new Ref.State(Plan.CLOCK),
                        "capacity", Size.capacity()));
                int heads = Math.toIntExact(n.intAttr("heads"));
                // the same constant as the parallel pass's RoPE, so both rotate with one table
                if (rope(n)) named.put("inv_freq", invFreq(n, in / heads));
                long partials = Decode.attendPartialsPerSequence(heads, in / heads);
                if (partials > 0) named.put("partials", new Ref.Scratch(id + ".attend_partials", Size.batch().times(partials)));
            }
            default -> throw new IllegalArgumentException(n.op() + " keeps no state");
        }
        for (KernelSource k : launched) b.launch(k, withSkip(n, named), false);
    }

    /**
     * Builds a node's decode state from its prompt, right after its parallel steps: the FIR ring from the node's
     * input; the modal state by the scan over the prompt from a zero state (its y goes to scratch: the parallel
     * steps already wrote the result); the KV cache by copying each sequence's keys and values into its rows.
     */
    private void fillState(Builder b, Node n) {
        b.siteOf(List.of(n));
        List<KernelSource> ks = kernels.decodeForNode(b.g, n, precision);
        String id = "n" + n.id();
        int width = width(b.g, n.operands().getFirst());
        switch (n.primitive()) {
            case CAUSAL_CONV -> {
                if (ks.size() >= 2) b.launch(ks.get(1), Map.of("x", operand(n, 0), "ring", new Ref.State(Decode.ringState(n))), false);
            }
            case MODAL_CONV -> b.launch(ks.getFirst(), withSkip(n, Map.of("s", operand(n, 0), "y", new Ref.Scratch(id + ".scan_y", Size.rows().times(width)),
                    "state", new Ref.State(Decode.modalState(n)), "log_poles", new Ref.Weight(weight(n, "log_poles")),
                    "residues", new Ref.Weight(weight(n, "residues")), "steps", Size.length())), false);
            default -> {
                // the prompt is [B, L, W], the cache [B, C, W]: one contiguous copy per sequence
                DType e = storage();
                Buffer keys = rope(n) ? rotatedKeys(n, width).resolve(b, e) : b.value(n.operands().get(1));
                Buffer vals = b.value(n.operands().get(2));
                Size row = Size.length().times((long) width * e.bytes), cacheRow = Size.capacity().times((long) width * e.bytes);
                for (var kv : List.of(Map.entry(".keys", keys), Map.entry(".values", vals))) {
                    Buffer dst = new Ref.State(id + kv.getKey()).resolve(b, e);
                    b.steps.add(new Step.Copy(dst.id(), Size.of(0), cacheRow, kv.getValue().id(), Size.of(0), row, row, Size.batch(), b.site));
                }
            }
        }
    }

    private static Ref.Scratch rotatedKeys(Node n, int width) { return new Ref.Scratch("n" + n.id() + ".k_rotated", Size.rows().times(width)); }

    private static boolean rope(Node n) { return "rope".equals(n.attrs().get("rope")); }

    /** RoPE's frequencies: the checkpoint's buffer of the node's layer where it has one, else computed as the reference does (bf16-rounded). */
    private static Ref invFreq(Node n, int headDim) {
        String layer = n.path().startsWith("layers.") ? n.path().substring(0, n.path().indexOf('.', 7)) : "";
        return new Ref.Constant(layer + ".inv_freq", Rope.invFreqBf16(n.floatAttr("rope.base"), headDim));
    }

    private void one(Builder b, Node n, Map<String, Object> named) {
        List<KernelSource> ks = kernels.forNode(b.g, n, precision, b.algorithms.get(n.id()));
        if (ks.size() != 1) throw new IllegalStateException("expected one kernel for " + n.op() + ", the generator gave " + ks.size());
        b.launch(ks.getFirst(), named, false);
    }

    private static Map<String, Object> withSkip(Node n, Map<String, Object> named) {
        String skip = n.weights().get("skip");
        if (skip == null) return named;
        Map<String, Object> m = new HashMap<>(named);
        m.put("skip", new Ref.Weight(skip));
        return m;
    }

    private static Ref operand(Node n, int i) { return new Ref.Value(n.operands().get(i)); }

    private static Ref result(Node n, int i) { return new Ref.Value(n.results().get(i)); }

    private static String weight(Node n, String role) {
        String name = n.weights().get(role);
        if (name == null) throw new IllegalStateException(n.op() + " " + n.path() + " has no `" + role + "` weight");
        return name;
    }

    private static int width(Graph g, int value) { return Math.toIntExact(g.value(value).type().channels()); }

    private DType storage() { return dtype(precision.storage()); }

    static DType dtype(CType.Scalar s) {
        return switch (s) {
            case FLOAT -> DType.FP32;
            case BF16 -> DType.BF16;
            case INT64 -> DType.I64;
            default -> throw new IllegalArgumentException("no buffers of " + s);
        };
    }

    /** The plan's view of a generated kernel: its parameters' types and its launch as size formulas. */
    static Kernel kernel(KernelSource k) {
        List<Kernel.Param> params = new ArrayList<>();
        for (KernelParam p : k.params()) {
            params.add(switch (p.type()) {
                case CType.Pointer ptr -> new Kernel.Param(p.name(), Kernel.Param.Type.POINTER, dtype(ptr.element()), ptr.readOnly());
                case CType.Scalar s -> new Kernel.Param(p.name(), switch (s) {
                    case INT -> Kernel.Param.Type.INT;
                    case INT64 -> Kernel.Param.Type.LONG;
                    case FLOAT -> Kernel.Param.Type.FLOAT;
                    case DOUBLE -> Kernel.Param.Type.DOUBLE;
                    default -> throw new IllegalArgumentException(k.entry() + " has a parameter of type " + s);
                }, null, true);
                case CType.Array a -> throw new IllegalArgumentException(k.entry() + " has an array parameter");
            });
        }
        var l = k.launch();
        return new Kernel(k.entry(), k.name(), k.dialect(), k.code(), params, List.of(size(l.gridX()), size(l.gridY()), size(l.gridZ())),
                List.of(l.blockX(), l.blockY(), l.blockZ()));
    }

    static Size size(Extent e) {
        return switch (e) {
            case Extent.Const c -> Size.of(c.value());
            case Extent.Sym s -> s.name().equals(Extent.B) ? Size.batch() : Size.length();
            case Extent.Mul m -> size(m.a()).times(size(m.b()));
            case Extent.CeilDiv c -> size(c.a()).ceilDiv(c.by());
        };
    }
}
