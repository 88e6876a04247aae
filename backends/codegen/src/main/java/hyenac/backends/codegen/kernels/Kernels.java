package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.CType;
import hyenac.backends.codegen.Dialect;
import hyenac.backends.codegen.KernelParam;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.KernelSource.Site;
import hyenac.backends.codegen.Precision;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Origin;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseElementwise;
import hyenac.ir.fusion.FuseGemv;
import hyenac.ir.fusion.FuseHyenaCore;
import hyenac.ir.fusion.FuseHyenaStep;
import hyenac.ir.fusion.FuseNormResidual;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The kernels of a graph in one dialect. Per node: the kernels of the parallel (prompt) pass and of the
 * decode step; per fused group (the fusion pass's {@link Group}): exactly one kernel, by the group's kind. {@link #all}
 * gathers everything the generator can emit for a graph, merging kernels whose code is identical into one
 * source that names every site it serves. Output is deterministic: the same graph gives the same text.
 *
 * <p>{@code linear} and {@code unembed} are library GEMMs (cuBLASLt) in the parallel pass, not generated here; a decode
 * step runs them as GEMVs ({@link Gemv}), alone or with the epilogue a {@link FuseGemv} group gives them. Training
 * primitives ({@link Primitive.Form#TRAINING}) have no GPU kernels: training runs on the CPU.
 */
public class Kernels {
    private final Dialect dialect;
    private final SourceLines lines;

    public Kernels(Dialect dialect) { this(dialect, SourceLines.NONE); }

    /** {@code lines}: the text of DSL lines, quoted in headers where known. */
    public Kernels(Dialect dialect, SourceLines lines) {
        this.dialect = dialect;
        this.lines = lines;
    }

    public Dialect dialect() { return dialect; }

    /** Ops that run as library calls rather than generated kernels in the parallel pass (a decode step's are GEMVs). */
    public static boolean isLibraryCall(Node n) {
        return n.is(Primitive.LINEAR) || n.is(Primitive.UNEMBED);
    }

    /** The precision a graph's activations ask for (its first value's dtype that is not the token ids). */
    public static Precision precisionOf(Graph g) {
        return g.values().values().stream().map(v -> v.type().dtype()).filter(d -> d != hyenac.ir.DType.I64).findFirst()
                .map(Precision::of).orElse(Precision.FP32);
    }

    /** The kernels one node needs in the parallel pass, in launch order (empty for a library call), a convolution's by its first algorithm. */
    public List<KernelSource> forNode(Graph g, Node n, Precision p) { return forNode(g, n, p, null); }

    /** As {@link #forNode(Graph, Node, Precision)}, a convolution computed by {@code algorithm} (null: its first). */
    public List<KernelSource> forNode(Graph g, Node n, Precision p, Algorithm algorithm) {
        return parallel(g, n, p, algorithm).stream().map(k -> source(k, List.of(new Site(List.of(n))))).toList();
    }

    /**
     * The algorithms the parallel pass has kernels for at node {@code n}, the first the default: a causal convolution is
     * direct, and also blocked on the tensor cores where {@link BlockedConv#supports} it; a modal one goes through library
     * FFTs; either also by the fused FFT ({@link FusedFft}: chunks transformed on chip) where {@link FusedFft#supports} it;
     * a modal one also by the chunked scan of its modes ({@link ModalScan}) where {@link ModalScan#supports} it. Causal
     * attention on the tensor cores where the dialect has inline PTX and {@link FlashAttention#supports} it: by mma.sync
     * ({@link FlashAttention}), and by wgmma ({@link HopperAttention}) for the lowering to offer where the device has it.
     */
    public List<Algorithm> algorithms(Graph g, Node n, Precision p) {
        List<Algorithm> out = new ArrayList<>();
        switch (n.primitive()) {
            case CAUSAL_CONV -> {
                out.add(Algorithm.DIRECT);
                if (BlockedConv.supports(filter(n, width(g, n.operands().getFirst())), p, dialect)) out.add(Algorithm.BLOCKED);
            }
            case MODAL_CONV -> out.add(Algorithm.FFT);
            case CAUSAL_ATTENTION -> {
                // the tensor-core kernels where the dialect has inline PTX and the shape fits; else (fp32) the plain kernel alone
                int heads = toInt(n.intAttr("heads")), headDim = toInt(width(g, n.operands().getFirst()) / heads);
                return dialect.inlinePtx() && FlashAttention.supports(headDim, p) ? List.of(Algorithm.FLASH, Algorithm.FLASH_WGMMA) : List.of();
            }
            default -> {
                return List.of();
            }
        }
        if (fusedFftSupports(fusedFilter(g, n), p)) out.add(Algorithm.FUSED_FFT);
        if (n.is(Primitive.MODAL_CONV) && ModalScan.supports(scanFilter(g, n))) out.add(Algorithm.SCAN);
        return List.copyOf(out);
    }

    /** The filter of a modal convolution node as the scan sees it. */
    public static ModalScan.Filter scanFilter(Graph g, Node n) { return ModalScan.filter(n, width(g, n.operands().getFirst())); }

    private final Map<List<Object>, Boolean> fusedFftSupport = new java.util.concurrent.ConcurrentHashMap<>();

    /** {@link FusedFft#supports}, kept per filter and precision: it generates the kernel to measure its shared memory. */
    private boolean fusedFftSupports(FusedFft.Filter f, Precision p) {
        return fusedFftSupport.computeIfAbsent(List.of(f, p), k -> FusedFft.supports(f, p, dialect));
    }

    /** The filter of a causal or modal convolution node as the fused FFT sees it. */
    public static FusedFft.Filter fusedFilter(Graph g, Node n) {
        long channels = width(g, n.operands().getFirst());
        return switch (n.primitive()) {
            case MODAL_CONV -> new FusedFft.Modal(channels, toInt(n.intAttr("modes")), n.boolAttr("skip"));
            case CAUSAL_CONV -> new FusedFft.Explicit(filter(n, channels));
            default -> throw new IllegalArgumentException(n.op() + " is not a convolution");
        };
    }

    /**
     * Convolution node {@code n} by the fused FFT, the plain form y = h ∗ x (+ skip ⊙ x): its one kernel, bound at the
     * node, and the kernel that prepares its filter's spectra once.
     */
    public FusedKernel fusedFft(Graph g, Node n, Precision p) {
        if (!algorithms(g, n, p).contains(Algorithm.FUSED_FFT)) {
            throw new IllegalArgumentException("no fused_fft kernel for " + n.op() + " " + n.path() + " in " + p.suffix() + " (" + dialect.name() + ")");
        }
        FusedFft.Filter f = fusedFilter(g, n);
        Map<String, Binding> bindings = new LinkedHashMap<>();
        bindings.put("x", new Binding.Value(n.operands().getFirst()));
        bindings.putAll(FusedFft.convBindings(n, f, FusedFft.DEFAULT));
        bindings.put("y", new Binding.Value(n.results().getFirst()));
        return fusedKernel(new GroupKernel(FusedFft.conv(f, null, p, FusedFft.DEFAULT), bindings,
                List.of(new GroupKernel(FusedFft.spectrum(f, FusedFft.DEFAULT), FusedFft.spectrumBindings(n, f, FusedFft.DEFAULT)))), List.of(n));
    }

    /**
     * The kernels of a Hyena core group whose modal convolution goes through library FFTs, in launch order, around the
     * FFTs the lowering puts between them: the filter materialised and padded (once), s = k ⊙ v packed from z into
     * padded rows, the spectra's product, and the gate unpacking y from the inverse rows.
     */
    public List<KernelSource> fftCore(Graph g, Group group, Precision p) {
        Node conv = HyenaCore.conv(group);
        if (!group.kind().equals(FuseHyenaCore.KIND) || !conv.is(Primitive.MODAL_CONV)) {
            throw new IllegalArgumentException("library FFTs serve the modal Hyena core, not " + group);
        }
        return fftCoreKernels(g, group, p).stream().map(k -> source(k, List.of(new Site(group.nodes())))).toList();
    }

    /**
     * The kernels of a Hyena core group whose modal convolution is the chunked scan ({@link ModalScan}), in launch order:
     * the chunks' end states of s = k ⊙ v read from z (or, where the group holds its featurizer, formed from u on the
     * loads), their carry into each chunk's incoming states, and the chunks run again from those, gated; the lowering
     * binds a scratch of states between them.
     */
    public List<KernelSource> scanCore(Graph g, Group group, Precision p) {
        Node conv = HyenaCore.conv(group);
        if (!group.kind().equals(FuseHyenaCore.KIND) || !conv.is(Primitive.MODAL_CONV)) {
            throw new IllegalArgumentException("the modal scan serves the modal Hyena core, not " + group);
        }
        return scanCoreKernels(g, group, p).stream().map(k -> source(k, List.of(new Site(group.nodes())))).toList();
    }

    private static List<GeneratedKernel> scanCoreKernels(Graph g, Group group, Precision p) {
        ModalScan.Filter f = scanFilter(g, HyenaCore.conv(group));
        CausalConv.Filter featurizer = HyenaCore.featurizerFilter(g, group);
        GeneratedKernel states = featurizer == null ? ModalScan.states(f, true, p, ModalScan.DEFAULT) : ModalScan.states(f, featurizer, p, ModalScan.DEFAULT);
        return List.of(states, ModalScan.carry(f, ModalScan.DEFAULT), ModalScan.output(f, featurizer, HyenaCore.gateActivation(group), p, ModalScan.DEFAULT));
    }

    private static List<GeneratedKernel> fftCoreKernels(Graph g, Group group, Precision p) {
        Node conv = HyenaCore.conv(group);
        long in = width(g, conv.operands().getFirst());
        return List.of(ModalFilter.generate(in, toInt(conv.intAttr("modes")), p), FftConv.padFilter(in), FftConv.packSignal(in, p, true),
                FftConv.spectralProduct(in), FftConv.unpack(in, conv.boolAttr("skip"), HyenaCore.gateActivation(group), p));
    }

    /** The kernels one node needs for a decode step (a projection's GEMV; empty when its parallel kernels serve with L = 1). */
    public List<KernelSource> decodeForNode(Graph g, Node n, Precision p) {
        return decode(g, n, p).stream().map(k -> source(k, List.of(new Site(List.of(n))))).toList();
    }

    /** A kernel made outside the node mapping (e.g. a launcher's own specialisation) as the source of one node. */
    public KernelSource forKernel(GeneratedKernel k, Node n) {
        return source(k, List.of(new Site(List.of(n))));
    }

    /**
     * The kernels a group runs in the parallel pass, its convolution (if any) by its first algorithm: a single node's own
     * (none for a library call), a fused group's preparations and its one kernel, a modal core's {@link #fftCore} (or
     * {@link #scanCore}), or a {@link FuseGemv} group's GEMV.
     */
    public List<KernelSource> forGroup(Graph g, Group group, Precision p) {
        if (group.kind().equals(FuseGemv.KIND)) return gemv(g, group.nodes(), p);
        if (!group.fused()) return forNode(g, group.node(), p);
        if (featurizerApart(g, group, p, null)) {
            List<KernelSource> out = new ArrayList<>(forNode(g, HyenaCore.featurizer(group), p));
            out.addAll(forGroup(g, HyenaCore.withoutFeaturizer(group), p));
            return out;
        }
        if (throughLibraryFfts(g, group, p, null)) return fftCore(g, group, p);
        if (byScan(g, group, p, null)) return scanCore(g, group, p);
        FusedKernel k = fused(g, group, p);
        List<KernelSource> out = new ArrayList<>();
        k.prepare().forEach(prep -> out.add(prep.source()));
        out.add(k.source());
        return out;
    }

    /**
     * Whether a Hyena core group by {@code algorithm} (null: its convolution's first) holds a featurizer that its kernels do
     * not compute ({@link HyenaCore#fusesFeaturizer}): the featurizer then runs first by its own kernels, writing z, and
     * the rest of the group ({@link HyenaCore#withoutFeaturizer}) after it, as any core that reads z.
     */
    public boolean featurizerApart(Graph g, Group group, Precision p, Algorithm algorithm) {
        if (HyenaCore.featurizer(group) == null) return false;
        Algorithm a = algorithm != null ? algorithm : algorithms(g, HyenaCore.conv(group), p).getFirst();
        return !HyenaCore.fusesFeaturizer(g, group, a);
    }

    /** Whether a fused group by {@code algorithm} (null: its convolution's first) is a modal core through library FFTs ({@link #fftCore}). */
    public boolean throughLibraryFfts(Graph g, Group group, Precision p, Algorithm algorithm) {
        if (!group.kind().equals(FuseHyenaCore.KIND)) return false;
        Node conv = HyenaCore.conv(group);
        Algorithm a = algorithm != null ? algorithm : algorithms(g, conv, p).getFirst();
        return conv.is(Primitive.MODAL_CONV) && a == Algorithm.FFT;
    }

    /** Whether a fused group by {@code algorithm} (null: its convolution's first) is a modal core by the chunked scan ({@link #scanCore}). */
    public boolean byScan(Graph g, Group group, Precision p, Algorithm algorithm) {
        if (!group.kind().equals(FuseHyenaCore.KIND)) return false;
        Node conv = HyenaCore.conv(group);
        Algorithm a = algorithm != null ? algorithm : algorithms(g, conv, p).getFirst();
        return conv.is(Primitive.MODAL_CONV) && a == Algorithm.SCAN;
    }

    /**
     * The GEMV of a lone projection or of a {@link FuseGemv} group's nodes ({@link GemvGroup}), in launch order: one
     * kernel, or two where K is split across blocks.
     */
    public List<KernelSource> gemv(Graph g, List<Node> nodes, Precision p) {
        Site site = new Site(nodes);
        return Gemv.generate(GemvGroup.of(g, nodes).spec(), p).stream().map(k -> source(k, List.of(site))).toList();
    }

    /**
     * The one kernel of a fused group and what its parameters take at that group, its convolution (if any) by its
     * first algorithm ({@link #gemv} for a GEMV group).
     */
    public FusedKernel fused(Graph g, Group group, Precision p) { return fused(g, group, p, null); }

    /**
     * As {@link #fused(Graph, Group, Precision)}, the group's convolution computed by {@code algorithm} (null: its first); a
     * modal core through library FFTs or by the scan is no one kernel (an IllegalArgumentException: see {@link #fftCore},
     * {@link #scanCore}).
     */
    public FusedKernel fused(Graph g, Group group, Precision p, Algorithm algorithm) {
        // a decode step's Hyena mixer steps its filter recurrently (its site's algorithm RECURRENT), none of the parallel pass's;
        // a Hyena core's algorithm is its filter's (a featurizer inside is computed on the loads, whatever its own)
        if (algorithm != null && !group.kind().equals(FuseHyenaStep.KIND)) {
            for (Node n : group.kind().equals(FuseHyenaCore.KIND) ? List.of(HyenaCore.conv(group)) : group.nodes()) {
                List<Algorithm> offered = algorithms(g, n, p);
                if (!offered.isEmpty() && !offered.contains(algorithm)) {
                    throw new IllegalArgumentException("no " + algorithm.spelling() + " kernel for " + n.op() + " " + n.path() + " in " + p.suffix() + " ("
                            + dialect.name() + "); it has " + offered.stream().map(Algorithm::spelling).toList());
                }
            }
        }
        return fusedKernel(generate(g, group, p, algorithm), group.nodes());
    }

    private FusedKernel fusedKernel(GroupKernel k, List<Node> nodes) {
        List<FusedKernel> prepare = k.prepare().stream().map(prep -> fusedKernel(prep, nodes)).toList();
        return new FusedKernel(source(k.kernel(), List.of(new Site(nodes))), k.bindings(), prepare);
    }

    /**
     * Everything the generator can emit for the graph and these fused {@code groups} (as the fusion pass made them),
     * identical code merged, in first-use order: every node's kernels (by each algorithm it has), then the groups'. An
     * inventory for tests and tools; a run's kernels are those its plan launches.
     */
    public List<KernelSource> all(Graph g, Precision p, List<Group> groups) {
        Map<String, Sites> byCode = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            for (Algorithm a : algorithmsOrNone(g, n, p)) for (GeneratedKernel k : parallel(g, n, p, a)) add(byCode, k, new Site(List.of(n)));
            for (GeneratedKernel k : decode(g, n, p)) add(byCode, k, new Site(List.of(n)));
        }
        for (Group group : groups) {
            if (group.kind().equals(FuseGemv.KIND)) {
                for (GeneratedKernel k : Gemv.generate(GemvGroup.of(g, group.nodes()).spec(), p)) add(byCode, k, new Site(group.nodes()));
                continue;
            }
            if (!group.fused()) continue;
            // a decode step's Hyena mixer steps its filter recurrently whatever the parallel pass's algorithm; a Hyena core's
            // algorithms are its filter's
            List<Node> convs = group.kind().equals(FuseHyenaStep.KIND) ? List.of()
                    : group.kind().equals(FuseHyenaCore.KIND) ? List.of(HyenaCore.conv(group))
                    : group.nodes().stream().filter(n -> !algorithms(g, n, p).isEmpty()).toList();
            for (Algorithm a : convs.isEmpty() ? Collections.<Algorithm>singletonList(null) : algorithms(g, convs.getFirst(), p)) {
                // by an algorithm that reads z, the featurizer's own kernels (every node's, above) and then the rest's; a modal
                // core of several kernels: around the library's FFTs, or the scan's three (which may compute the featurizer)
                Group kernelled = featurizerApart(g, group, p, a) ? HyenaCore.withoutFeaturizer(group) : group;
                List<GeneratedKernel> several = throughLibraryFfts(g, kernelled, p, a) ? fftCoreKernels(g, kernelled, p)
                        : byScan(g, kernelled, p, a) ? scanCoreKernels(g, kernelled, p) : null;
                if (several != null) {
                    for (GeneratedKernel k : several) add(byCode, k, new Site(kernelled.nodes()));
                    continue;
                }
                GroupKernel k = generate(g, kernelled, p, a);
                for (GroupKernel prep : k.prepare()) add(byCode, prep.kernel(), new Site(kernelled.nodes()));
                add(byCode, k.kernel(), new Site(kernelled.nodes()));
            }
        }
        Map<String, String> entries = new LinkedHashMap<>();
        List<KernelSource> out = new ArrayList<>();
        for (Map.Entry<String, Sites> e : byCode.entrySet()) {
            String entry = e.getValue().kernel.entry();
            if (entries.putIfAbsent(entry, e.getKey()) != null) {
                throw new IllegalStateException("two different kernels are both named " + entry + ": a generator must name every specialisation");
            }
            out.add(source(e.getValue().kernel, e.getValue().sites));
        }
        return out;
    }

    private record Sites(GeneratedKernel kernel, List<Site> sites) {}

    /** Adds a site of a kernel; a group that fuses alike in several modes is one site. */
    private void add(Map<String, Sites> byCode, GeneratedKernel k, Site site) {
        List<Site> sites = byCode.computeIfAbsent(k.kernel().render(dialect), c -> new Sites(k, new ArrayList<>())).sites();
        if (!sites.contains(site)) sites.add(site);
    }

    /** A node's algorithms, or one null standing for "the node's only kernels" where it has no choice. */
    private List<Algorithm> algorithmsOrNone(Graph g, Node n, Precision p) {
        List<Algorithm> as = algorithms(g, n, p);
        return as.isEmpty() ? Collections.singletonList(null) : as;
    }

    /** A fused group's kernel, by the group's kind; a new pattern adds its generator here. */
    private GroupKernel generate(Graph g, Group group, Precision p, Algorithm algorithm) {
        return switch (group.kind()) {
            case FuseHyenaCore.KIND -> HyenaCore.generate(g, group, p, algorithm);
            case FuseHyenaStep.KIND -> HyenaStep.generate(g, group, p);
            case FuseNormResidual.KIND -> NormResidual.generate(g, group, p);
            case FuseElementwise.KIND -> ElementwiseChain.generate(g, group, p);
            case FuseGemv.KIND -> throw new IllegalArgumentException("a GEMV group's kernels come from Kernels.gemv (one or two of them)");
            default -> throw new UnsupportedOperationException("no kernel generator for " + group.kind() + " groups");
        };
    }

    // ---- node → generator ----

    private static long width(Graph g, int value) { return g.value(value).type().channels(); }

    private static int toInt(long v) { return Math.toIntExact(v); }

    private List<GeneratedKernel> parallel(Graph g, Node n, Precision p, Algorithm algorithm) {
        if (algorithm != null && !algorithms(g, n, p).contains(algorithm)) {
            throw new IllegalArgumentException("no " + algorithm.spelling() + " kernel for " + n.op() + " " + n.path() + " in " + p.suffix() + " ("
                    + dialect.name() + "); it has " + algorithms(g, n, p).stream().map(Algorithm::spelling).toList());
        }
        if (algorithm == Algorithm.FUSED_FFT) {
            // its filter's spectra prepared once, then the one convolution kernel
            FusedFft.Filter f = fusedFilter(g, n);
            return List.of(FusedFft.spectrum(f, FusedFft.DEFAULT), FusedFft.conv(f, null, p, FusedFft.DEFAULT));
        }
        if (algorithm == Algorithm.SCAN) {
            // the chunks' end states, their carry, the chunks again: the lowering binds the scratch of states between them
            ModalScan.Filter f = scanFilter(g, n);
            return List.of(ModalScan.states(f, false, p, ModalScan.DEFAULT), ModalScan.carry(f, ModalScan.DEFAULT),
                    ModalScan.output(f, null, p, ModalScan.DEFAULT));
        }
        Primitive op = n.primitive();
        long in = n.operands().isEmpty() || op == Primitive.EMBEDDING ? 0 : width(g, n.operands().getFirst());
        long out = width(g, n.results().getFirst());
        return switch (op) {
            case LINEAR, UNEMBED -> List.of();
            case EMBEDDING -> List.of(Embedding.generate(n.intAttr("vocab"), out, p));
            case RMSNORM -> List.of(RmsNorm.generate(in, n.floatAttr("eps"), p));
            case DEINTERLEAVE -> List.of(Channels.deinterleave(in, n.results().size(), p));
            case SPLIT -> List.of(Channels.split(in, n.results().size(), p));
            case CONCAT -> List.of(Channels.concat(n.operands().stream().map(v -> width(g, v)).toList(), p));
            case CAUSAL_CONV -> List.of(algorithm == Algorithm.BLOCKED ? BlockedConv.conv(filter(n, in), p) : CausalConv.direct(filter(n, in), p));
            // the parallel form: materialise h, then convolve through library FFTs between these kernels
            case MODAL_CONV -> List.of(ModalFilter.generate(in, toInt(n.intAttr("modes")), p), FftConv.padFilter(in),
                    FftConv.packSignal(in, p), FftConv.spectralProduct(in), FftConv.unpack(in, n.boolAttr("skip"), p));
            case CAUSAL_ATTENTION -> {
                int heads = toInt(n.intAttr("heads"));
                int headDim = toInt(in / heads);
                List<GeneratedKernel> ks = new ArrayList<>();
                if (hasRope(n)) ks.add(Rope.generate(heads, headDim, ropeScale(n), p));
                // as selected (null: the first offered): the tensor cores' tiles (mma.sync or wgmma), else the plain kernel
                Algorithm chosen = algorithm != null ? algorithm : algorithms(g, n, p).stream().findFirst().orElse(null);
                ks.add(switch (chosen) {
                    case FLASH_WGMMA -> HopperAttention.generate(heads, headDim, p);
                    case FLASH -> FlashAttention.generate(heads, headDim, p);
                    case null, default -> Attention.generate(heads, headDim, p);
                });
                yield ks;
            }
            case ADD, SUB, MUL, SCALE, NEG, IDENTITY, GELU, SILU, RELU -> List.of(Pointwise.generate(op, out, p));
            case CROSS_ENTROPY, CROSS_ENTROPY_GRAD, ZEROS_LIKE, LINEAR_GRAD_INPUT, LINEAR_GRAD_WEIGHT, SUM_ROWS, EMBEDDING_GRAD,
                 CAUSAL_CONV_GRAD_INPUT, CAUSAL_CONV_GRAD_PARAMS, MODAL_CONV_GRAD_INPUT, MODAL_CONV_GRAD_PARAMS, SKIP_GRAD,
                 RMSNORM_GRAD_INPUT, RMSNORM_GRAD_SCALE, INTERLEAVE, SLICE, ACTIVATION_GRAD, CAUSAL_ATTENTION_GRAD ->
                    throw new UnsupportedOperationException("no kernel generator for `" + op + "`: training runs on the CPU");
        };
    }

    private List<GeneratedKernel> decode(Graph g, Node n, Precision p) {
        // a step's projections are GEMVs (here without the epilogue a fused group may add)
        if (FuseGemv.projection(n)) return Gemv.generate(GemvGroup.of(g, List.of(n)).spec(), p);
        // the other primitives without state run their parallel kernels with L = 1
        if (!n.primitive().stateful()) return List.of();
        return switch (n.primitive()) {
            case CAUSAL_CONV -> {
                CausalConv.Filter f = filter(n, width(g, n.operands().getFirst()));
                yield f.len() > 1 ? List.of(Decode.firStep(f, p), Decode.firPrefill(f, p)) : List.of(Decode.firStep(f, p));
            }
            case MODAL_CONV -> List.of(Decode.modalScan(width(g, n.operands().getFirst()), toInt(n.intAttr("modes")), n.boolAttr("skip"), p));
            case CAUSAL_ATTENTION -> {
                int heads = toInt(n.intAttr("heads"));
                yield Decode.kvAttendStep(heads, toInt(width(g, n.operands().getFirst()) / heads), hasRope(n), ropeScale(n), p);
            }
            default -> throw new UnsupportedOperationException("`" + n.op() + "` keeps decode state but has no step kernels");
        };
    }

    static CausalConv.Filter filter(Node n, long channels) {
        return new CausalConv.Filter(channels, toInt(n.intAttr("len")), n.intAttr("groups"), CausalConv.Taps.of(n.stringAttr("taps")),
                n.boolAttr("skip"));
    }

    private static boolean hasRope(Node n) { return "rope".equals(n.attrs().get("rope")); }

    private static double ropeScale(Node n) { return n.attrs().containsKey("rope.scale") ? n.floatAttr("rope.scale") : 1; }

    // ---- the header ----

    private KernelSource source(GeneratedKernel k, List<Site> sites) {
        String code = k.kernel().render(dialect);
        List<String> h = new ArrayList<>();
        h.add(k.entry() + " - generated by hyenac (" + dialect.name() + ")");
        h.addAll(k.about());
        boolean bf16 = k.kernel().scalarsUsed().contains(CType.Scalar.BF16);
        h.add("Numbers: " + (bf16 ? "bf16 in memory, fp32 arithmetic; filters and states fp32." : "fp32 in memory and arithmetic."));
        int shared = k.kernel().sharedBytes(), dynamic = k.kernel().dynamicSharedBytes(dialect);
        h.add("Launch: " + k.launch() + (dynamic > 0 ? ", " + dynamic + " bytes of dynamic shared memory" : shared > 0 ? ", " + shared + " bytes of shared memory" : "") + ".");
        h.add("Arguments:");
        for (KernelParam param : k.params()) h.add("  " + param.name() + ": " + param.holds());
        h.add(sites.size() == 1 ? "Implements:" : "Implements, at " + sites.size() + " sites:");
        Set<Origin> quoted = new LinkedHashSet<>();
        for (Site site : sites) {
            for (Node n : site.nodes()) {
                h.add("  " + describe(n));
                quoted.addAll(n.origins());
            }
        }
        List<String> dsl = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Origin o : quoted) {
            lines.line(o).ifPresent(text -> {
                String entry = "  " + o.file() + ":" + o.line() + "  " + text.strip();
                if (seen.add(entry)) dsl.add(entry);
            });
        }
        if (!dsl.isEmpty()) {
            h.add("DSL lines:");
            h.addAll(dsl);
        }
        String header = h.stream().map(line -> ("// " + clean(line)).stripTrailing()).collect(Collectors.joining("\n", "", "\n\n"));
        return new KernelSource(k.name(), k.entry(), dialect.name(), header + code, code, k.launch(), k.params(), k.kernel().sharedBytes(), sites);
    }

    /** "%9 = causal_conv(%8)  layers.0.mixer.filter  at sh2-tiny.hyena:12:11 via std:16:7". */
    static String describe(Node n) {
        String results = n.results().stream().map(r -> "%" + r).collect(Collectors.joining(", "));
        String operands = n.operands().stream().map(o -> "%" + o).collect(Collectors.joining(", "));
        String at = n.origins().isEmpty() ? "" : "  at " + n.origins().stream().map(Origin::toString).collect(Collectors.joining(" via "));
        String path = n.path() == null || n.path().isEmpty() ? "" : "  " + n.path();
        return results + " = " + n.op() + "(" + operands + ")" + path + at;
    }

    /** One line of comment text: no line breaks, nothing that could end or open a comment. */
    private static String clean(String s) {
        return s.replace('\n', ' ').replace('\r', ' ').replace("*/", "* /").replace("/*", "/ *");
    }
}
