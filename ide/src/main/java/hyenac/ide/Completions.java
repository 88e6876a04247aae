package hyenac.ide;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.check.ModuleLoader;
import hyenac.dsl.check.ParamSpec;
import hyenac.dsl.check.Template;
import hyenac.dsl.check.Type;
import hyenac.dsl.check.EvalValue;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.parser.HyenaLexer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.CompletionItem;
import org.eclipse.lsp4j.CompletionItemKind;
import org.eclipse.lsp4j.InsertTextFormat;
import org.eclipse.lsp4j.MarkupContent;
import org.eclipse.lsp4j.MarkupKind;

/**
 * Completion from the tokens before the cursor (the tree may be broken mid-edit) and the front end's
 * module: keywords, operators of the prelude and the file, argument names with their types and
 * defaults, values that fit a parameter's type, names in scope, layer fields.
 */
final class Completions {
    private Completions() {}

    private static final List<String> TOP_KEYWORDS = List.of("import", "op", "block", "model");

    static List<CompletionItem> complete(Analysis a, int offset) {
        List<Token> all = tokens(a.text());
        // Inside a comment or string nothing fits, except an import's path.
        for (Token t : all) {
            int type = t.getType();
            boolean lineComment = type == HyenaLexer.LINE_COMMENT || type == HyenaLexer.DOC_COMMENT;
            if (lineComment && t.getStartIndex() < offset && offset <= t.getStopIndex() + 1) return List.of();
            int end = type == HyenaLexer.UNTERMINATED_STRING || type == HyenaLexer.UNTERMINATED_COMMENT ? t.getStopIndex() + 1 : t.getStopIndex();
            if (!(t.getStartIndex() < offset && offset <= end)) continue;
            if (type == HyenaLexer.STRING || type == HyenaLexer.UNTERMINATED_STRING) return importPaths(a, t, all);
            if (type == HyenaLexer.BLOCK_COMMENT || type == HyenaLexer.UNTERMINATED_COMMENT) return List.of();
        }
        List<Token> before = new ArrayList<>();
        for (Token t : all) {
            if (t.getChannel() == Token.DEFAULT_CHANNEL && t.getType() != Token.EOF && t.getStopIndex() < offset) before.add(t);
        }
        // Drop the word being typed: the client filters by it.
        if (!before.isEmpty() && before.getLast().getType() == HyenaLexer.IDENT && before.getLast().getStopIndex() + 1 == offset) {
            before.removeLast();
        }
        Token prev = before.isEmpty() ? null : before.getLast();
        Items items = new Items();

        if (prev != null && prev.getType() == HyenaLexer.DOT) {
            fields(a, before, offset, items);
            return items.list();
        }
        if (prev != null && prev.getType() == HyenaLexer.IMPORT) {
            items.add(item("\"std\"", CompletionItemKind.Module, "the prelude", null));
            return items.list();
        }
        int open = innermostOpen(before);
        Token opener = open < 0 ? null : before.get(open);
        Ast.Decl decl = a.index.declAt(offset).orElse(lastDeclBefore(a, offset));
        if (opener == null) {
            TOP_KEYWORDS.forEach(k -> items.add(keyword(k)));
            return items.list();
        }
        if (opener.getType() == HyenaLexer.LPAREN) {
            Token callee = open > 0 ? before.get(open - 1) : null;
            Token beforeCallee = open > 1 ? before.get(open - 2) : null;
            boolean header = callee != null && callee.getType() == HyenaLexer.IDENT && beforeCallee != null
                    && (beforeCallee.getType() == HyenaLexer.OP || beforeCallee.getType() == HyenaLexer.BLOCK) && isDeclHeader(before, open);
            if (header || (callee != null && callee.getType() == HyenaLexer.RPAREN)) {
                // A parameter list or an input list of a declaration: only types after ':'.
                if (prev != null && prev.getType() == HyenaLexer.COLON) Type.DECLARABLE.forEach(t -> items.add(item(t.spelling, CompletionItemKind.TypeParameter, "type", null)));
                return items.list();
            }
            if (callee != null && callee.getType() == HyenaLexer.IDENT) {
                Template t = a.module == null ? null : a.module.template(callee.getText()).orElse(null);
                if (prev != null && prev.getType() == HyenaLexer.ASSIGN && before.size() >= 2 && before.get(before.size() - 2).getType() == HyenaLexer.IDENT) {
                    ParamSpec p = t == null ? null : t.param(before.get(before.size() - 2).getText()).orElse(null);
                    valuesFor(a, p == null ? null : p.type(), decl, offset, items);
                    return items.list();
                }
                if (prev == opener || (prev != null && prev.getType() == HyenaLexer.COMMA)) {
                    if (t != null) arguments(t, given(before, open), items);
                }
            }
            names(a, decl, offset, items);
            return items.list();
        }
        if (opener.getType() == HyenaLexer.LBRACK) {
            names(a, decl, offset, items);
            return items.list();
        }
        // In a body.
        boolean afterAssign = prev != null && prev.getType() == HyenaLexer.ASSIGN;
        if (afterAssign) {
            Token target = before.size() >= 2 ? before.get(before.size() - 2) : null;
            if (target != null && decl instanceof Ast.ModelDecl && target.getType() == HyenaLexer.IDENT) {
                String prop = target.getText();
                if (prop.equals("dtype")) { valuesFor(a, Type.DTYPE, decl, offset, items); return items.list(); }
                if (prop.equals("block")) { blocks(a, items); return items.list(); }
            }
            names(a, decl, offset, items);
            return items.list();
        }
        if (startsStatement(prev)) {
            if (decl instanceof Ast.OpDecl) {
                for (String k : List.of("let", "op", "out")) items.add(keyword(k));
            } else if (decl instanceof Ast.ModelDecl m) {
                for (String k : List.of("let", "op")) items.add(keyword(k));
                Set<String> set = new java.util.HashSet<>();
                for (Index.Local l : a.index.locals.getOrDefault(m, List.of())) if (l.kind() == Index.LocalKind.PROPERTY) set.add(l.def().name());
                for (String p : Index.PROPERTIES) {
                    if (set.contains(p)) continue;
                    CompletionItem ci = item(p, CompletionItemKind.Property, "model property", null);
                    ci.setInsertText(p + " = ");
                    items.add(ci);
                }
            }
        }
        names(a, decl, offset, items);
        return items.list();
    }

