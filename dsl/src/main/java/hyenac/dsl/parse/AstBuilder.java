package hyenac.dsl.parse;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parser.HyenaLexer;
import hyenac.dsl.parser.HyenaParser.*;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.tree.TerminalNode;

/** Parse tree to AST. Tolerates the holes that error recovery leaves (null children). */
final class AstBuilder {
    private final SourceFile file;
    private final CommonTokenStream tokens;
    private final Diagnostics diags;

    AstBuilder(SourceFile file, CommonTokenStream tokens, Diagnostics diags) {
        this.file = file;
        this.tokens = tokens;
        this.diags = diags;
    }

    Ast.File file(FileContext ctx) {
        List<Ast.Import> imports = new ArrayList<>();
        List<Ast.Decl> decls = new ArrayList<>();
        for (ImportDeclContext i : ctx.importDecl()) {
            if (i.STRING() == null) continue;
            Span s = span(i.STRING());
            imports.add(new Ast.Import(span(i), unquote(i.STRING().getText(), s), s));
        }
        for (DeclContext d : ctx.decl()) {
            if (d.opDecl() != null) decls.add(opDecl(d.opDecl()));
            else if (d.modelDecl() != null) decls.add(modelDecl(d.modelDecl()));
        }
        return new Ast.File(new Span(file, 0, file.text().length()), imports, decls);
    }

    private Ast.OpDecl opDecl(OpDeclContext ctx) {
        Ast.OpKind kind = ctx.kind != null && ctx.kind.getType() == HyenaLexer.BLOCK ? Ast.OpKind.BLOCK : Ast.OpKind.OP;
        List<Ast.Param> params = new ArrayList<>();
        if (ctx.params() != null) {
            for (ParamContext p : ctx.params().param()) {
                params.add(new Ast.Param(span(p), ident(p.name, p), typeName(p.type, p),
                        p.expr() == null ? null : expr(p.expr()), doc(p)));
            }
        }
        List<Ast.Ident> inputs = new ArrayList<>();
        if (ctx.inputs() != null) for (TerminalNode n : ctx.inputs().IDENT()) inputs.add(ident(n));
        return new Ast.OpDecl(span(ctx), kind, ident(ctx.name, ctx), params, inputs, stmts(ctx.stmt()), doc(ctx));
    }

    private Ast.ModelDecl modelDecl(ModelDeclContext ctx) {
        return new Ast.ModelDecl(span(ctx), ident(ctx.name, ctx), stmts(ctx.stmt()), doc(ctx));
    }

    private List<Ast.Stmt> stmts(List<StmtContext> list) {
        List<Ast.Stmt> out = new ArrayList<>();
        for (StmtContext s : list) {
            Ast.Stmt st = stmt(s);
            if (st != null) out.add(st);
        }
        return out;
    }

    private Ast.Stmt stmt(StmtContext ctx) {
        return switch (ctx) {
            case LetStmtContext c -> new Ast.Let(span(c), ident(c.IDENT(), c), expr(c.expr()), doc(c));
            case OpStmtContext c -> new Ast.OpBind(span(c), ident(c.IDENT(), c), expr(c.expr()), doc(c));
            case OutStmtContext c -> new Ast.Out(span(c), expr(c.expr()));
            case AssignStmtContext c -> {
                List<Ast.Target> targets = new ArrayList<>();
                for (TargetContext t : c.target()) targets.add(target(t));
                yield targets.isEmpty() ? null : new Ast.Assign(span(c), targets, expr(c.expr()), doc(c));
            }
            default -> null;
        };
    }

    private Ast.Target target(TargetContext ctx) {
        List<Ast.Selector> selectors = new ArrayList<>();
        for (SelectorContext s : ctx.selector()) {
            if (s instanceof IndexSelectorContext i) selectors.add(new Ast.Index(span(i), expr(i.expr())));
            else if (s instanceof FieldSelectorContext f) selectors.add(new Ast.Field(span(f), ident(f.IDENT(), f)));
        }
        return new Ast.Target(span(ctx), keywordOrIdent(ctx.name, ctx), selectors);
    }

    private Ast.Expr expr(ExprContext ctx) {
        if (ctx == null) return new Ast.Error(Span.at(file, lastOffset()));
        return switch (ctx) {
            case NegExprContext c -> new Ast.Neg(span(c), expr(c.expr()));
            case MulExprContext c -> binary(c, c.op, c.expr(0), c.expr(1));
            case AddExprContext c -> binary(c, c.op, c.expr(0), c.expr(1));
            case PrimaryExprContext c -> primary(c.primary(), c);
            default -> new Ast.Error(span(ctx));
        };
    }

    private Ast.Expr binary(ExprContext ctx, Token op, ExprContext l, ExprContext r) {
        Ast.BinOp bop = switch (op == null ? -1 : op.getType()) {
            case HyenaLexer.PLUS -> Ast.BinOp.ADD;
            case HyenaLexer.MINUS -> Ast.BinOp.SUB;
            case HyenaLexer.STAR -> Ast.BinOp.MUL;
            case HyenaLexer.SLASH -> Ast.BinOp.DIV;
            case HyenaLexer.PERCENT -> Ast.BinOp.MOD;
            default -> null;
        };
        if (bop == null) return new Ast.Error(span(ctx));
        return new Ast.Binary(span(ctx), bop, expr(l), expr(r));
    }

