package hyenac.ir.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a plan's invariants: arguments agree with their kernels' parameters (count, pointer or scalar, integer or
 * real, element type), every pooled buffer is written before it is read, what the runs read of the preparation is
 * PREPARED memory and no run writes it, buffers sharing a pool slot are never live at once,
 * and the sizes of library calls agree with their buffers (checked at a few shapes, the sizes being formulas).
 */
public final class PlanVerifier {
    private PlanVerifier() {}

    /** Shapes the size checks evaluate at: small and large, odd and even, with a KV cache. */
    private static final List<Shape> SHAPES = List.of(new Shape(1, 1, 1), new Shape(2, 7, 9), new Shape(3, 4096, 4100));

    public static void verify(Plan p) {
        List<String> problems = problems(p);
        if (!problems.isEmpty()) throw new IllegalStateException("the " + p.phase().spelling() + " plan is malformed: " + String.join("; ", problems));
    }

    public static List<String> problems(Plan p) {
        List<String> out = new ArrayList<>();
        for (Step s : p.steps()) {
            if (s instanceof Step.Launch l) arguments(p, l, out);
        }
        if (!out.isEmpty()) return out;
        writtenBeforeRead(p, out);
        preparedKept(p, out);
        slots(p, out);
        sizes(p, out);
        return out;
    }

    private static void arguments(Plan p, Step.Launch l, List<String> out) {
        Kernel k;
        try {
            k = p.kernel(l.kernel());
        } catch (IllegalArgumentException e) {
            out.add(e.getMessage());
            return;
        }
        if (k.params().size() != l.args().size()) {
            out.add(k.entry() + " takes " + k.params().size() + " arguments, the launch gives " + l.args().size());
            return;
        }
        for (int i = 0; i < k.params().size(); i++) {
            Kernel.Param param = k.params().get(i);
            Arg a = l.args().get(i);
            if (param.pointer() != (a instanceof Arg.Buf)) {
                out.add(k.entry() + " parameter " + param.name() + " is " + (param.pointer() ? "a pointer" : "a scalar") + " but gets " + a);
            } else if (!param.pointer() && (a instanceof Arg.Real) != real(param)) {
                // backends pass a scalar as its parameter's C type: an integer's bits as a float (or back) would be garbage
                out.add(k.entry() + " parameter " + param.name() + " is " + (real(param) ? "a real" : "an integer") + " but gets " + a);
            } else if (a instanceof Arg.Buf b && (b.buffer() < 0 || b.buffer() >= p.buffers().size())) {
                out.add(k.entry() + " parameter " + param.name() + " names missing buffer b" + b.buffer());
            } else if (a instanceof Arg.Buf b && p.buffer(b.buffer()).element() != param.element()) {
                out.add(k.entry() + " reads " + param.name() + " as " + param.element().spelling() + " but " + p.buffer(b.buffer()).name() + " holds "
                        + p.buffer(b.buffer()).element().spelling());
            }
        }
    }

    private static boolean real(Kernel.Param p) { return p.type() == Kernel.Param.Type.FLOAT || p.type() == Kernel.Param.Type.DOUBLE; }

    /** Pooled buffers start unwritten, except the given values and the tokens, which a run loads first. */
    private static void writtenBeforeRead(Plan p, List<String> out) {
        Set<Integer> written = new HashSet<>();
        for (Buffer b : p.buffers()) {
            if (!b.kind().pooled() || b.kind() == Buffer.Kind.TOKENS || (b.kind() == Buffer.Kind.VALUE && p.given().contains(b.valueId()))) {
                written.add(b.id());
            }
        }
        // prepared steps run before every run's steps
        for (boolean once : new boolean[] {true, false}) {
            for (int i = 0; i < p.steps().size(); i++) {
                Step s = p.steps().get(i);
                if (s.once() != once) continue;
                for (int r : s.reads(p)) {
                    if (!written.contains(r)) out.add("step " + i + " (" + PlanPrinter.describe(s) + ") reads " + p.buffer(r).name() + " before anything writes it");
                }
                written.addAll(s.writes(p));
            }
        }
        for (int w : p.wanted()) {
            Buffer b = p.value(w);
            if (b == null) out.add("wanted value %" + w + " has no buffer");
            else if (!written.contains(b.id())) out.add("wanted value %" + w + " is never written");
        }
    }

