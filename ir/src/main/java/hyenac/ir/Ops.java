package hyenac.ir;

import java.util.Map;

/**
 * The primitive set of the IR and how many operands and results each takes (-1: any, at least one).
 * Small on purpose: everything the DSL builds lowers to these.
 */
public final class Ops {
    private Ops() {}

    public record Arity(int operands, int results) {}

    public static final Map<String, Arity> ALL = Map.ofEntries(
            Map.entry("embedding", new Arity(1, 1)),
            Map.entry("unembed", new Arity(1, 1)),
            Map.entry("linear", new Arity(1, 1)),
            Map.entry("causal_conv", new Arity(1, 1)),
            Map.entry("modal_conv", new Arity(1, 1)),
            Map.entry("rmsnorm", new Arity(1, 1)),
            Map.entry("deinterleave", new Arity(1, -1)),
            Map.entry("split", new Arity(1, -1)),
            Map.entry("concat", new Arity(-1, 1)),
            Map.entry("causal_attention", new Arity(3, 1)),
            Map.entry("add", new Arity(2, 1)),
            Map.entry("sub", new Arity(2, 1)),
            Map.entry("mul", new Arity(2, 1)),
            Map.entry("scale", new Arity(1, 1)),
            Map.entry("neg", new Arity(1, 1)),
            Map.entry("identity", new Arity(1, 1)),
            Map.entry("gelu", new Arity(1, 1)),
            Map.entry("silu", new Arity(1, 1)),
            Map.entry("relu", new Arity(1, 1)));

    /** Ops whose result is a pure function of their operands and attributes (no weights): CSE may merge them. */
    public static boolean isPure(Node n) {
        return n.weights().isEmpty();
    }
}
