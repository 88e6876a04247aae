package hyenac.ir.plan;

import hyenac.ir.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small plans written by hand, to check the plan IR's invariants on. */
final class TinyPlan {
    static final Site SITE = new Site(List.of(1), "op", "layers.0", List.of(), null);

    static Kernel.Param in(String name, DType e) { return new Kernel.Param(name, Kernel.Param.Type.POINTER, e, true); }

    static Kernel.Param out(String name, DType e) { return new Kernel.Param(name, Kernel.Param.Type.POINTER, e, false); }

    static Kernel.Param scalar(String name) { return new Kernel.Param(name, Kernel.Param.Type.LONG, null, true); }

    static Kernel kernel(String entry, Kernel.Param... params) {
        return new Kernel(entry, entry.replaceFirst("_.*", ""), "cuda", "// " + entry, Arrays.asList(params), List.of(Size.rows(), Size.of(1), Size.of(1)),
                List.of(256, 1, 1));
    }

    /** y = x, fp32, over B·L rows. */
    static final Kernel COPY = kernel("copy_fp32", in("x", DType.FP32), out("y", DType.FP32), scalar("rows"));
    /** y = table[tokens]. */
    static final Kernel EMBED = kernel("embed_fp32", in("tokens", DType.I64), in("table", DType.FP32), out("y", DType.FP32), scalar("rows"));
    /** zero-pads x's rows to n points. */
    static final Kernel PACK = kernel("pack_fp32", in("x", DType.FP32), out("xp", DType.FP32), scalar("n"));

    Phase phase = Phase.PARALLEL;
    final List<Buffer> buffers = new ArrayList<>();
    final Map<String, Kernel> kernels = new LinkedHashMap<>();
    final List<Step> steps = new ArrayList<>();
    final Set<Integer> given = new LinkedHashSet<>();
    final List<Integer> wanted = new ArrayList<>();
    final List<Size> slots = new ArrayList<>();

    int buffer(Buffer.Kind kind, String name, DType e, Size elements) {
        buffers.add(new Buffer(buffers.size(), kind, name, e, elements, -1));
        return buffers.size() - 1;
    }

    /** Graph value %id of {@code channels} fp32 channels per token. */
    int value(int id, long channels) { return buffer(Buffer.Kind.VALUE, "%" + id, DType.FP32, Size.rows().times(channels)); }

    int scratch(String name, Size elements) { return buffer(Buffer.Kind.SCRATCH, name, DType.FP32, elements); }

    TinyPlan launch(Kernel k, Object... args) { return add(k, false, args); }

    /** A launch that runs once, when the plan is prepared. */
    TinyPlan once(Kernel k, Object... args) { return add(k, true, args); }

    private TinyPlan add(Kernel k, boolean once, Object... args) {
        kernels.putIfAbsent(k.entry(), k);
        List<Arg> bound = new ArrayList<>();
        for (Object a : args) {
            bound.add(switch (a) {
                case Integer b -> new Arg.Buf(b);
                case Size s -> new Arg.Int(s);
                case Double d -> new Arg.Real(d);
                case Arg arg -> arg;
                default -> throw new IllegalArgumentException(String.valueOf(a));
            });
        }
        steps.add(new Step.Launch(k.entry(), bound, once, SITE));
        return this;
    }

    TinyPlan step(Step s) {
        steps.add(s);
        return this;
    }

    /** Each pooled buffer in a slot of its own bytes. */
    TinyPlan ownSlots() {
        slots.clear();
        for (int i = 0; i < buffers.size(); i++) {
            Buffer b = buffers.get(i);
            if (b.kind().pooled()) {
                buffers.set(i, b.inSlot(slots.size()));
                slots.add(b.bytes());
            }
        }
        return this;
    }

    TinyPlan slot(int buffer, int slot) {
        buffers.set(buffer, buffers.get(buffer).inSlot(slot));
        return this;
    }

    Plan plan() { return new Plan(phase, given, wanted, buffers, slots, List.copyOf(kernels.values()), steps, Map.of()); }

    // ---- one valid plan with every kind of step ----

    int tokens, table, x, y, w, bias, z, rows, spectra, keys;

    /**
     * tokens → embed → %1 → copy → %2 → gemm (+bias) → %3 (wanted); %2 zero-padded to FFT rows, transformed there and
     * back; %2's rows copied into a [B, C, 4] cache, sequence by sequence.
     */
    static TinyPlan valid() {
        TinyPlan t = new TinyPlan();
        t.tokens = t.buffer(Buffer.Kind.TOKENS, "tokens", DType.I64, Size.rows());
        t.table = t.buffer(Buffer.Kind.WEIGHT, "embedding.weight", DType.FP32, Size.of(16 * 4));
        t.x = t.value(1, 4);
        t.y = t.value(2, 4);
        t.w = t.buffer(Buffer.Kind.WEIGHT, "p.weight", DType.FP32, Size.of(8 * 4));
        t.bias = t.buffer(Buffer.Kind.WEIGHT, "p.bias", DType.FP32, Size.of(8));
        t.z = t.value(3, 8);
        Size n = new Size.FftLength(Size.length()), bins = n.ceilDiv(2).plus(1);
        t.rows = t.scratch("x.rows", Size.batch().times(4).times(n));
        t.spectra = t.scratch("x.spectra", Size.batch().times(4).times(bins).times(2));
        t.keys = t.buffer(Buffer.Kind.STATE, "n1.keys", DType.FP32, Size.batch().times(Size.capacity()).times(4));
        t.launch(EMBED, t.tokens, t.table, t.x, Size.rows());                                             // 0
        t.launch(COPY, t.x, t.y, Size.rows());                                                            // 1
        t.step(new Step.Gemm(Size.rows(), 8, 4, t.y, t.w, t.bias, t.z, SITE));                            // 2
        t.launch(PACK, t.y, t.rows, n);                                                                   // 3
        t.step(new Step.Fft(t.rows, t.spectra, n, Size.batch().times(4), true, false, SITE));             // 4
        t.step(new Step.Fft(t.spectra, t.rows, n, Size.batch().times(4), false, false, SITE));            // 5
        Size row = Size.length().times(4 * 4);
        t.step(new Step.Copy(t.keys, Size.of(0), Size.capacity().times(4 * 4), t.y, Size.of(0), row, row, Size.batch(), SITE)); // 6
        t.wanted.add(3);
        return t;
    }
}
