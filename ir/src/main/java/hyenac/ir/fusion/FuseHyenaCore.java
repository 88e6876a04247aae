package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The gate-conv-gate core of Hyena-SE, MR and LI (and any operator written like them):
 * <pre>
 *   z = featurizer(u)              (a causal_conv; joins where the split alone reads z)
 *   q, k, v = deinterleave(z, n = 3)
 *   s = k * v                      (mul)
 *   c = causal_conv(s)             (explicit taps)   or   modal_conv(s)   (Hyena-LI's implicit filter)
 *   y = q * c   or   act(q) * c    (mul, act an activation: gelu, silu, relu, identity)
 * </pre>
 * where q, k, v, s, c and act(q) are private to the group, so its kernels read z and write only y (a target may
 * compute the convolution in several steps, e.g. through library FFTs, but nothing else of the group is stored).
 * With the featurizer inside, the group reads u, the input projection's output, and z is never stored where the
 * core's kernel computes the featurizer on its loads (a target whose core algorithm cannot runs it first, apart).
 * Found at the gate.
 */
public final class FuseHyenaCore implements Pattern {
    public static final String KIND = "hyena_core";

    @Override public String kind() { return KIND; }

    @Override public Optional<Set<Node>> match(Node gate, Context ctx) {
        return match(gate, ctx, core -> {
            Set<Node> group = withFeaturizer(core, ctx);
            return group.stream().allMatch(ctx::free) && ctx.schedulable(group) ? Optional.of(group) : Optional.empty();
        });
    }

    /**
     * The core with the featurizer that produces z where the split alone reads it and it is free, else the core as it is:
     * the featurizer is a depthwise FIR, so each output channel needs only its own three channels of u and their last
     * few steps, which a core kernel can convolve as it loads them. Shared with {@link FuseHyenaStep}.
     */
    static Set<Node> withFeaturizer(Set<Node> core, Context ctx) {
        Node split = core.stream().filter(n -> n.is(Primitive.DEINTERLEAVE)).findFirst().orElseThrow();
        Node featurizer = ctx.producer(split.operands().getFirst());
        if (featurizer == null || !featurizer.is(Primitive.CAUSAL_CONV) || !ctx.free(featurizer)) return core;
        Set<Node> group = new LinkedHashSet<>();
        group.add(featurizer);
        group.addAll(core);
        return ctx.privateTo(featurizer.results().getFirst(), group) ? group : core;
    }

    /**
     * The gated core found at {@code gate}, every value but y private to it, as {@code finish} completes it (or refuses
     * it): shared with {@link FuseHyenaStep}, which takes the same nodes in a decode step.
     */
    static Optional<Set<Node>> match(Node gate, Context ctx, Function<Set<Node>, Optional<Set<Node>>> finish) {
        if (!gate.is(Primitive.MUL) || gate.operands().size() != 2) return Optional.empty();
        Optional<Set<Node>> m = at(gate, 0, 1, ctx).flatMap(finish);
        return m.isPresent() ? m : at(gate, 1, 0, ctx).flatMap(finish);
    }

    /** The pattern with the convolution at operand {@code convAt} of the gate and q's side at {@code qAt}. */
    private static Optional<Set<Node>> at(Node gate, int convAt, int qAt, Context ctx) {
        Node conv = ctx.producer(gate.operands().get(convAt));
        if (conv == null || !(conv.is(Primitive.CAUSAL_CONV) || conv.is(Primitive.MODAL_CONV))) return Optional.empty();
        Node product = ctx.producer(conv.operands().getFirst());
        if (product == null || !product.is(Primitive.MUL)) return Optional.empty();
        Node split = ctx.producer(product.operands().getFirst());
        if (split == null || !split.is(Primitive.DEINTERLEAVE) || split.results().size() != 3) return Optional.empty();
        List<Integer> qkv = split.results();
        if (!Set.copyOf(product.operands()).equals(Set.of(qkv.get(1), qkv.get(2)))) return Optional.empty();
        int qSide = gate.operands().get(qAt);
        Node activation = null;
        if (qSide != qkv.get(0)) {
            activation = ctx.producer(qSide);
            if (activation == null || !activation.primitive().activation() || activation.operands().getFirst() != (int) qkv.get(0)) {
                return Optional.empty();
            }
        }
        Set<Node> group = new LinkedHashSet<>(List.of(split, product, conv));
        if (activation != null) group.add(activation);
        group.add(gate);
        // the kernel writes y alone: every other value must stay inside
        for (Node n : group) {
            if (n == gate) continue;
            for (int r : n.results()) if (!ctx.privateTo(r, group)) return Optional.empty();
        }
        return Optional.of(group);
    }
}
