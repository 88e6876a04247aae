package hyenac.ir.fusion;

import hyenac.ir.Node;
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
        return FuseHyenaCore.match(gate, ctx, core -> {
            // the featurizer joins where the split alone reads it; else it steps alone and the kernel reads its output
            Set<Node> group = FuseHyenaCore.withFeaturizer(core, ctx);
            return group.stream().allMatch(ctx::free) && ctx.schedulable(group) ? Optional.of(group) : Optional.empty();
        });
    }
}
