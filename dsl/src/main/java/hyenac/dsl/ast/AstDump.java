package hyenac.dsl.ast;

import java.util.List;

/**
 * A span-free structural dump of a syntax tree as one s-expression, for tests that compare trees
 * (two parses of differently laid out text must dump equal). Docs are included: where a comment
 * sits decides what it documents, so layout changes must keep them.
 *
 * <p>Shapes: names and numbers are bare atoms, strings are quoted, a missing name is {@code <missing>};
 * {@code (op name (doc "…") (params …) (inputs …) (body …))}, {@code (param name type default?)},
 * {@code (let x e)}, {@code (opbind x e)}, {@code (out e)}, {@code (assign (t …) e)},
 * {@code (call f a (= name v))}, {@code (- e)}, {@code (+ l r)}, {@code (list …)}, {@code (error)}.
 */
public final class AstDump {
    private AstDump() {}

    public static String dump(Ast.Node node) {
        StringBuilder b = new StringBuilder();
        node(b, node);
        return b.toString();
    }

    private static void node(StringBuilder b, Ast.Node n) {
        switch (n) {
            case Ast.File f -> {
                b.append("(file");
                for (Ast.Import i : f.imports()) { b.append(' '); node(b, i); }
                for (Ast.Decl d : f.decls()) { b.append(' '); node(b, d); }
                b.append(')');
            }
            case Ast.Import i -> b.append("(import ").append(quote(i.path())).append(')');
            case Ast.OpDecl d -> {
                b.append('(').append(d.kind() == Ast.OpKind.BLOCK ? "block" : "op").append(' ');
                ident(b, d.name());
                doc(b, d.doc());
                b.append(" (params");
                for (Ast.Param p : d.params()) { b.append(' '); node(b, p); }
                b.append(") (inputs");
                for (Ast.Ident i : d.inputs()) { b.append(' '); ident(b, i); }
                b.append(')');
                body(b, d.body());
                b.append(')');
            }
            case Ast.ModelDecl m -> {
                b.append("(model ");
                ident(b, m.name());
                doc(b, m.doc());
                body(b, m.body());
                b.append(')');
            }
            case Ast.Param p -> {
                b.append("(param ");
                ident(b, p.name());
                b.append(' ');
                ident(b, p.type());
                if (p.dflt() != null) { b.append(' '); node(b, p.dflt()); }
                doc(b, p.doc());
                b.append(')');
            }
            case Ast.Ident i -> ident(b, i);
            case Ast.Let s -> stmt(b, "let", s.name(), s.value(), s.doc());
            case Ast.OpBind s -> stmt(b, "opbind", s.name(), s.value(), s.doc());
            case Ast.Out s -> { b.append("(out "); node(b, s.value()); b.append(')'); }
            case Ast.Assign s -> {
                b.append("(assign (");
                for (int k = 0; k < s.targets().size(); k++) {
                    if (k > 0) b.append(' ');
                    target(b, s.targets().get(k));
                }
                b.append(") ");
                node(b, s.value());
                doc(b, s.doc());
                b.append(')');
            }
            case Ast.Index i -> { b.append("(index "); node(b, i.index()); b.append(')'); }
            case Ast.Field f -> { b.append("(field "); ident(b, f.name()); b.append(')'); }
            case Ast.Num x -> b.append(x.text());
            case Ast.Str x -> b.append(quote(x.value()));
            case Ast.Bool x -> b.append(x.value());
            case Ast.Name x -> ident(b, x.ident());
            case Ast.Call c -> {
                b.append("(call ");
                ident(b, c.callee());
                for (Ast.Arg a : c.args()) { b.append(' '); node(b, a); }
                b.append(')');
            }
            case Ast.Arg a -> {
                if (a.name() == null) { node(b, a.value()); break; }
                b.append("(= ");
                ident(b, a.name());
                b.append(' ');
                node(b, a.value());
                b.append(')');
            }
            case Ast.Neg x -> { b.append("(- "); node(b, x.operand()); b.append(')'); }
            case Ast.Binary x -> {
                b.append('(').append(x.op().symbol).append(' ');
                node(b, x.left());
                b.append(' ');
                node(b, x.right());
                b.append(')');
            }
            case Ast.ListLit l -> {
                b.append("(list");
                for (Ast.Expr e : l.items()) { b.append(' '); node(b, e); }
                b.append(')');
            }
            case Ast.Error e -> b.append("(error)");
        }
    }

    private static void stmt(StringBuilder b, String head, Ast.Ident name, Ast.Expr value, String doc) {
        b.append('(').append(head).append(' ');
        ident(b, name);
        b.append(' ');
        node(b, value);
        doc(b, doc);
        b.append(')');
    }

    private static void body(StringBuilder b, List<Ast.Stmt> body) {
        b.append(" (body");
        for (Ast.Stmt s : body) { b.append(' '); node(b, s); }
        b.append(')');
    }

    /** A target is a plain name, or {@code (target root selectors…)}. */
    private static void target(StringBuilder b, Ast.Target t) {
        if (t.isPlainName()) { ident(b, t.root()); return; }
        b.append("(target ");
        ident(b, t.root());
        for (Ast.Selector s : t.selectors()) { b.append(' '); node(b, s); }
        b.append(')');
    }

    private static void ident(StringBuilder b, Ast.Ident i) {
        b.append(i.missing() ? "<missing>" : i.name());
    }

    private static void doc(StringBuilder b, String doc) {
        if (doc != null && !doc.isEmpty()) b.append(" (doc ").append(quote(doc)).append(')');
    }

    /** Quoted with every character that could be ambiguous escaped, so equal dumps mean equal strings. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }
}
