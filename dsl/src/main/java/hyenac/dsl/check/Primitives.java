package hyenac.dsl.check;

import static hyenac.dsl.check.ParamSpec.computed;
import static hyenac.dsl.check.ParamSpec.optional;
import static hyenac.dsl.check.ParamSpec.required;

import hyenac.dsl.check.Primitive.Role;
import hyenac.dsl.diag.Code;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The primitive operators and their schemas. Weight names, shapes and layout facts declared here
 * are stable API: checkpoint mappings are written against them.
 *
 * <p>The language side of the IR's table of primitives ({@code hyenac.ir.Primitive}, which this module cannot see:
 * the language knows nothing of tensors): every schema applied to tensors is a row there of form CALL, with the same
 * name, inputs and parameters; a configuring one (rope) is an attribute's value there. {@code EveryPrimitiveTest}
 * (backends/codegen) checks both ways.
 */
public final class Primitives {
    private Primitives() {}

    /** Filters, poles and the skip are kept in fp32 whatever the model's dtype (SEMANTICS §1). */
    private static final String FILTER_DTYPE = "fp32";
    private static final long MAX_DIM = 1L << 31;
    private static final long MAX_FILTER = 1L << 20;

    private static final Map<String, Primitive> ALL = new LinkedHashMap<>();

