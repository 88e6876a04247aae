package hyenac.ir.plan;

import java.util.HashMap;
import java.util.Map;

/**
 * When each pooled buffer is live, as [first step, last step] of the plan: from its first access to its last.
 * Buffers a run loads or reads back (given and wanted values, tokens) and those prepared once live throughout.
 */
public final class Lifetimes {
    private Lifetimes() {}

    public static Map<Integer, int[]> of(Plan p) {
        Map<Integer, int[]> life = new HashMap<>();
        int end = Math.max(0, p.steps().size() - 1);
        for (int i = 0; i < p.steps().size(); i++) {
            Step s = p.steps().get(i);
            for (var ids : java.util.List.of(s.reads(p), s.writes(p))) {
                for (int b : ids) {
                    if (!p.buffer(b).kind().pooled()) continue;
                    int at = i;
                    life.merge(b, new int[] {at, at}, (x, y) -> new int[] {Math.min(x[0], y[0]), Math.max(x[1], y[1])});
                }
            }
        }
        for (Buffer b : p.buffers()) {
            boolean throughout = b.kind() == Buffer.Kind.PREPARED || b.kind() == Buffer.Kind.TOKENS
                    || (b.kind() == Buffer.Kind.VALUE && (p.given().contains(b.valueId()) || p.wanted().contains(b.valueId())));
            if (throughout) life.put(b.id(), new int[] {0, end});
        }
        return life;
    }
}
