package hyenac.dsl.check;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.source.Span;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Something that can be configured into an operator: a built-in primitive or a declared operator. */
public sealed interface Template permits Primitive, Template.Declared {
    String name();
    List<ParamSpec> params();
    String doc();
    /** Where it is declared; null for primitives. */
    Span span();

    /** The number of tensor inputs, or -1 for any number (at least one). */
    int inputCount();

    default Optional<ParamSpec> param(String name) {
        return params().stream().filter(p -> p.name().equals(name)).findFirst();
    }

    default String signature() {
        String ps = params().stream().map(ParamSpec::signature).collect(Collectors.joining(", "));
        return name() + "(" + ps + ")";
    }

    /** An {@code op} or {@code block} written in a .hyena file (the prelude included). */
    record Declared(Ast.OpDecl decl, Module module, List<ParamSpec> params) implements Template {
        public String name() { return decl.name().name(); }
        public String doc() { return decl.doc(); }
        public Span span() { return decl.name().span(); }
        public int inputCount() { return decl.inputs().size(); }
        public boolean isBlock() { return decl.kind() == Ast.OpKind.BLOCK; }

        @Override public String signature() {
            String ins = decl.inputs().stream().map(Ast.Ident::name).collect(Collectors.joining(", "));
            return (isBlock() ? "block " : "op ") + Template.super.signature() + " (" + ins + ")";
        }

        // Identity: two declarations are the same template only if they are the same node.
        @Override public boolean equals(Object o) { return o instanceof Declared d && d.decl == decl; }
        @Override public int hashCode() { return System.identityHashCode(decl); }
    }
}
