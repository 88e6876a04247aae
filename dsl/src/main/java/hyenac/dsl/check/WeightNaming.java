package hyenac.dsl.check;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.source.Span;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Pattern;

/**
 * Names weights by the binding path of the instance that owns them: {@code layers.3.mixer.proj_in.weight}
 * is the weight {@code weight} of the primitive bound as {@code proj_in} in the mixer of layer 3. The same
 * paths name the nodes and probes, so an operator that owns weights must be bound to be applied.
 */
final class WeightNaming {
    /** The token embedding; tied: the unembedding reads it too. */
    static final String EMBEDDING = "embedding.weight";
    static final String FINAL_NORM = "final_norm";
    private static final Pattern LAYER = Pattern.compile("^layers\\.\\d+\\.");

    /** The instance path of each operator body being evaluated, innermost first. */
    private final Deque<String> paths = new ArrayDeque<>();
    /** Weights named so far, counted also where an inline application does not record them. */
    private long declared;

    static String layer(int index) {
        return "layers." + index;
    }

    /** The name without its layer prefix: the same weight in every layer that repeats a binding. */
    static String withinLayer(String name) {
        return LAYER.matcher(name).replaceFirst("");
    }

    static String child(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** The full name of weight {@code name} of the instance at {@code path}. */
    String declare(String path, String name) {
        declared++;
        return child(path, name);
    }

    long declared() {
        return declared;
    }

    void enter(String path) {
        paths.push(path);
    }

    void leave() {
        paths.pop();
    }

    /** The path inline applications in the body being evaluated are named under. */
    String current() {
        return paths.isEmpty() ? "" : paths.peek();
    }

    /** HY0207: an operator applied inline declared weights, which have no binding to be named after. */
    static Diagnostic unbound(Span call, String operator, String example) {
        return Diagnostic.of(Code.HY0207, call, operator)
                .withNote("bind it first, e.g. `op " + example + " = " + operator + "(…)`, then apply `" + example
                        + "(x)`: its weights are named after the binding");
    }
}