    private Ast.Expr primary(PrimaryContext ctx, ParserRuleContext parent) {
        if (ctx == null) return new Ast.Error(span(parent));
        return switch (ctx) {
            case NumberLitContext c -> number(c);
            case StringLitContext c -> new Ast.Str(span(c), unquote(c.getText(), span(c)));
            case BoolLitContext c -> new Ast.Bool(span(c), c.TRUE() != null);
            case NameExprContext c -> new Ast.Name(span(c), ident(c.IDENT()));
            case CallExprContext c -> {
                List<Ast.Arg> args = new ArrayList<>();
                if (c.args() != null) {
                    for (ArgContext a : c.args().arg()) {
                        args.add(new Ast.Arg(span(a), a.IDENT() == null ? null : ident(a.IDENT()), expr(a.expr())));
                    }
                }
                yield new Ast.Call(span(c), ident(c.IDENT(), c), args);
            }
            case ParenExprContext c -> expr(c.expr());
            case ListExprContext c -> new Ast.ListLit(span(c), c.expr().stream().map(this::expr).toList());
            default -> new Ast.Error(span(ctx));
        };
    }

    private Ast.Expr number(NumberLitContext c) {
        String text = c.getText();
        Span s = span(c);
        String digits = text.replace("_", "");
        boolean isFloat = text.contains(".") || text.contains("e") || text.contains("E");
        if (text.endsWith("_") || text.contains("__") || text.contains("_.") || text.contains("._")
                || text.matches(".*_[eE].*")) {
            diags.report(Code.HY0007, s, "`" + text + "`: underscores go between digits only");
            return new Ast.Error(s);
        }
        if (isFloat) {
            double v = Double.parseDouble(digits);
            if (Double.isInfinite(v)) {
                diags.report(Code.HY0004, s, "`" + clip(text) + "`", "larger than the largest float");
                return new Ast.Error(s);
            }
        } else {
            try {
                Long.parseLong(digits);
            } catch (NumberFormatException e) {
                diags.report(Code.HY0004, s, "`" + clip(text) + "`", "integers must be below 2^63");
                return new Ast.Error(s);
            }
        }
        return new Ast.Num(s, text, isFloat);
    }

    private static String clip(String text) { return text.length() > 24 ? text.substring(0, 24) + "…" : text; }

    private String unquote(String quoted, Span at) {
        String body = quoted.length() >= 2 && quoted.endsWith("\"") ? quoted.substring(1, quoted.length() - 1) : quoted.substring(1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < body.length(); i++) {
            char ch = body.charAt(i);
            if (ch != '\\' || i + 1 >= body.length()) { b.append(ch); continue; }
            char e = body.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case '"', '\\' -> b.append(e);
                default -> {
                    diags.report(Code.HY0002, at, "unknown escape `\\" + e + "` in string (use \\\\, \\\", \\n or \\t)");
                    b.append(e);
                }
            }
        }
        return b.toString();
    }

    // ---- identifiers, spans, docs

    private Ast.Ident ident(TerminalNode n) {
        if (n == null || n.getSymbol().getTokenIndex() < 0) return new Ast.Ident(Span.at(file, lastOffset()), "");
        return new Ast.Ident(span(n), n.getText());
    }

    private Ast.Ident ident(TerminalNode n, ParserRuleContext owner) {
        if (n == null || n.getSymbol().getTokenIndex() < 0) return new Ast.Ident(Span.at(file, span(owner).start()), "");
        return ident(n);
    }

    private Ast.Ident ident(Token t, ParserRuleContext owner) {
        if (t == null || t.getTokenIndex() < 0 || t.getType() != HyenaLexer.IDENT) {
            return new Ast.Ident(Span.at(file, span(owner).start()), "");
        }
        return new Ast.Ident(new Span(file, t.getStartIndex(), t.getStopIndex() + 1), t.getText());
    }

    private Ast.Ident keywordOrIdent(Token t, ParserRuleContext owner) {
        if (t == null || t.getTokenIndex() < 0) return new Ast.Ident(Span.at(file, span(owner).start()), "");
        return new Ast.Ident(new Span(file, t.getStartIndex(), t.getStopIndex() + 1), t.getText());
    }

    private Ast.Ident typeName(TypeNameContext t, ParserRuleContext owner) {
        if (t == null || t.getStart() == null || t.getStart().getTokenIndex() < 0) return new Ast.Ident(Span.at(file, span(owner).end()), "");
        return new Ast.Ident(span(t), t.getText());
    }

    private int lastOffset() { return file.text().length(); }

    private Span span(TerminalNode n) {
        Token t = n.getSymbol();
        if (t.getStartIndex() < 0) return Span.at(file, lastOffset());
        return new Span(file, t.getStartIndex(), Math.max(t.getStartIndex(), t.getStopIndex() + 1));
    }

    private Span span(ParserRuleContext ctx) {
        Token a = ctx.getStart();
        Token b = ctx.getStop();
        int start = a == null || a.getStartIndex() < 0 ? lastOffset() : Math.min(a.getStartIndex(), lastOffset());
        int end = b == null || b.getStopIndex() < 0 || b.getType() == Token.EOF ? start : b.getStopIndex() + 1;
        return new Span(file, start, Math.max(start, Math.min(end, lastOffset())));
    }

    /** The `///` lines right above a declaration, without the slashes. */
    private String doc(ParserRuleContext ctx) {
        Token start = ctx.getStart();
        if (start == null || start.getTokenIndex() < 0) return "";
        List<Token> hidden = tokens.getHiddenTokensToLeft(start.getTokenIndex());
        if (hidden == null) return "";
        List<String> lines = new ArrayList<>();
        for (int i = hidden.size() - 1; i >= 0; i--) {
            Token t = hidden.get(i);
            if (t.getType() == HyenaLexer.DOC_COMMENT) {
                String text = t.getText().substring(3);
                lines.addFirst(text.startsWith(" ") ? text.substring(1) : text);
            } else if (t.getType() == HyenaLexer.WS && t.getText().chars().filter(ch -> ch == '\n').count() <= 1) {
                continue;
            } else {
                break;
            }
        }
        return String.join("\n", lines).strip();
    }
}
