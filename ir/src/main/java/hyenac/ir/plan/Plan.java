package hyenac.ir.plan;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The kernel plan of one phase of a prepared model: its steps in order over planned buffers, written once in the
 * shape's symbols ({@link Size}) and run at any shape. Device-neutral: a backend compiles the kernels with its own
 * compiler and interprets the steps. Made by the compiler's kernel pipeline (fuse, select, lower, plan memory);
 * printed by {@link PlanPrinter}, checked by {@link PlanVerifier}.
 *
 * @param phase     what it runs
 * @param given     graph values supplied before a run instead of computed
 * @param wanted    graph values read back after a run
 * @param buffers   every buffer, by id
 * @param slots     the pool: each slot's bytes; buffers share a slot when their lifetimes do not overlap
 * @param kernels   the kernels its launches name, in first-use order
 * @param steps     the work in order
 * @param constants the fallback values of each CONSTANT buffer, by buffer name
 */
public record Plan(Phase phase, Set<Integer> given, List<Integer> wanted, List<Buffer> buffers, List<Size> slots, List<Kernel> kernels,
                   List<Step> steps, Map<String, float[]> constants) {
    /** The STATE buffer decode kernels read where a token stands from: [position, steps since the prompt], two int64s a run writes first. */
    public static final String CLOCK = "decode.clock";

    /** Pool slots start at this alignment (cuBLASLt and vector loads want 256-byte alignment). */
    public static final long ALIGNMENT = 256;

    public Plan {
        given = Set.copyOf(given);
        wanted = List.copyOf(wanted);
        buffers = List.copyOf(buffers);
        slots = List.copyOf(slots);
        kernels = List.copyOf(kernels);
        steps = List.copyOf(steps);
        constants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(constants));
        for (int i = 0; i < buffers.size(); i++) {
            if (buffers.get(i).id() != i) throw new IllegalArgumentException("buffer " + buffers.get(i).name() + " has id " + buffers.get(i).id() + " at " + i);
        }
    }

    public Buffer buffer(int id) { return buffers.get(id); }

    public Kernel kernel(String entry) {
        for (Kernel k : kernels) if (k.entry().equals(entry)) return k;
        throw new IllegalArgumentException("the plan has no kernel " + entry);
    }

    /** The buffer of graph value {@code id}, or null when the plan holds none (a value inside a fused kernel). */
    public Buffer value(int id) {
        String name = "%" + id;
        for (Buffer b : buffers) if (b.kind() == Buffer.Kind.VALUE && b.name().equals(name)) return b;
        return null;
    }

    /** The plan with memory planned: these buffers (slots set) and this pool. */
    public Plan withMemory(List<Buffer> planned, List<Size> pool) {
        return new Plan(phase, given, wanted, planned, pool, kernels, steps, constants);
    }

    /** Each slot's byte offset in the pool at {@code shape}, then the pool's total bytes last. */
    public long[] offsets(Shape shape) {
        long[] at = new long[slots.size() + 1];
        long next = 0;
        for (int i = 0; i < slots.size(); i++) {
            at[i] = next;
            next = Math.addExact(next, align(Math.max(1, slots.get(i).eval(shape))));
        }
        at[slots.size()] = next;
        return at;
    }

    static long align(long bytes) { return Math.ceilDiv(bytes, ALIGNMENT) * ALIGNMENT; }
}