    /** Ordered and without repeats (the first item of a label wins). */
    private static final class Items {
        final Map<String, CompletionItem> byLabel = new LinkedHashMap<>();
        void add(CompletionItem i) {
            if (byLabel.containsKey(i.getLabel())) return;
            i.setSortText(String.format("%04d", byLabel.size()));
            byLabel.put(i.getLabel(), i);
        }
        List<CompletionItem> list() { return new ArrayList<>(byLabel.values()); }
    }

    static List<Token> tokens(String text) {
        var lexer = SyntaxReader.lexer(new hyenac.dsl.source.SourceFile("", text));
        List<Token> out = new ArrayList<>();
        for (Token t = lexer.nextToken(); t.getType() != Token.EOF; t = lexer.nextToken()) out.add(t);
        return out;
    }

    /** The index of the innermost bracket not closed before the cursor, or -1 at the top level. */
    private static int innermostOpen(List<Token> before) {
        int depth = 0;
        for (int i = before.size() - 1; i >= 0; i--) {
            switch (before.get(i).getType()) {
                case HyenaLexer.RPAREN, HyenaLexer.RBRACK, HyenaLexer.RBRACE -> depth++;
                case HyenaLexer.LPAREN, HyenaLexer.LBRACK, HyenaLexer.LBRACE -> {
                    if (depth == 0) return i;
                    depth--;
                }
                default -> { }
            }
        }
        return -1;
    }

    /** `op name(` opens a declaration's parameters only at the top level, not `op x = f(` in a body. */
    private static boolean isDeclHeader(List<Token> before, int open) {
        return innermostOpen(before.subList(0, open)) < 0;
    }

    /** Argument names already written in the call opened at {@code open}. */
    private static Set<String> given(List<Token> before, int open) {
        Set<String> names = new java.util.HashSet<>();
        int depth = 0;
        for (int i = open + 1; i + 1 < before.size(); i++) {
            int type = before.get(i).getType();
            if (type == HyenaLexer.LPAREN || type == HyenaLexer.LBRACK) depth++;
            if (type == HyenaLexer.RPAREN || type == HyenaLexer.RBRACK) depth--;
            if (depth == 0 && type == HyenaLexer.IDENT && before.get(i + 1).getType() == HyenaLexer.ASSIGN) names.add(before.get(i).getText());
        }
        return names;
    }

    private static boolean startsStatement(Token prev) {
        if (prev == null) return true;
        return switch (prev.getType()) {
            case HyenaLexer.LBRACE, HyenaLexer.RBRACE, HyenaLexer.SEMI, HyenaLexer.RPAREN, HyenaLexer.RBRACK,
                 HyenaLexer.IDENT, HyenaLexer.NUMBER, HyenaLexer.STRING, HyenaLexer.TRUE, HyenaLexer.FALSE -> true;
            default -> false;
        };
    }

