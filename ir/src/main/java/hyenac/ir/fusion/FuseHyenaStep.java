package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A decode step of a Hyena mixer between its two projections, stateful nodes included:
 * <pre>
 *   z' = featurizer(z)             (a causal_conv stepped through its ring; optional)
 *   q, k, v = deinterleave(z', n = 3)
 *   c = filter(k * v)              (a causal_conv through its ring, or a modal_conv through its state)
 *   y = q * c   or   act(q) * c
 * </pre>
 * Each output channel needs only its own three channels of z and its own states, so one kernel per step does what
 * four launches did (featurizer step, deinterleave and product, filter step, gate), writing only y and the states.
 * Only in {@link FuseKernels.Mode#STEP}, where it {@link #stepsState steps the states} the nodes would otherwise step
 * alone; a prompt's mixer is {@link FuseHyenaCore}'s. Found at the gate; every value but y is private to the group.
 */
public final class FuseHyenaStep implements Pattern {
    public static final String KIND = "hyena_step";

    @Override public String kind() { return KIND; }

    @Override public boolean runsIn(FuseKernels.Mode mode) { return mode == FuseKernels.Mode.STEP; }

    @Override public boolean stepsState() { return true; }

    @Override public Optional<Set<Node>> match(Node gate, Context ctx) {
        if (!gate.is(Primitive.MUL) || gate.operands().size() != 2) return Optional.empty();
        Optional<Set<Node>> m = at(gate, 0, 1, ctx);
        return m.isPresent() ? m : at(gate, 1, 0, ctx);
    }

    /** The pattern with the filter at operand {@code filterAt} of the gate and q's side at {@code qAt}. */
    private static Optional<Set<Node>> at(Node gate, int filterAt, int qAt, Context ctx) {
        Node filter = ctx.producer(gate.operands().get(filterAt));
        if (filter == null || !(filter.is(Primitive.CAUSAL_CONV) || filter.is(Primitive.MODAL_CONV))) return Optional.empty();
        Node product = ctx.producer(filter.operands().getFirst());
        if (product == null || !product.is(Primitive.MUL)) return Optional.empty();
        Node split = ctx.producer(product.operands().getFirst());
        if (split == null || !split.is(Primitive.DEINTERLEAVE) || split.results().size() != 3) return Optional.empty();
        List<Integer> qkv = split.results();
        if (!Set.copyOf(product.operands()).equals(Set.of(qkv.get(1), qkv.get(2)))) return Optional.empty();
        int qSide = gate.operands().get(qAt);
        Node activation = null;
        if (qSide != qkv.get(0)) {
            activation = ctx.producer(qSide);
            if (activation == null || !activation.primitive().activation() || activation.operands().getFirst() != (int) qkv.get(0)) return Optional.empty();
        }
        Set<Node> group = new LinkedHashSet<>(List.of(split, product, filter));
        if (activation != null) group.add(activation);
        group.add(gate);
        // the kernel writes y alone: every other value must stay inside
        for (Node n : group) {
            if (n == gate) continue;
            for (int r : n.results()) if (!ctx.privateTo(r, group)) return Optional.empty();
        }
        // the featurizer joins where the split alone reads it; else it steps alone and the kernel reads its output
        Node featurizer = ctx.producer(split.operands().getFirst());
        if (featurizer != null && featurizer.is(Primitive.CAUSAL_CONV) && ctx.free(featurizer)) {
            Set<Node> withFeaturizer = new LinkedHashSet<>(group);
            withFeaturizer.add(featurizer);
            if (ctx.privateTo(featurizer.results().getFirst(), withFeaturizer)) group = withFeaturizer;
        }
        return group.stream().allMatch(ctx::free) && ctx.schedulable(group) ? Optional.of(group) : Optional.empty();
    }
}