    /**
     * Once steps run when the plan is prepared, the others at every run; lifetimes count step indices, so only
     * PREPARED memory (living throughout) is kept from the one to the other: what a run reads of the preparation must
     * be PREPARED, and no run may write it.
     */
    private static void preparedKept(Plan p, List<String> out) {
        Set<Integer> prepared = new HashSet<>(), reported = new HashSet<>();
        for (Step s : p.steps()) if (s.once()) prepared.addAll(s.writes(p));
        for (int i = 0; i < p.steps().size(); i++) {
            Step s = p.steps().get(i);
            if (s.once()) continue;
            for (int r : s.reads(p)) {
                Buffer b = p.buffer(r);
                if (prepared.contains(r) && b.kind().pooled() && b.kind() != Buffer.Kind.PREPARED && reported.add(r)) {
                    out.add(b.name() + " is written when the plan is prepared and read by its runs, but is a " + b.kind()
                            + ": only PREPARED memory is kept between the two");
                }
            }
            for (int w : s.writes(p)) {
                if (p.buffer(w).kind() == Buffer.Kind.PREPARED) {
                    out.add("step " + i + " (" + PlanPrinter.describe(s) + ") writes " + p.buffer(w).name() + ", which is prepared once");
                }
            }
        }
    }

    /** Lifetimes in step indices: prepared buffers, given and wanted values and tokens live throughout. */
    private static void slots(Plan p, List<String> out) {
        Map<Integer, int[]> life = Lifetimes.of(p);
        Map<Integer, List<Integer>> bySlot = new HashMap<>();
        for (Buffer b : p.buffers()) {
            if (b.kind().pooled() && b.slot() < 0 && !p.slots().isEmpty()) out.add(b.name() + " has no slot");
            if (b.slot() >= 0) {
                if (!b.kind().pooled()) out.add(b.name() + " is a " + b.kind() + " but has a slot");
                else if (b.slot() >= p.slots().size()) out.add(b.name() + " is in slot " + b.slot() + " of " + p.slots().size());
                else bySlot.computeIfAbsent(b.slot(), x -> new ArrayList<>()).add(b.id());
            }
        }
        for (var e : bySlot.entrySet()) {
            List<Integer> ids = e.getValue();
            for (int i = 0; i < ids.size(); i++) {
                Buffer a = p.buffer(ids.get(i));
                for (Shape s : SHAPES) {
                    if (a.bytes().eval(s) > p.slots().get(e.getKey()).eval(s)) {
                        out.add(a.name() + " needs " + a.bytes() + " bytes, slot " + e.getKey() + " has " + p.slots().get(e.getKey()));
                        break;
                    }
                }
                for (int j = i + 1; j < ids.size(); j++) {
                    int[] x = life.get(ids.get(i)), y = life.get(ids.get(j));
                    if (x != null && y != null && x[0] <= y[1] && y[0] <= x[1]) {
                        out.add(a.name() + " and " + p.buffer(ids.get(j)).name() + " share slot " + e.getKey() + " while both are live");
                    }
                }
            }
        }
    }

    private static void sizes(Plan p, List<String> out) {
        for (Step st : p.steps()) {
            for (Shape s : SHAPES) {
                String bad = switch (st) {
                    case Step.Gemm g -> {
                        long m = g.m().eval(s);
                        if (n(p, g.x(), s) != m * g.k()) yield "gemm reads x " + p.buffer(g.x()).name() + " of " + n(p, g.x(), s) + " elements, not m·k = " + m * g.k();
                        if (n(p, g.w(), s) != g.n() * g.k()) yield "gemm reads w " + p.buffer(g.w()).name() + " of " + n(p, g.w(), s) + " elements, not n·k";
                        if (n(p, g.y(), s) != m * g.n()) yield "gemm writes y " + p.buffer(g.y()).name() + " of " + n(p, g.y(), s) + " elements, not m·n = " + m * g.n();
                        yield null;
                    }
                    case Step.Fft f -> {
                        long n = f.n().eval(s), rows = f.batch().eval(s), reals = rows * n, complex = rows * (n / 2 + 1) * 2;
                        long in = n(p, f.in(), s), o = n(p, f.out(), s);
                        yield (f.forward() ? in < reals || o < complex : in < complex || o < reals) ? "fft of " + rows + "×" + n + " points over buffers of " + in + " and " + o + " elements" : null;
                    }
                    case Step.Copy c -> {
                        long last = (c.count().eval(s) - 1);
                        long src = c.srcOffset().eval(s) + last * c.srcStride().eval(s) + c.bytes().eval(s);
                        long dst = c.dstOffset().eval(s) + last * c.dstStride().eval(s) + c.bytes().eval(s);
                        yield src > p.buffer(c.src()).bytes().eval(s) || dst > p.buffer(c.dst()).bytes().eval(s) ? "copy runs past its buffers" : null;
                    }
                    case Step.Launch l -> null;
                };
                if (bad != null) {
                    out.add(bad + " at " + s + " (" + st.site() + ")");
                    break;
                }
            }
        }
    }

    private static long n(Plan p, int buffer, Shape s) { return p.buffer(buffer).elements().eval(s); }
}