    private static Ast.Decl lastDeclBefore(Analysis a, int offset) {
        Ast.Decl last = null;
        if (a.module == null) return null;
        for (Ast.Decl d : a.module.ast().decls()) if (d.span().start() <= offset) last = d;
        return last;
    }

    private static void arguments(Template t, Set<String> given, Items items) {
        for (ParamSpec p : t.params()) {
            if (given.contains(p.name())) continue;
            CompletionItem ci = item(p.name(), CompletionItemKind.Field, p.signature(), paramDoc(t, p));
            ci.setInsertText(p.name() + " = ");
            ci.setLabelDetails(labelDetails(": " + (p.type() == null ? "?" : p.type().spelling) + defaultText(p)));
            items.add(ci);
        }
    }

    private static String defaultText(ParamSpec p) {
        String full = p.signature();
        int eq = full.indexOf(" = ");
        return eq < 0 ? " (required)" : full.substring(eq);
    }

    private static org.eclipse.lsp4j.CompletionItemLabelDetails labelDetails(String detail) {
        var d = new org.eclipse.lsp4j.CompletionItemLabelDetails();
        d.setDetail(detail);
        return d;
    }

    private static String paramDoc(Template t, ParamSpec p) {
        String doc = p.doc() == null || p.doc().isBlank() ? "" : p.doc().strip() + "\n\n";
        return doc + "Parameter of `" + t.name() + "`" + (p.required() ? " (required)." : ".");
    }

    /** Values that fit a parameter of a type: its constants, then names in scope (and operators for `op`). */
    private static void valuesFor(Analysis a, Type type, Ast.Decl decl, int offset, Items items) {
        if (type != null) {
            for (String c : type.constants) items.add(item(c, CompletionItemKind.EnumMember, type.spelling, null));
            if (type == Type.BOOL) for (String b : List.of("true", "false")) items.add(item(b, CompletionItemKind.Keyword, "bool", null));
        }
        if (type == Type.OP || type == null) {
            names(a, decl, offset, items);
            return;
        }
        for (Index.Local l : decl == null ? List.<Index.Local>of() : a.index.visible(decl, offset)) {
            if (l.kind() != Index.LocalKind.OP) items.add(local(l));
        }
    }

    private static void blocks(Analysis a, Items items) {
        if (a.module == null) return;
        for (String name : a.module.templateNames()) {
            a.module.template(name).ifPresent(t -> {
                if (t instanceof Template.Declared d && d.isBlock()) items.add(operator(t));
            });
        }
    }

    /** Names in scope, `width` in operator bodies, then every operator the file can see. */
    private static void names(Analysis a, Ast.Decl decl, int offset, Items items) {
        if (decl != null) {
            for (Index.Local l : a.index.visible(decl, offset)) items.add(local(l));
            if (decl instanceof Ast.OpDecl) items.add(item("width", CompletionItemKind.Property, "int: the model's width", null));
        }
        if (a.module != null) {
            for (String name : a.module.templateNames()) a.module.template(name).ifPresent(t -> items.add(operator(t)));
        }
        for (Type t : List.of(Type.DTYPE, Type.TAPS)) for (String c : t.constants) items.add(item(c, CompletionItemKind.EnumMember, t.spelling, null));
    }

    private static CompletionItem local(Index.Local l) {
        String detail = switch (l.kind()) {
            case PARAM -> ((Ast.Param) l.node()).span().text();
            case INPUT -> "input tensor";
            case LET -> "let " + ((Ast.Let) l.node()).value().span().text();
            case OP -> "op " + ((Ast.OpBind) l.node()).value().span().text();
            case VALUE -> "tensor";
            case PROPERTY -> "model property";
        };
        CompletionItemKind kind = switch (l.kind()) {
            case PARAM, INPUT -> CompletionItemKind.Variable;
            case LET -> CompletionItemKind.Constant;
            case OP -> CompletionItemKind.Function;
            case VALUE -> CompletionItemKind.Variable;
            case PROPERTY -> CompletionItemKind.Property;
        };
        return item(l.def().name(), kind, detail, null);
    }

