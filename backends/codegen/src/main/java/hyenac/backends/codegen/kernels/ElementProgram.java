package hyenac.backends.codegen.kernels;

import static hyenac.backends.codegen.Expr.load;

import hyenac.backends.codegen.CType.Scalar;
import hyenac.backends.codegen.Expr;
import hyenac.backends.codegen.MathFn;
import hyenac.backends.codegen.Scope;
import hyenac.backends.codegen.Var;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-element computation of a fused group's pointwise nodes (and the channel selections that open it), for
 * kernels that run it once per element (b, t, c) of width C: the elementwise chain, the norm's prologue.
 * Values are named by position, so groups of the same shape give the same code: {@code x0, x1, …} the group's
 * inputs, {@code t0, t1, …} the values its nodes compute. Each plain input is loaded once; a channel selection
 * loads the channels it selects from its (wider) input in place. Arithmetic is fp32 with each node's result
 * rounded to fp32, as the unfused kernels store it: the same ops in the same order give the same bits.
 */
final class ElementProgram {
    /** How one value is computed: from an input's element, or by a node from earlier values. */
    private sealed interface Step {
        /** {@code t = x[k]} at the element itself. */
        record Load(int input) implements Step {}

        /** Channel {@code part} of a deinterleave (interleaved) or split (blocked) by {@code ways} of input k. */
        record Select(int input, boolean interleaved, int ways, int part) implements Step {}

        /** A pointwise op on earlier values; {@code scale} is the index of its factor among the kernel's {@code by} parameters. */
        record Op(Primitive op, List<Integer> operands, int scale) implements Step {}
    }

    private final long width;
    private final int inputs;
    /** Graph value → local index; the steps by local index. */
    private final Map<Integer, Integer> local = new LinkedHashMap<>();
    private final List<Step> steps = new ArrayList<>();
    private final List<Node> scales = new ArrayList<>();
    /** Each step's name: x<k> for an input's element, t0, t1, … for computed values in order. */
    private final List<String> names = new ArrayList<>();

    /**
     * @param inputs  the group's inputs (in the order of the kernel's {@code x} parameters)
     * @param members the pointwise nodes and channel selections, in graph order
     */
    ElementProgram(long width, List<Integer> inputs, List<Node> members) {
        this.width = width;
        this.inputs = inputs.size();
        for (Node n : members) {
            Primitive p = n.primitive();
            switch (p.fusion()) {
                case CHANNEL_SELECT -> {
                    int input = inputs.indexOf(n.operands().getFirst());
                    for (int part = 0; part < n.results().size(); part++) {
                        define(n.results().get(part), new Step.Select(input, p == Primitive.DEINTERLEAVE, n.results().size(), part));
                    }
                }
                case POINTWISE -> {
                    List<Integer> operands = new ArrayList<>();
                    for (int v : n.operands()) operands.add(local.containsKey(v) ? local.get(v) : loaded(inputs.indexOf(v), v));
                    int scale = p == Primitive.SCALE ? scales.size() : -1;
                    if (scale >= 0) scales.add(n);
                    define(n.results().getFirst(), new Step.Op(p, operands, scale));
                }
                case OWN_KERNEL -> throw new IllegalArgumentException("not a per-element op: " + p);
            }
        }
    }

    private int loaded(int input, int value) {
        if (input < 0) throw new IllegalArgumentException("%" + value + " is neither computed in the group nor one of its inputs");
        return define(value, new Step.Load(input));
    }

    private int define(int value, Step step) {
        local.put(value, steps.size());
        names.add(step instanceof Step.Load l ? "x" + l.input() : "t" + (steps.size() - loads()));
        steps.add(step);
        return steps.size() - 1;
    }

    private long loads() { return steps.stream().filter(s -> s instanceof Step.Load).count(); }

    /** The scale nodes, in the order of the kernel's {@code by0, by1, …} parameters. */
    List<Node> scales() { return scales; }

    /** Whether a graph value is computed (or loaded) by the program. */
    boolean computes(int value) { return local.containsKey(value); }

