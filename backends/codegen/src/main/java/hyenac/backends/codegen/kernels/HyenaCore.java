package hyenac.backends.codegen.kernels;

import hyenac.backends.codegen.Precision;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.fusion.FuseHyenaCore;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel of a hyena_core group ({@link FuseHyenaCore}): deinterleave, k ⊙ v, the convolution, the optional
 * activation of q and the gate, reading z and writing y only. Explicit taps: {@link CausalConv#hyenaCore} (direct),
 * {@link BlockedConv#core} (two-stage blocked on the tensor cores) or {@link FusedFft#conv} (chunked FFTs on chip, the
 * chunks' spectra of the taps prepared once); modal filters (Hyena-LI): {@link FusedFft#conv}, or through library FFTs
 * between the kernels of {@link Kernels#fftCore}, or by the chunked scan's three kernels ({@link Kernels#scanCore}), which
 * are not one kernel.
 *
 * <p>A group holding its featurizer reads u instead: the direct and blocked kernels, and the scan's, compute the
 * featurizer on their loads where {@link #fusesFeaturizer} says so; for every other algorithm the lowering runs the
 * featurizer first, by its own kernel, and then the core of the rest of the group ({@link #withoutFeaturizer}), as before.
 */
public final class HyenaCore {
    private HyenaCore() {}

    /** The group's convolution: its causal_conv or modal_conv on k ⊙ v (not the featurizer). */
    public static Node conv(Group group) {
        Node featurizer = featurizer(group);
        return group.nodes().stream().filter(n -> n != featurizer && (n.is(Primitive.CAUSAL_CONV) || n.is(Primitive.MODAL_CONV))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("a hyena_core group without a convolution: " + group));
    }

    /** The featurizer a hyena_core group holds (the causal_conv producing the split's z), or null where it reads z (or is no core). */
    public static Node featurizer(Group group) {
        if (!group.kind().equals(FuseHyenaCore.KIND)) return null;
        int z = group.nodes(Primitive.DEINTERLEAVE).getFirst().operands().getFirst();
        return group.nodes().stream().filter(n -> n.is(Primitive.CAUSAL_CONV) && n.results().getFirst() == z).findFirst().orElse(null);
    }

    /**
     * Whether the group's kernels by {@code algorithm} compute the group's featurizer on their loads: the direct and the
     * blocked core can, and the scan's kernels of a modal core (within their limits: {@link CausalConv#supportsFeaturizer},
     * {@link BlockedConv#supportsFeaturizer}, {@link ModalScan#supportsFeaturizer}); every other algorithm reads z, and the
     * featurizer runs apart before it. False for a group without a featurizer.
     */
    public static boolean fusesFeaturizer(Graph g, Group group, Algorithm algorithm) {
        Node featurizer = featurizer(group), conv = conv(group);
        if (featurizer == null) return false;
        long channels = g.value(conv.operands().getFirst()).type().channels();
        CausalConv.Filter fz = Kernels.filter(featurizer, 3 * channels);
        if (conv.is(Primitive.MODAL_CONV)) return algorithm == Algorithm.SCAN && ModalScan.supportsFeaturizer(ModalScan.filter(conv, channels), fz);
        CausalConv.Filter f = Kernels.filter(conv, channels);
        return switch (algorithm) {
            case DIRECT -> CausalConv.supportsFeaturizer(f, fz);
            case BLOCKED -> BlockedConv.supportsFeaturizer(f, fz);
            default -> false;
        };
    }

    /** The group's featurizer as the kernels computing it take it (over the core's 3C channels), or null where it has none. */
    public static CausalConv.Filter featurizerFilter(Graph g, Group group) {
        Node featurizer = featurizer(group);
        return featurizer == null ? null : Kernels.filter(featurizer, 3 * g.value(conv(group).operands().getFirst()).type().channels());
    }

    /**
     * What a core's kernels read: z (the split's operand), or where the group holds its featurizer u (the featurizer's
     * operand) and the featurizer's taps and skip.
     */
    public static Map<String, Binding> inputBindings(Graph g, Group group) {
        Node featurizer = featurizer(group);
        Map<String, Binding> bindings = new LinkedHashMap<>();
        if (featurizer == null) {
            bindings.put("z", new Binding.Value(group.nodes(Primitive.DEINTERLEAVE).getFirst().operands().getFirst()));
            return bindings;
        }
        bindings.put("u", new Binding.Value(featurizer.operands().getFirst()));
        bindings.put("feature_h", new Binding.Weight(featurizer.weights().get("weight")));
        if (featurizerFilter(g, group).skip()) bindings.put("feature_skip", new Binding.Weight(featurizer.weights().get("skip")));
        return bindings;
    }

    /** The group without its featurizer: what runs after the featurizer's own kernel where the core's algorithm reads z. */
    public static Group withoutFeaturizer(Group group) {
        Node featurizer = featurizer(group);
        return featurizer == null ? group : group.without(featurizer);
    }

    /** The activation q goes through before gating, identity when q gates directly. */
    static Primitive gateActivation(Group group) {
        return group.nodes().stream().map(Node::primitive).filter(Primitive::activation).findFirst().orElse(Primitive.IDENTITY);
    }

    /**
     * The group's kernel with its convolution by {@code algorithm}: direct (or null), blocked or fused_fft; a group holding its
     * featurizer only by an algorithm that {@link #fusesFeaturizer computes it} (else: {@link #withoutFeaturizer}).
     */
    static GroupKernel generate(Graph g, Group group, Precision p, Algorithm algorithm) {
        Node conv = conv(group);
        Node split = group.nodes(Primitive.DEINTERLEAVE).getFirst();
        Node gate = group.nodes().getLast();
        Node featurizer = featurizer(group);
        Algorithm a = algorithm == null ? Algorithm.DIRECT : algorithm;
        if (featurizer != null && !fusesFeaturizer(g, group, a)) {
            throw new IllegalArgumentException("the core at " + conv.path() + " by " + a.spelling() + " reads z: its featurizer " + featurizer.path()
                    + " runs apart first (HyenaCore.withoutFeaturizer), not in one kernel");
        }
        Map<String, Binding> bindings = new LinkedHashMap<>(inputBindings(g, group));
        CausalConv.Filter fz = featurizerFilter(g, group);
        if (algorithm == Algorithm.FUSED_FFT) {
            FusedFft.Filter f = Kernels.fusedFilter(g, conv);
            bindings.putAll(FusedFft.convBindings(conv, f, FusedFft.DEFAULT));
            bindings.put("y", new Binding.Value(gate.results().getFirst()));
            return new GroupKernel(FusedFft.conv(f, gateActivation(group), p, FusedFft.DEFAULT), bindings,
                    List.of(new GroupKernel(FusedFft.spectrum(f, FusedFft.DEFAULT), FusedFft.spectrumBindings(conv, f, FusedFft.DEFAULT))));
        }
        if (conv.is(Primitive.MODAL_CONV)) {
            throw new IllegalArgumentException("the modal core at " + conv.path() + " by " + (algorithm == null ? "fft" : algorithm.spelling())
                    + " runs as several kernels (Kernels.fftCore around library FFTs, Kernels.scanCore for the scan), not as one kernel");
        }
        CausalConv.Filter f = Kernels.filter(conv, g.value(conv.operands().getFirst()).type().channels());
        bindings.put("h", new Binding.Weight(conv.weights().get("weight")));
        if (f.skip()) bindings.put("skip", new Binding.Weight(conv.weights().get("skip")));
        bindings.put("y", new Binding.Value(gate.results().getFirst()));
        GeneratedKernel k = algorithm == Algorithm.BLOCKED ? BlockedConv.core(f, fz, gateActivation(group), p) : CausalConv.hyenaCore(f, fz, gateActivation(group), p);
        return new GroupKernel(k, bindings);
    }
}
