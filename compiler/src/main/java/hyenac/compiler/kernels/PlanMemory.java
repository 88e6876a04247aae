package hyenac.compiler.kernels;

import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Lifetimes;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Size;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Places the pooled buffers of a plan in slots of one memory pool by liveness: a buffer takes a slot of its exact
 * size formula whose last occupant's last use came before its first use, else a new slot. Sizes being formulas
 * over the shape, only equal formulas share (equal at every shape); memory then follows the live values, not the
 * whole graph. Buffers live throughout (given, wanted, tokens, prepared) get a slot of their own.
 */
public final class PlanMemory {
    private PlanMemory() {}

    public static Plan run(Plan p) {
        Map<Integer, int[]> life = Lifetimes.of(p);
        List<Buffer> pooled = new ArrayList<>();
        for (Buffer b : p.buffers()) if (b.kind().pooled() && life.containsKey(b.id())) pooled.add(b);
        pooled.sort(Comparator.comparingInt((Buffer b) -> life.get(b.id())[0]).thenComparingInt(Buffer::id));
        List<Size> slots = new ArrayList<>();
        List<Integer> freeAfter = new ArrayList<>();
        List<Buffer> planned = new ArrayList<>(p.buffers());
        for (Buffer b : pooled) {
            int[] span = life.get(b.id());
            int slot = -1;
            for (int s = 0; s < slots.size() && slot < 0; s++) {
                if (slots.get(s).equals(b.bytes()) && freeAfter.get(s) < span[0]) slot = s;
            }
            if (slot < 0) {
                slot = slots.size();
                slots.add(b.bytes());
                freeAfter.add(span[1]);
            } else {
                freeAfter.set(slot, span[1]);
            }
            planned.set(b.id(), b.inSlot(slot));
        }
        // a pooled buffer no step touches (a given value nothing reads) still needs memory to load into
        for (Buffer b : p.buffers()) {
            if (b.kind().pooled() && !life.containsKey(b.id())) {
                planned.set(b.id(), b.inSlot(slots.size()));
                slots.add(b.bytes());
            }
        }
        return p.withMemory(planned, slots);
    }
}
