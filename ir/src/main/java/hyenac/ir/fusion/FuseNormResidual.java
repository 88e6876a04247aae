package hyenac.ir.fusion;

import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A residual add and the RMSNorm that reads it, as in every pre-norm block ({@code r = x + mixer(...)} then
 * {@code post_norm(r)}; the block's last add and the next block's {@code pre_norm}; the last add and the final
 * norm): one kernel per row computes r, writes it where it is read elsewhere, and writes the normalised row.
 * Pointwise ops that feed only the add join it (the parallel block's {@code x + mixer(h) + mlp(h)}), so the row
 * kernel reads each of the sum's terms once.
 */
public final class FuseNormResidual implements Pattern {
    public static final String KIND = "norm_residual";

    @Override public String kind() { return KIND; }

    @Override public Optional<Set<Node>> match(Node norm, Context ctx) {
        if (!norm.is(Primitive.RMSNORM)) return Optional.empty();
        Node add = ctx.producer(norm.operands().getFirst());
        if (add == null || !add.is(Primitive.ADD) || !ctx.free(add)) return Optional.empty();
        Set<Node> group = new LinkedHashSet<>(List.of(norm, add));
        // the kernel always writes the normalised row (a dead norm is the passes' business, not a kernel's)
        if (ctx.privateTo(norm.results().getFirst(), group) || !ctx.schedulable(group)) return Optional.empty();
        long width = ctx.width(add.results().getFirst());
        Deque<Node> todo = new ArrayDeque<>(List.of(add));
        while (!todo.isEmpty()) {
            Node n = todo.pop();
            if (!FuseElementwise.pointwise(n)) continue; // a channel selection's operand is read in place
            for (int v : n.operands()) {
                Node p = ctx.producer(v);
                if (p == null || group.contains(p) || !ctx.free(p) || !FuseElementwise.member(p) || FuseElementwise.width(p, ctx) != width) continue;
                Set<Node> grown = new LinkedHashSet<>(group);
                grown.add(p);
                if (!p.results().stream().allMatch(r -> ctx.privateTo(r, grown)) || !ctx.schedulable(grown)) continue;
                group = grown;
                todo.add(p);
            }
        }
        return Optional.of(group);
    }
}
