package hyenac.dsl.ast;

import hyenac.dsl.source.Span;
import java.util.List;

/**
 * The syntax tree of a .hyena file: immutable records with spans. After a syntax error the tree is
 * partial: missing names are empty identifiers and missing expressions are {@link Error} nodes, so
 * the checker and the IDE can still use everything around them.
 */
public final class Ast {
    private Ast() {}

    public sealed interface Node permits File, Import, Decl, Param, Stmt, Expr, Ident, Arg, Selector {
        Span span();
    }

    public record File(Span span, List<Import> imports, List<Decl> decls) implements Node {
        public File { imports = List.copyOf(imports); decls = List.copyOf(decls); }
    }

    /** {@code import "std"} or {@code import "relative/path.hyena"}. */
    public record Import(Span span, String path, Span pathSpan) implements Node {}

    public sealed interface Decl extends Node permits OpDecl, ModelDecl {
        Ident name();
        String doc();
    }

    public enum OpKind { OP, BLOCK }

    /** {@code op name(params) (inputs) { body }}; blocks are operators meant to wrap a mixer. */
    public record OpDecl(Span span, OpKind kind, Ident name, List<Param> params, List<Ident> inputs,
                         List<Stmt> body, String doc) implements Decl {
        public OpDecl { params = List.copyOf(params); inputs = List.copyOf(inputs); body = List.copyOf(body); }
    }

    /** {@code name: type = default}; {@code dflt} is null when the argument is required. */
    public record Param(Span span, Ident name, Ident type, Expr dflt, String doc) implements Node {}

    public record ModelDecl(Span span, Ident name, List<Stmt> body, String doc) implements Decl {
        public ModelDecl { body = List.copyOf(body); }
    }

    /** A name as written; {@code name} is empty where the parser had to make one up. */
    public record Ident(Span span, String name) implements Node {
        public boolean missing() { return name.isEmpty(); }
    }

    // ---- statements

    public sealed interface Stmt extends Node permits Let, OpBind, Out, Assign {}

    /** {@code let name = value}: a named constant. */
    public record Let(Span span, Ident name, Expr value, String doc) implements Stmt {}

    /** {@code op name = value}: a named operator instance; its weights are named after it. */
    public record OpBind(Span span, Ident name, Expr value, String doc) implements Stmt {}

    /** {@code out value}: the result of an operator. */
    public record Out(Span span, Expr value) implements Stmt {}

    /**
     * {@code a = v}, {@code q, k, v = v} or {@code layers[0].mlp.act = v}. In a model this sets a
     * property or overrides a layer's argument; in an operator it binds values.
     */
    public record Assign(Span span, List<Target> targets, Expr value, String doc) implements Stmt {
        public Assign { targets = List.copyOf(targets); }
    }

    public record Target(Span span, Ident root, List<Selector> selectors) {
        public Target { selectors = List.copyOf(selectors); }
        public boolean isPlainName() { return selectors.isEmpty(); }
    }

    public sealed interface Selector extends Node permits Index, Field {}
    public record Index(Span span, Expr index) implements Selector {}
    public record Field(Span span, Ident name) implements Selector {}

    // ---- expressions

    public sealed interface Expr extends Node permits Num, Str, Bool, Name, Call, Neg, Binary, ListLit, Error {}

    /** A number as written (the formatter keeps the spelling); {@code isFloat} for '.' or an exponent. */
    public record Num(Span span, String text, boolean isFloat) implements Expr {}
    public record Str(Span span, String value) implements Expr {}
    public record Bool(Span span, boolean value) implements Expr {}
    public record Name(Span span, Ident ident) implements Expr {}
    public record Call(Span span, Ident callee, List<Arg> args) implements Expr {
        public Call { args = List.copyOf(args); }
    }
    /** One argument; {@code name} is null for a positional (input) argument. */
    public record Arg(Span span, Ident name, Expr value) implements Node {}
    public record Neg(Span span, Expr operand) implements Expr {}

    public enum BinOp {
        ADD("+", 1), SUB("-", 1), MUL("*", 2), DIV("/", 2), MOD("%", 2);
        public final String symbol;
        public final int precedence;
        BinOp(String symbol, int precedence) { this.symbol = symbol; this.precedence = precedence; }
    }

    public record Binary(Span span, BinOp op, Expr left, Expr right) implements Expr {}
    public record ListLit(Span span, List<Expr> items) implements Expr {
        public ListLit { items = List.copyOf(items); }
    }
    /** Stands where the parser found no expression. */
    public record Error(Span span) implements Expr {}
}
