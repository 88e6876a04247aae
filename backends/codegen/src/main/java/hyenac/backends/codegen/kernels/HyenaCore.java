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
 */
public final class HyenaCore {
    private HyenaCore() {}

    /** The group's convolution: its causal_conv or modal_conv. */
    public static Node conv(Group group) {
        return group.nodes().stream().filter(n -> n.is(Primitive.CAUSAL_CONV) || n.is(Primitive.MODAL_CONV)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("a hyena_core group without a convolution: " + group));
    }

    /** The activation q goes through before gating, identity when q gates directly. */
    static Primitive gateActivation(Group group) {
        return group.nodes().stream().map(Node::primitive).filter(Primitive::activation).findFirst().orElse(Primitive.IDENTITY);
    }

    /** The group's kernel with its convolution by {@code algorithm}: direct (or null), blocked or fused_fft. */
    static GroupKernel generate(Graph g, Group group, Precision p, Algorithm algorithm) {
        Node conv = conv(group);
        Node split = group.nodes(Primitive.DEINTERLEAVE).getFirst();
        Node gate = group.nodes().getLast();
        Map<String, Binding> bindings = new LinkedHashMap<>();
        bindings.put("z", new Binding.Value(split.operands().getFirst()));
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
        GeneratedKernel k = algorithm == Algorithm.BLOCKED ? BlockedConv.core(f, gateActivation(group), p) : CausalConv.hyenaCore(f, gateActivation(group), p);
        return new GroupKernel(k, bindings);
    }
}