    // intArg is -1 for an unknown value, so range checks ask known() rather than test for < 0:
    // a negative number written by the user must fail them.
    static {
        add(new Primitive("linear", "Dense projection y = x·Wᵀ (+ b). `weight` is [features, in], row-major.",
                List.of(required("features", Type.INT, "output width"),
                        optional("bias", Type.BOOL, new EvalValue.Bool(false), "add a learned bias")),
                1, Role.COMPUTE, app -> {
                    long out = app.intArg("features");
                    app.require(!app.known("features") || (out >= 1 && out <= MAX_DIM), Code.HY0301, app.at("features"), "features", "between 1 and 2^31", out);
                    long in = app.width(0);
                    app.weight("weight", app.dtype(), List.of(out, in), "[out, in] row-major: y = x·Wᵀ");
                    if (app.boolArg("bias")) app.weight("bias", app.dtype(), List.of(out), "[out]");
                    return List.of(out);
                }));

        add(new Primitive("causal_conv",
                "Causal convolution along time with an explicit filter of `len` taps, shared by contiguous groups of channels "
                        + "(channel c uses filter c / (channels / groups)). `taps` says how the stored filter is ordered: "
                        + "`fir` (filter[g, 0] multiplies the current token) or `xcorr` (PyTorch conv1d order: the last tap does). "
                        + "`skip` adds a per-channel D·x term; `decay` marks filters trained as taps × exp(−r·t) and stored as the product.",
                List.of(required("len", Type.INT, "number of taps"),
                        computed("groups", Type.INT, "channels", "number of distinct filters"),
                        optional("taps", Type.TAPS, new EvalValue.Enum(Type.TAPS, "fir"), "stored tap order"),
                        optional("skip", Type.BOOL, new EvalValue.Bool(false), "add D ⊙ x"),
                        optional("decay", Type.BOOL, new EvalValue.Bool(false), "exponentially decayed (regularised) filter")),
                1, Role.COMPUTE, app -> {
                    long len = app.intArg("len");
                    long c = app.width(0);
                    app.require(!app.known("len") || (len >= 1 && len <= MAX_FILTER), Code.HY0301, app.at("len"), "len", "between 1 and 2^20", len);
                    long groups = app.known("groups") ? app.intArg("groups") : app.arg("groups") == null ? c : -1;
                    if (app.arg("groups") == null && c > 0) app.resolved("groups", new EvalValue.Int(c));
                    boolean ok = app.require(!app.known("groups") || groups >= 1, Code.HY0301, app.at("groups"), "groups", "at least 1", groups);
                    if (ok && groups > 0 && c > 0) {
                        ok = app.require(c % groups == 0, Code.HY0307, app.at("groups"), c, groups);
                        if (ok && len > 8 && len <= 128 && c / groups < 16) app.warn(Code.HY0308, app.at("groups"), c / groups, "causal_conv");
                    }
                    boolean fir = !"xcorr".equals(app.enumArg("taps"));
                    String order = fir ? "FIR order: filter[g, 0] multiplies the current token"
                                       : "cross-correlation order: filter[g, len-1] multiplies the current token";
                    if (app.boolArg("decay")) order += "; stored as taps × decay";
                    app.weight("weight", FILTER_DTYPE, List.of(groups, len), order);
                    if (app.boolArg("skip")) app.weight("skip", FILTER_DTYPE, List.of(c), "[channels]");
                    return List.of(c);
                }));

        add(new Primitive("modal_conv",
                "Causal convolution with a long implicit filter per channel, a sum of decaying modes: "
                        + "h[c, t] = Σₙ residues[c, n] · exp(log_poles[c, n] · t), materialised to the sequence length "
                        + "(or run as a diagonal recurrence when decoding). `skip` adds D ⊙ x.",
                List.of(optional("modes", Type.INT, new EvalValue.Int(16), "modes per channel"),
                        optional("skip", Type.BOOL, new EvalValue.Bool(true), "add D ⊙ x")),
                1, Role.COMPUTE, app -> {
                    long modes = app.intArg("modes");
                    app.require(!app.known("modes") || (modes >= 1 && modes <= 4096), Code.HY0301, app.at("modes"), "modes", "between 1 and 4096", modes);
                    long c = app.width(0);
                    app.weight("log_poles", FILTER_DTYPE, List.of(c, modes), "[channels, modes]: log λ < 0");
                    app.weight("residues", FILTER_DTYPE, List.of(c, modes), "[channels, modes]");
                    if (app.boolArg("skip")) app.weight("skip", FILTER_DTYPE, List.of(c), "[channels]");
                    return List.of(c);
                }));

        add(new Primitive("rmsnorm", "RMS normalisation y = scale ⊙ x / (‖x‖₂·width^(−1/2) + eps); eps is added to the RMS.",
                List.of(optional("eps", Type.FLOAT, new EvalValue.Float(1e-6), "added to the RMS, outside the square root")),
                1, Role.COMPUTE, app -> {
                    double eps = app.floatArg("eps");
                    app.require(Double.isNaN(eps) || eps > 0, Code.HY0301, app.at("eps"), "eps", "positive", app.arg("eps").show());
                    app.weight("scale", app.dtype(), List.of(app.width(0)), "[channels]");
                    return List.of(app.width(0));
                }));

        add(new Primitive("deinterleave", "Splits channels round-robin: output j takes channels j, j+n, j+2n, …",
                List.of(required("n", Type.INT, "number of outputs")), 1, Role.COMPUTE, Primitives::splitRule));
        add(new Primitive("split", "Splits channels into n contiguous parts of equal width.",
                List.of(required("n", Type.INT, "number of outputs")), 1, Role.COMPUTE, Primitives::splitRule));
        add(new Primitive("concat", "Joins its inputs along channels.", List.of(), -1, Role.COMPUTE, app -> {
            long sum = 0;
            for (int i = 0; i < app.inputs(); i++) {
                if (app.width(i) < 0) return List.of(-1L);
                sum += app.width(i);
            }
            return List.of(sum);
        }));

        for (String act : List.of("identity", "gelu", "silu", "relu")) {
            String what = switch (act) {
                case "gelu" -> "GELU, exact (erf) form.";
                case "silu" -> "SiLU (swish): x·σ(x).";
                case "relu" -> "ReLU: max(x, 0).";
                default -> "The identity: returns its input.";
            };
            add(new Primitive(act, what, List.of(), 1, Role.COMPUTE, app -> List.of(app.width(0))));
        }

        add(new Primitive("rope", "Rotary position encoding, rotate-half convention, over the full head dimension; "
                + "positions are scaled by 1/scale (linear interpolation for long contexts).",
                List.of(optional("base", Type.FLOAT, new EvalValue.Float(1e4), "frequency base"),
                        optional("scale", Type.FLOAT, new EvalValue.Float(1), "position t becomes t / scale")),
                0, Role.CONFIG, app -> {
                    double base = app.floatArg("base");
                    double scale = app.floatArg("scale");
                    app.require(Double.isNaN(base) || base > 1, Code.HY0301, app.at("base"), "base", "greater than 1", app.arg("base").show());
                    app.require(Double.isNaN(scale) || scale > 0, Code.HY0301, app.at("scale"), "scale", "positive", app.arg("scale").show());
                    return List.of();
                }));

        add(new Primitive("causal_attention",
                "Causal multi-head softmax attention over q, k, v (same width, heads × head_dim), scale 1/√head_dim, "
                        + "no grouped kv heads. `rope` optionally encodes positions of q and k.",
                List.of(required("heads", Type.INT, "number of heads"),
                        computed("rope", Type.OP, "none", "position encoding, e.g. rope(base = 1e4)")),
                3, Role.COMPUTE, app -> {
                    long q = app.width(0);
                    for (int i = 1; i < 3; i++) {
                        if (q >= 0 && app.width(i) >= 0) app.require(app.width(i) == q, Code.HY0304, app.call(), q, app.width(i));
                    }
                    long heads = app.intArg("heads");
                    boolean ok = app.require(!app.known("heads") || (heads >= 1 && heads <= MAX_DIM), Code.HY0301, app.at("heads"), "heads", "at least 1", heads);
                    if (ok && heads > 0 && q > 0 && app.require(q % heads == 0, Code.HY0302, app.at("heads"), "width " + q, "heads " + heads)) {
                        if (app.arg("rope") instanceof EvalValue.Op) {
                            app.require((q / heads) % 2 == 0, Code.HY0301, app.at("rope"), "head_dim with rope", "even", q / heads);
                        }
                    }
                    EvalValue rope = app.arg("rope");
                    if (rope != null && !(rope instanceof EvalValue.Unknown)) {
                        app.require(rope instanceof EvalValue.Op op && op.template().name().equals("rope")
                                && op.template() instanceof Primitive, Code.HY0300, app.at("rope"), "a position encoding such as `rope(base = 1e4)`", rope.show());
                    }
                    return List.of(q);
                }));
    }

    private static List<Long> splitRule(Primitive.Application app) {
        long n = app.intArg("n");
        long c = app.width(0);
        if (!app.known("n")) return null;
        if (!app.require(n >= 1 && n <= 4096, Code.HY0301, app.at("n"), "n", "between 1 and 4096", n)) return null;
        boolean ok = c < 0 || app.require(c % n == 0, Code.HY0302, app.at("n"), "width " + c, "n = " + n);
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(c < 0 || !ok ? -1 : c / n);
        return out;
    }

    private static void add(Primitive p) { ALL.put(p.name(), p); }

    public static Primitive get(String name) { return ALL.get(name); }

    public static Map<String, Primitive> all() { return Collections.unmodifiableMap(ALL); }
}
