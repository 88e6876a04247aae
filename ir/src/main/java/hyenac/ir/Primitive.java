package hyenac.ir;

import hyenac.ir.Primitive.WeightRole.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The primitives of the IR: the one table of what each is. Everything the DSL builds lowers to these, and
 * training adds the loss and what vector-Jacobian products emit. A node names its primitive by {@link #op()}
 * ({@link Node#primitive()}); the printed graph and the artifacts keep that spelling.
 *
 * <p>Per primitive: its arity, the attributes and weight roles a node of it may carry (the verifier rejects
 * others), where its nodes come from ({@link Form}), how fusion treats it ({@link Fusion}), whether it keeps
 * recurrent state when decoding, its type rule, its FLOPs by SEMANTICS.md §7, and whether it is differentiable.
 *
 * <p>Adding one: a constant here, then the implementations, each found by this enum: its schema in
 * {@code dsl/check/Primitives} (for {@link Form#CALL}), its VJP in {@code ir/autodiff/Vjps}, its CPU kernel in
 * the exhaustive switches of {@code CpuExecutor} or {@code GradientExecutor}, its GPU generator in the switch of
 * {@code codegen/kernels/Kernels}. The compiler names every switch that lacks it, and {@code EveryPrimitiveTest}
 * fails until each implementation exists.
 */
public enum Primitive {
    // ---- what a model's graph holds ----
    EMBEDDING(spec("embedding", 1, 1, Form.MODEL).attributes("vocab").weight("weight", Kind.MATRIX).rule(TypeRules::embeds)),
    UNEMBED(spec("unembed", 1, 1, Form.MODEL).weight("weight", Kind.MATRIX).rule(TypeRules::projects)
            .flops((n, in, out, l) -> 2.0 * in * out)),
    LINEAR(spec("linear", 1, 1, Form.CALL).attributes("features", "bias")
            .weight("weight", Kind.MATRIX).optionalWeight("bias", Kind.BIAS).rule(TypeRules::projects)
            .flops((n, in, out, l) -> 2.0 * in * out)),
    /** Explicit taps; {@code decay} (a role training adds) holds MR's log decay rates. */
    CAUSAL_CONV(spec("causal_conv", 1, 1, Form.CALL).attributes("len", "groups", "taps", "skip", "decay")
            .weight("weight", Kind.FILTER).optionalWeight("skip", Kind.FILTER).optionalWeight("decay", Kind.FILTER)
            .stateful().rule(TypeRules::keepsWidth).flops((n, in, out, l) -> 2.0 * n.intAttr("len") * in)),
    /** Inference reads {@code log_poles}; training learns {@code pole_rates} in their place (ParametriseDecay). */
    MODAL_CONV(spec("modal_conv", 1, 1, Form.CALL).attributes("modes", "skip")
            .optionalWeight("log_poles", Kind.FILTER).optionalWeight("pole_rates", Kind.FILTER)
            .weight("residues", Kind.FILTER).optionalWeight("skip", Kind.FILTER)
            .stateful().rule(TypeRules::keepsWidth).flops((n, in, out, l) -> {
                double fft = 2.0 * l;
                return in * (10 * fft * (Math.log(fft) / Math.log(2)) + 6 * fft) / l;
            })),
    RMSNORM(spec("rmsnorm", 1, 1, Form.CALL).attributes("eps").weight("scale", Kind.SCALE).rule(TypeRules::keepsWidth)),
    DEINTERLEAVE(spec("deinterleave", 1, Primitive.ANY, Form.CALL).attributes("n").fusion(Fusion.CHANNEL_SELECT).rule(TypeRules::divides)),
    SPLIT(spec("split", 1, Primitive.ANY, Form.CALL).attributes("n").fusion(Fusion.CHANNEL_SELECT).rule(TypeRules::divides)),
    CONCAT(spec("concat", Primitive.ANY, 1, Form.CALL).rule(TypeRules::joins)),
    /** {@code rope} is "rope" or "none"; a rope's own arguments flatten to rope.base and rope.scale. */
    CAUSAL_ATTENTION(spec("causal_attention", 3, 1, Form.CALL).attributes("heads", "rope", "rope.base", "rope.scale")
            .stateful().rule(TypeRules::sameWidths).flops((n, in, out, l) -> 2.0 * l * in)),
    ADD(spec("add", 2, 1, Form.OPERATOR).fusion(Fusion.POINTWISE).rule(TypeRules::sameWidths)),
    SUB(spec("sub", 2, 1, Form.OPERATOR).fusion(Fusion.POINTWISE).rule(TypeRules::sameWidths)),
    MUL(spec("mul", 2, 1, Form.OPERATOR).fusion(Fusion.POINTWISE).rule(TypeRules::sameWidths)),
    SCALE(spec("scale", 1, 1, Form.OPERATOR).attributes("by").fusion(Fusion.POINTWISE).rule(TypeRules::keepsWidth)),
    NEG(spec("neg", 1, 1, Form.OPERATOR).fusion(Fusion.POINTWISE).rule(TypeRules::keepsWidth)),
    IDENTITY(spec("identity", 1, 1, Form.CALL).activation()),
    GELU(spec("gelu", 1, 1, Form.CALL).activation()),
    SILU(spec("silu", 1, 1, Form.CALL).activation()),
    RELU(spec("relu", 1, 1, Form.CALL).activation()),

    // ---- training: the loss and the primitives vector-Jacobian products emit ----
    CROSS_ENTROPY(spec("cross_entropy", 3, 1, Form.TRAINING).rule(TypeRules::loss)
            .notDifferentiable("the loss: differentiation starts at it, seeded by cross_entropy_grad")),
    CROSS_ENTROPY_GRAD(training("cross_entropy_grad", 3, 1).rule(TypeRules::keepsWidth)),
    ZEROS_LIKE(training("zeros_like", 1, 1).rule(TypeRules::keepsWidth)),
    LINEAR_GRAD_INPUT(training("linear_grad_input", 1, 1).weight("weight", Kind.MATRIX).rule(TypeRules::projectsBack)),
    LINEAR_GRAD_WEIGHT(training("linear_grad_weight", 2, 1).rule(TypeRules::outerProduct)),
    SUM_ROWS(training("sum_rows", 1, 1).rule(TypeRules::perChannel)),
    EMBEDDING_GRAD(training("embedding_grad", 2, 1).attributes("vocab").rule(TypeRules::embeddingGradient)),
    CAUSAL_CONV_GRAD_INPUT(training("causal_conv_grad_input", 1, 1).sameAs(CAUSAL_CONV).rule(TypeRules::keepsWidth)),
    /** Results: the taps' gradient, then the decay rates' when the node has a decay role. */
    CAUSAL_CONV_GRAD_PARAMS(training("causal_conv_grad_params", 2, Primitive.ANY).sameAs(CAUSAL_CONV).rule(TypeRules.shapedLikeWeights("weight", "decay"))),
    MODAL_CONV_GRAD_INPUT(training("modal_conv_grad_input", 1, 1).sameAs(MODAL_CONV).rule(TypeRules::keepsWidth)),
    /** Results: the poles' gradient (log λ, or their rates once parametrised), then the residues'. */
    MODAL_CONV_GRAD_PARAMS(training("modal_conv_grad_params", 2, 2).sameAs(MODAL_CONV)
            .rule(TypeRules.shapedLikeWeights("pole_rates", "log_poles", "residues"))),
    SKIP_GRAD(training("skip_grad", 2, 1).rule(TypeRules::perChannel)),
    RMSNORM_GRAD_INPUT(training("rmsnorm_grad_input", 2, 1).sameAs(RMSNORM).rule(TypeRules::sameWidths)),
    RMSNORM_GRAD_SCALE(training("rmsnorm_grad_scale", 2, 1).attributes("eps").rule(TypeRules::perChannel)),
    INTERLEAVE(training("interleave", Primitive.ANY, 1).rule(TypeRules::joins)),
    SLICE(training("slice", 1, 1).attributes("start", "width").rule(TypeRules::slices)),
    ACTIVATION_GRAD(training("activation_grad", 2, 1).attributes("activation").rule(TypeRules::sameWidths)),
    CAUSAL_ATTENTION_GRAD(training("causal_attention_grad", 4, 3).sameAs(CAUSAL_ATTENTION).rule(TypeRules::sameWidths));

    /** An arity of any number (at least one). */
    public static final int ANY = -1;

    /** Where a primitive's nodes come from. */
    public enum Form {
        /** The DSL calls it by name; its schema (parameters, checks, weights) is in dsl's {@code check/Primitives}. */
        CALL,
        /** The DSL's arithmetic writes it: {@code a + b}, {@code a - b}, {@code a * b}, {@code -a}, {@code 0.5 * a}. */
        OPERATOR,
        /** A model's elaboration adds it: the embedding and the tied unembedding. */
        MODEL,
        /** Only training graphs hold it: the loss and what VJPs emit. The CPU runs it (GradientExecutor); no GPU does. */
        TRAINING
    }

    /** How the fusion pass treats a primitive's nodes. */
    public enum Fusion {
        /** Computed per element from the same element of its operands: joins elementwise chains and norm prologues. */
        POINTWISE,
        /** Selects channels of one wider operand: opens an elementwise chain, which reads the operand in place. */
        CHANNEL_SELECT,
        /** Its own kernels or library call; only a pattern that names it (the Hyena core, the norm) fuses it. */
        OWN_KERNEL
    }

    /**
     * A weight a node of the primitive may bind.
     *
     * @param kind what the weight is, which decides e.g. whether AdamW decays it (matrices only)
     */
    public record WeightRole(String name, boolean optional, Kind kind) {
        public enum Kind { MATRIX, BIAS, FILTER, SCALE }
    }

    /** The shape checks of a node, each problem as a line of text (the verifier prefixes the node). */
    @FunctionalInterface
    public interface TypeRule {
        List<String> check(Graph g, Node n);
    }

    /** FLOPs per token of a node at sequence length {@code length}; {@code in}, {@code out}: its first operand's and result's channels. */
    @FunctionalInterface
    public interface Flops {
        double perToken(Node n, long in, long out, long length);
    }

    private final Spec spec;

    Primitive(Spec spec) { this.spec = spec; }

    /** The name nodes, printed graphs, artifacts and the DSL use: {@code causal_conv}. */
    public String op() { return spec.op; }

    /** How many operands a node takes, or {@link #ANY}. */
    public int operands() { return spec.operands; }

    /** How many results a node makes, or {@link #ANY}. */
    public int results() { return spec.results; }

    /** The attributes a node may carry; for {@link Form#CALL}, the DSL's parameters (an operator-valued one flattened: rope.base). */
    public List<String> attributes() { return spec.attributes; }

    public List<WeightRole> weights() { return spec.weights; }

    /** The role of that name, or empty when nodes of this primitive bind none. */
    public Optional<WeightRole> weight(String role) { return spec.weights.stream().filter(w -> w.name().equals(role)).findFirst(); }

    public Form form() { return spec.form; }

    public Fusion fusion() { return spec.fusion; }

    /** Whether decoding keeps state for it across steps (SEMANTICS.md §4): a FIR ring, a modal state, a KV cache. */
    public boolean stateful() { return spec.stateful; }

    /** A pointwise activation of the language: a gate's activation in the Hyena core, the MLP's. */
    public boolean activation() { return spec.activation; }

    public TypeRule typeRule() { return spec.rule; }

    /** FLOPs per token by SEMANTICS.md §7: elementwise work and everything training adds count 0. */
    public double flopsPerToken(Node n, long in, long out, long length) { return spec.flops.perToken(n, in, out, length); }

    /** Whether autodiff differentiates through it: then {@code Vjps} has its vector-Jacobian product. */
    public boolean differentiable() { return spec.notDifferentiable == null; }

    /** Why there is no vector-Jacobian product, or null when there is one. */
    public String whyNotDifferentiable() { return spec.notDifferentiable; }

    /** The op's name, so that messages and kernel signatures read as the graph does. */
    @Override public String toString() { return spec.op; }

    private static final Map<String, Primitive> BY_OP = new HashMap<>();

    static {
        for (Primitive p : values()) {
            if (BY_OP.put(p.op(), p) != null) throw new IllegalStateException("two primitives are named " + p.op());
            if (p.spec.rule == null) throw new IllegalStateException(p.op() + " has no type rule");
            p.spec.weights = List.copyOf(p.spec.weights);
        }
    }

    /** The primitive a node's op names, or empty for a name that is none. */
    public static Optional<Primitive> find(String op) { return Optional.ofNullable(BY_OP.get(op)); }

    /** The primitive an op names; an unknown name is a compiler bug (the verifier reports it first). */
    public static Primitive of(String op) {
        Primitive p = BY_OP.get(op);
        if (p == null) throw new IllegalArgumentException("`" + op + "` is not a primitive");
        return p;
    }

    // ---- the table's rows, built readably ----

    private static Spec spec(String op, int operands, int results, Form form) { return new Spec(op, operands, results, form); }

    /** A training primitive: VJPs emit it, and nothing differentiates it again. */
    private static Spec training(String op, int operands, int results) {
        return spec(op, operands, results, Form.TRAINING).notDifferentiable("a gradient primitive: a graph is differentiated once");
    }

    private static final class Spec {
        final String op;
        final int operands, results;
        final Form form;
        List<String> attributes = List.of();
        List<WeightRole> weights = new ArrayList<>();
        Fusion fusion = Fusion.OWN_KERNEL;
        boolean stateful, activation;
        TypeRule rule;
        Flops flops = (n, in, out, l) -> 0;
        String notDifferentiable;

        Spec(String op, int operands, int results, Form form) {
            this.op = op;
            this.operands = operands;
            this.results = results;
            this.form = form;
        }

        Spec attributes(String... names) {
            attributes = List.copyOf(Arrays.asList(names));
            return this;
        }

        Spec weight(String role, WeightRole.Kind kind) {
            weights.add(new WeightRole(role, false, kind));
            return this;
        }

        Spec optionalWeight(String role, WeightRole.Kind kind) {
            weights.add(new WeightRole(role, true, kind));
            return this;
        }

        /** A gradient primitive reading its forward node's attributes and weights. */
        Spec sameAs(Primitive forward) {
            attributes = forward.spec.attributes;
            weights.addAll(forward.spec.weights);
            return this;
        }

        Spec fusion(Fusion f) {
            fusion = f;
            return this;
        }

        Spec stateful() {
            stateful = true;
            return this;
        }

        Spec activation() {
            activation = true;
            fusion = Fusion.POINTWISE;
            rule = TypeRules::keepsWidth;
            return this;
        }

        Spec rule(TypeRule r) {
            rule = r;
            return this;
        }

        Spec flops(Flops f) {
            flops = f;
            return this;
        }

        Spec notDifferentiable(String why) {
            notDifferentiable = why;
            return this;
        }
    }
}
