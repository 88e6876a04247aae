package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.source.Span;

/**
 * One parameter of an operator. A default is a value (primitives), an expression over the earlier
 * parameters (user operators), or computed by the primitive from its inputs ({@code dfltText} says how).
 */
/** {@code type} is null where the declared type was not understood (already reported). */
public record ParamSpec(String name, Type type, EvalValue dflt, Ast.Expr dfltExpr, String dfltText, String doc, Span span) {

    public boolean required() { return dflt == null && dfltExpr == null && dfltText == null; }

    public static ParamSpec required(String name, Type type, String doc) {
        return new ParamSpec(name, type, null, null, null, doc, null);
    }

    public static ParamSpec optional(String name, Type type, EvalValue dflt, String doc) {
        return new ParamSpec(name, type, dflt, null, null, doc, null);
    }

    /** A default the primitive computes from its inputs, e.g. one filter per channel. */
    public static ParamSpec computed(String name, Type type, String dfltText, String doc) {
        return new ParamSpec(name, type, null, null, dfltText, doc, null);
    }

    /** {@code name: type = default}, as a signature shows it. */
    public String signature() {
        String s = name + ": " + (type == null ? "?" : type.spelling);
        if (dflt != null) return s + " = " + dflt.show();
        if (dfltExpr != null) return s + " = " + dfltExpr.span().text();
        if (dfltText != null) return s + " = " + dfltText;
        return s;
    }
}