    /** Canonical text of the computation, equal exactly when the code is: names a kernel. */
    String signature(List<Integer> stored) {
        StringBuilder b = new StringBuilder("c" + width + ";x" + inputs);
        for (Step s : steps) b.append(';').append(s);
        b.append(";stores");
        for (int v : stored) b.append(' ').append(local.get(v));
        return b.toString();
    }

    /** The ops in order, for a kernel's name: "gelu_mul". */
    String opNames() {
        List<String> out = new ArrayList<>();
        for (Step s : steps) {
            switch (s) {
                case Step.Select sel -> { if (sel.part() == 0) out.add(sel.interleaved() ? "deinterleave" : "split"); }
                case Step.Op op -> out.add(op.op().op());
                case Step.Load l -> { }
            }
        }
        return String.join("_", out);
    }

    /** One line per computed value, in terms of x0, x1, … and t0, t1, …: "t1 = t0 * x1". */
    List<String> formulas() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            String t = names.get(i);
            switch (steps.get(i)) {
                case Step.Load l -> { }
                case Step.Select s -> out.add(t + " = " + (s.interleaved() ? "channel " + s.ways() + "c + " + s.part() : "channel " + s.part() + "C + c")
                        + " of x" + s.input() + " (" + (s.interleaved() ? "deinterleave" : "split") + " by " + s.ways() + ")");
                case Step.Op op -> out.add(t + " = " + formula(op));
            }
        }
        return out;
    }

    private String formula(Step.Op op) {
        List<String> a = op.operands().stream().map(this::name).toList();
        return switch (op.op()) {
            case ADD -> a.get(0) + " + " + a.get(1);
            case SUB -> a.get(0) + " - " + a.get(1);
            case MUL -> a.get(0) + " * " + a.get(1);
            case SCALE -> "by" + op.scale() + " * " + a.get(0) + " (in fp64, rounded once)";
            case NEG -> "-" + a.get(0);
            default -> Activations.formula(op.op(), a.get(0));
        };
    }

    /** How a formula names a value: its input's name for a plain load, else its local. */
    private String name(int i) { return names.get(i); }

    /** The formula name of a graph value. */
    String nameOf(int value) { return name(local.get(value)); }

    /** Where the element is: its index in a [B, L, C] tensor, and its row and channel (needed only by splits). */
    record At(Expr index, Expr row, Expr channel) {}

    /** Whether emitting needs {@link At#row()} and {@link At#channel()}. */
    boolean needsRowAndChannel() { return steps.stream().anyMatch(s -> s instanceof Step.Select sel && !sel.interleaved()); }

    /**
     * Emits the part of the program that {@code wanted} needs at one element into {@code s}: plain inputs first, each
     * loaded once, then the nodes in order. Returns the value of each wanted graph value (a local, or an input's).
     */
    Map<Integer, Expr> emit(Scope s, At at, List<Var> x, List<Var> by, Collection<Integer> wanted) {
        boolean[] needed = needed(wanted);
        Expr[] values = new Expr[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            if (needed[i] && steps.get(i) instanceof Step.Load l) values[i] = s.let("in" + l.input(), load(x.get(l.input()), at.index()));
        }
        return compute(s, at, x, by, wanted, needed, values);
    }

    /** What {@code body} does at each lane of {@link #emitLanes}: {@code values} are the wanted graph values at lane {@code lane}. */
    interface Lane {
        void emit(Scope body, Var lane, Map<Integer, Expr> values);
    }

    /**
     * Emits what {@code wanted} needs at the {@code lanes} consecutive elements from {@code first} (its index and channel
     * multiples of the lanes, so the elements lie in one row and every vector is aligned): each plain input, and each
     * split's channels, read as one 16-byte vector into a private array (named {@code in<k>}, or as the selected value); a
     * deinterleave's input by n as n vectors holding the n channels of every lane; then an unrolled loop over the lanes
     * computes the nodes as {@link #emit} does, the same ops in the same order, and runs {@code body} at each lane.
     */
    void emitLanes(Scope s, At first, int lanes, List<Var> x, List<Var> by, Collection<Integer> wanted, Lane body) {
        boolean[] needed = needed(wanted);
        Var[] vectors = new Var[steps.size()];
        int[] stride = new int[steps.size()], offset = new int[steps.size()];
        Map<Integer, Var> interleaved = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            if (!needed[i]) continue;
            stride[i] = 1;
            switch (steps.get(i)) {
                case Step.Load l -> vectors[i] = loadVectors(s, "in" + l.input(), x.get(l.input()), first.index(), lanes, 1);
                case Step.Select sel when sel.interleaved() -> {
                    vectors[i] = interleaved.computeIfAbsent(sel.input(),
                            k -> loadVectors(s, "in" + k, x.get(k), first.index().mul(sel.ways()), lanes, sel.ways()));
                    stride[i] = sel.ways();
                    offset[i] = sel.part();
                }
                case Step.Select sel -> vectors[i] = loadVectors(s, names.get(i), x.get(sel.input()), selectIndex(sel, first), lanes, 1);
                case Step.Op op -> { }
            }
        }
        s.unrolled("j", Expr.lit(0), Expr.lit(lanes), (j, b) -> {
            Expr[] values = new Expr[steps.size()];
            for (int i = 0; i < steps.size(); i++) if (vectors[i] != null) values[i] = vectors[i].at(j.mul(stride[i]).add(offset[i]));
            At at = new At(first.index().add(j), first.row(), first.channel() == null ? null : first.channel().add(j));
            body.emit(b, j, compute(b, at, x, by, wanted, needed, values));
        });
    }

    /** {@code count} consecutive 16-byte vectors of {@code from} from {@code index} into a private array. */
    private static Var loadVectors(Scope s, String name, Var from, Expr index, int lanes, int count) {
        Var v = VectorAccess.array(s, name, lanes * count);
        for (int k = 0; k < count; k++) s.loadVector(from, index.add(k * lanes), VectorAccess.elements(v, Expr.lit(k * lanes), lanes), true);
        return v;
    }

    /** Which steps {@code wanted} needs, directly or through the nodes that compute it. */
    private boolean[] needed(Collection<Integer> wanted) {
        boolean[] needed = new boolean[steps.size()];
        for (int v : wanted) needed[local.get(v)] = true;
        for (int i = steps.size() - 1; i >= 0; i--) {
            if (needed[i] && steps.get(i) instanceof Step.Op op) for (int j : op.operands()) needed[j] = true;
        }
        return needed;
    }

    /** Where a selection reads its element: channel {@code ways·c + part} or {@code part·C + c} of its row. */
    private Expr selectIndex(Step.Select sel, At at) {
        return sel.interleaved() ? at.index().mul(sel.ways()).add(sel.part())
                : at.row().mul(sel.ways() * width).add(sel.part() * width).add(at.channel());
    }

    /** The needed steps not yet in {@code values} (selections, then the nodes), in order; the wanted graph values' values. */
    private Map<Integer, Expr> compute(Scope s, At at, List<Var> x, List<Var> by, Collection<Integer> wanted, boolean[] needed, Expr[] values) {
        for (int i = 0; i < steps.size(); i++) {
            if (!needed[i] || values[i] != null) continue;
            String t = names.get(i);
            switch (steps.get(i)) {
                case Step.Load l -> throw new IllegalStateException("input " + l.input() + " is not loaded");
                case Step.Select sel -> values[i] = s.let(t, load(x.get(sel.input()), selectIndex(sel, at)));
                case Step.Op op -> {
                    List<Expr> a = op.operands().stream().map(j -> values[j]).toList();
                    values[i] = op.op() == Primitive.IDENTITY ? a.getFirst() : s.let(t, compute(op, a, by));
                }
            }
        }
        Map<Integer, Expr> out = new HashMap<>();
        for (int v : wanted) out.put(v, values[local.get(v)]);
        return out;
    }

    private static Expr compute(Step.Op op, List<Expr> a, List<Var> by) {
        return switch (op.op()) {
            case ADD -> a.get(0).add(a.get(1));
            case SUB -> a.get(0).sub(a.get(1));
            case MUL -> Expr.call(MathFn.MUL_RN, a.get(0), a.get(1));
            case SCALE -> by.get(op.scale()).mul(a.get(0).cast(Scalar.DOUBLE)).cast(Scalar.FLOAT);
            case NEG -> a.get(0).neg();
            default -> Activations.apply(op.op(), a.get(0));
        };
    }
}
