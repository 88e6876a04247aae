package hyenac.dsl.check;

import hyenac.dsl.diag.Code;
import hyenac.dsl.source.Span;
import java.util.List;

/**
 * A built-in operator: its schema (parameters, inputs, the weights it owns) and its shape rule.
 * Everything else in the language, the prelude included, is built from these.
 */
public record Primitive(String name, String doc, List<ParamSpec> params, int inputCount, Role role, Rule rule)
        implements Template {

    public enum Role {
        /** Applied to tensors. */
        COMPUTE,
        /** Only configures another primitive (a position encoding for attention); never applied itself. */
        CONFIG
    }

    /**
     * Checks arguments and input widths, declares weights, and returns the output widths (-1: unknown
     * width; null: not even the number of outputs is known).
     */
    @FunctionalInterface
    public interface Rule {
        List<Long> apply(Application app);
    }

    /** What a rule sees of one application. Widths and arguments may be unknown when checking a library. */
    public interface Application {
        /** Width of input i, or -1 when not known. */
        long width(int i);
        int inputs();
        /** The argument as given or defaulted; null when absent and computed by the rule. */
        EvalValue arg(String name);
        /** Where the argument was written, or the call when it was not. */
        Span at(String name);
        Span call();
        /** Reports and returns false when the check fails; unknown values always pass. */
        boolean require(boolean ok, Code code, Span at, Object... args);
        void warn(Code code, Span at, Object... args);
        /**
         * Declares a weight of this instance: its name within the instance, dtype, shape and layout
         * facts. A parameter (counted, loaded) unless {@code buffer}.
         */
        void weight(String name, String dtype, List<Long> shape, String layout);
        /** The model's storage dtype, e.g. bf16. */
        String dtype();
        /** Records the value a computed default took, so later stages see every argument explicitly. */
        void resolved(String name, EvalValue value);

        default long intArg(String name) {
            return arg(name) instanceof EvalValue.Int i ? i.value() : -1;
        }
        default double floatArg(String name) {
            return switch (arg(name)) {
                case EvalValue.Float f -> f.value();
                case EvalValue.Int i -> i.value();
                case null, default -> Double.NaN;
            };
        }
        default boolean boolArg(String name) { return arg(name) instanceof EvalValue.Bool b && b.value(); }
        default String enumArg(String name) { return arg(name) instanceof EvalValue.Enum e ? e.name() : null; }
        default boolean known(String name) { return arg(name) != null && !(arg(name) instanceof EvalValue.Unknown); }
    }

    @Override public Span span() { return null; }

    @Override public String signature() {
        String ins = inputCount < 0 ? "xs..." : inputCount == 1 ? "x" : inputCount == 3 ? "q, k, v" : "a, b";
        return "primitive " + Template.super.signature() + (role == Role.CONFIG ? "" : " (" + ins + ")");
    }
}