    private static CompletionItem operator(Template t) {
        StringBuilder md = new StringBuilder();
        Hovers.template(t, md);
        CompletionItem ci = item(t.name(), CompletionItemKind.Function, t.signature(), null);
        ci.setDocumentation(new MarkupContent(MarkupKind.MARKDOWN, md.toString()));
        if (t.params().stream().anyMatch(ParamSpec::required)) {
            // Required arguments become tab stops.
            StringBuilder snippet = new StringBuilder(t.name()).append('(');
            int n = 1;
            for (ParamSpec p : t.params()) {
                if (!p.required() || p.name().equals("mixer")) continue;
                if (n > 1) snippet.append(", ");
                snippet.append(p.name()).append(" = ${").append(n++).append('}');
            }
            snippet.append(")$0");
            ci.setInsertText(snippet.toString());
            ci.setInsertTextFormat(InsertTextFormat.Snippet);
        }
        return ci;
    }

    /** {@code layers[3].} and {@code layers[3].mlp.}: the block's or operator's parameters with their values there. */
    private static void fields(Analysis a, List<Token> before, int offset, Items items) {
        List<String> path = new ArrayList<>();
        int i = before.size() - 1; // the dot
        while (i >= 1 && before.get(i).getType() == HyenaLexer.DOT && before.get(i - 1).getType() == HyenaLexer.IDENT) {
            path.addFirst(before.get(i - 1).getText());
            i -= 2;
        }
        // layers[N] . field . field .
        if (i >= 3 && before.get(i).getType() == HyenaLexer.DOT && before.get(i - 1).getType() == HyenaLexer.RBRACK
                && before.get(i - 2).getType() == HyenaLexer.NUMBER && before.get(i - 3).getType() == HyenaLexer.LBRACK
                && i >= 4 && before.get(i - 4).getText().equals("layers")) {
            long index;
            try {
                index = Long.parseLong(before.get(i - 2).getText().replace("_", ""));
            } catch (NumberFormatException e) {
                return;
            }
            Ast.Decl decl = a.index.declAt(offset).orElse(lastDeclBefore(a, offset));
            if (!(decl instanceof Ast.ModelDecl m)) return;
            Analysis.LayerStat stat = a.layer(m.name().name(), index);
            EvalValue current = stat == null ? null : stat.layer().config();
            for (String f : path) {
                if (!(current instanceof EvalValue.Op op)) return;
                EvalValue.Arg arg = op.args().get(f);
                ParamSpec spec = op.template().param(f).orElse(null);
                current = arg != null ? arg.value() : spec != null ? spec.dflt() : null;
            }
            if (current instanceof EvalValue.Op op) {
                for (ParamSpec p : op.template().params()) {
                    EvalValue.Arg arg = op.args().get(p.name());
                    String now = arg != null ? arg.value().show() : p.dflt() != null ? p.dflt().show() : "default";
                    CompletionItem ci = item(p.name(), CompletionItemKind.Field, p.signature(), paramDoc(op.template(), p));
                    ci.setLabelDetails(labelDetails(" = " + now + " in layer " + index));
                    items.add(ci);
                }
            }
        }
    }

    /** {@code import "…"}: the prelude and the .hyena files beside the document. */
    private static List<CompletionItem> importPaths(Analysis a, Token string, List<Token> all) {
        int i = all.indexOf(string);
        Token prevDefault = null;
        for (int k = i - 1; k >= 0; k--) {
            if (all.get(k).getChannel() == Token.DEFAULT_CHANNEL) { prevDefault = all.get(k); break; }
        }
        if (prevDefault == null || prevDefault.getType() != HyenaLexer.IMPORT) return List.of();
        Items items = new Items();
        items.add(item(ModuleLoader.PRELUDE, CompletionItemKind.Module, "the prelude", null));
        Path self = Uris.path(a.uri);
        if (self != null && self.getParent() != null) {
            try (var files = Files.list(self.getParent())) {
                files.filter(p -> p.getFileName().toString().endsWith(".hyena") && !p.equals(self)).sorted()
                        .limit(200).forEach(p -> items.add(item(p.getFileName().toString(), CompletionItemKind.File, "file", null)));
            } catch (java.io.IOException | RuntimeException e) {
                Log.info("cannot list " + self.getParent() + ": " + e);
            }
        }
        return items.list();
    }

    private static CompletionItem keyword(String k) {
        return item(k, CompletionItemKind.Keyword, "keyword", null);
    }

    private static CompletionItem item(String label, CompletionItemKind kind, String detail, String doc) {
        CompletionItem ci = new CompletionItem(label);
        ci.setKind(kind);
        ci.setDetail(detail);
        if (doc != null) ci.setDocumentation(new MarkupContent(MarkupKind.MARKDOWN, doc));
        return ci;
    }
}
