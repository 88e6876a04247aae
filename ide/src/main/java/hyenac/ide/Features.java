package hyenac.ide;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.check.ModuleLoader;
import hyenac.dsl.check.Primitive;
import hyenac.dsl.check.Template;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.format.Formatter;
import hyenac.dsl.parser.HyenaLexer;
import hyenac.dsl.source.Span;
import hyenac.explain.Explain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.antlr.v4.runtime.Token;
import org.eclipse.lsp4j.CodeAction;
import org.eclipse.lsp4j.CodeActionKind;
import org.eclipse.lsp4j.Diagnostic;
import org.eclipse.lsp4j.DiagnosticRelatedInformation;
import org.eclipse.lsp4j.DiagnosticSeverity;
import org.eclipse.lsp4j.DiagnosticTag;
import org.eclipse.lsp4j.DocumentSymbol;
import org.eclipse.lsp4j.FoldingRange;
import org.eclipse.lsp4j.FoldingRangeKind;
import org.eclipse.lsp4j.InlayHint;
import org.eclipse.lsp4j.InlayHintKind;
import org.eclipse.lsp4j.Location;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;
import org.eclipse.lsp4j.SemanticTokens;
import org.eclipse.lsp4j.SemanticTokensLegend;
import org.eclipse.lsp4j.SymbolKind;
import org.eclipse.lsp4j.TextEdit;
import org.eclipse.lsp4j.WorkspaceEdit;

/** The smaller features, each a function of one analysis. */
final class Features {
    private Features() {}

    static final String SOURCE = "hyenac";

    // ---------------------------------------------------------------- diagnostics

    /** The front end's diagnostics as LSP diagnostics of this document, every range inside it. */
    static List<Diagnostic> diagnostics(Analysis a) {
        List<Diagnostic> out = new ArrayList<>();
        Map<hyenac.dsl.source.SourceFile, LineMap> otherLines = new java.util.IdentityHashMap<>();
        for (hyenac.dsl.diag.Diagnostic d : a.result.diagnostics().all()) {
            Diagnostic lsp = new Diagnostic();
            lsp.setSource(SOURCE);
            lsp.setCode(d.code().name());
            lsp.setSeverity(switch (d.severity()) {
                case ERROR -> DiagnosticSeverity.Error;
                case WARNING -> DiagnosticSeverity.Warning;
                case NOTE -> DiagnosticSeverity.Information;
            });
            if (d.code() == Code.HY0208) lsp.setTags(List.of(DiagnosticTag.Unnecessary));
            StringBuilder message = new StringBuilder(d.message());
            List<DiagnosticRelatedInformation> related = new ArrayList<>();
            if (d.span().file() == a.source) {
                lsp.setRange(a.lines.range(d.span().start(), d.span().end()));
            } else {
                // A problem inside an imported file: shown on the import that brought it in, linked to the place.
                lsp.setRange(importRange(a, d.span().file().name()));
                message.insert(0, "in " + d.span().file().name() + ":" + d.span().line() + ":" + d.span().column() + ": ");
                Location at = location(a, d.span(), otherLines);
                if (at != null) related.add(new DiagnosticRelatedInformation(at, d.message()));
            }
            for (hyenac.dsl.diag.Diagnostic.Note n : d.notes()) {
                Location at = n.span() == null ? null : location(a, n.span(), otherLines);
                if (at != null) related.add(new DiagnosticRelatedInformation(at, n.message()));
                else message.append("\nnote: ").append(n.message());
            }
            if (d.fix() != null) message.append("\n").append(d.fix().title());
            lsp.setMessage(message.toString());
            if (!related.isEmpty()) lsp.setRelatedInformation(related);
            out.add(lsp);
        }
        int dropped = a.result.diagnostics().dropped();
        if (dropped > 0) {
            Diagnostic more = new Diagnostic(a.lines.range(0, 0), dropped + " more diagnostics not shown", DiagnosticSeverity.Information, SOURCE);
            out.add(more);
        }
        return out;
    }

    private static Location location(Analysis a, Span span, Map<hyenac.dsl.source.SourceFile, LineMap> cache) {
        String uri = a.uriOf(span);
        if (uri == null) return null;
        LineMap lm = span.file() == a.source ? a.lines : cache.computeIfAbsent(span.file(), f -> new LineMap(f.text()));
        return new Location(uri, lm.range(span.start(), span.end()));
    }

    /** The import statement that leads to a file, or the document's start. */
    private static Range importRange(Analysis a, String fileName) {
        if (a.module != null) {
            Path dir = Uris.path(a.uri) == null ? null : Uris.path(a.uri).getParent();
            for (Ast.Import imp : a.module.ast().imports()) {
                Path target = importTarget(dir, imp.path());
                if (target != null && target.toString().equals(fileName)) return a.lines.range(imp.span().start(), imp.span().end());
            }
            if (!a.module.ast().imports().isEmpty()) {
                Ast.Import first = a.module.ast().imports().getFirst();
                return a.lines.range(first.span().start(), first.span().end());
            }
        }
        return a.lines.range(0, 0);
    }

    /** Where an import points, by the front end's rule (relative to the file, ".hyena" optional). */
    static Path importTarget(Path dir, String path) {
        if (path.equals(ModuleLoader.PRELUDE)) return Uris.prelude();
        try {
            Path base = dir != null ? dir : Path.of("").toAbsolutePath();
            Path target = base.resolve(path).normalize();
            if (!Files.isRegularFile(target) && Files.isRegularFile(Path.of(target + ".hyena"))) target = Path.of(target + ".hyena");
            return target;
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- navigation

    static List<Location> definition(Analysis a, int offset) {
        if (a.module != null) {
            for (Ast.Import imp : a.module.ast().imports()) {
                if (imp.pathSpan().contains(offset)) {
                    Path dir = Uris.path(a.uri) == null ? null : Uris.path(a.uri).getParent();
                    Path target = importTarget(dir, imp.path());
                    if (target != null && Files.isRegularFile(target)) return List.of(new Location(Uris.uri(target), new Range(new Position(0, 0), new Position(0, 0))));
                    return List.of();
                }
            }
        }
        var occ = a.index.at(offset);
        if (occ.isEmpty()) return List.of();
        Span span = switch (occ.get().target()) {
            case Index.Local l -> l.def().span();
            case Index.Operator op -> op.template().span();
            case Index.Param p -> p.param().span();
            default -> null;
        };
        if (occ.get().role() == Index.Role.FIELD) span = fieldDefinition(a, occ.get());
        if (span == null) return List.of();
        Location loc = location(a, span, new HashMap<>());
        return loc == null ? List.of() : List.of(loc);
    }

    /** {@code layers[0].mlp.act}: `mlp` is a parameter of the block, `act` one of the mlp's operator. */
    private static Span fieldDefinition(Analysis a, Index.Occurrence o) {
        Ast.Target t = a.index.fieldTargets.get(o.ident());
        if (t == null || !(o.decl() instanceof Ast.ModelDecl m)) return null;
        Analysis.LayerStat stat = null;
        if (t.selectors().getFirst() instanceof Ast.Index ix && ix.index() instanceof Ast.Num n) {
            try {
                stat = a.layer(m.name().name(), Long.parseLong(n.text().replace("_", "")));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (stat == null) return null;
        hyenac.dsl.check.EvalValue current = stat.layer().config();
        for (Ast.Selector sel : t.selectors().subList(1, t.selectors().size())) {
            if (!(sel instanceof Ast.Field f) || !(current instanceof hyenac.dsl.check.EvalValue.Op op)) return null;
            var spec = op.template().param(f.name().name());
            if (f.name() == o.ident()) return spec.map(hyenac.dsl.check.ParamSpec::span).orElse(null);
            var arg = op.args().get(f.name().name());
            current = arg != null ? arg.value() : spec.map(hyenac.dsl.check.ParamSpec::dflt).orElse(null);
        }
        return null;
    }

    static List<DocumentSymbol> symbols(Analysis a) {
        List<DocumentSymbol> out = new ArrayList<>();
        if (a.module == null) return out;
        for (Ast.Decl d : a.module.ast().decls()) {
            if (d.name().missing()) continue;
            List<DocumentSymbol> children = new ArrayList<>();
            String detail;
            SymbolKind kind;
            switch (d) {
                case Ast.OpDecl op -> {
                    kind = op.kind() == Ast.OpKind.BLOCK ? SymbolKind.Class : SymbolKind.Function;
                    Template t = a.module.declared().get(op.name().name());
                    detail = t != null ? t.signature() : (op.kind() == Ast.OpKind.BLOCK ? "block" : "op");
                    for (Ast.Param p : op.params()) {
                        if (!p.name().missing()) children.add(symbol(a, p.name().name(), p.type().name(), SymbolKind.TypeParameter, p.span(), p.name().span(), List.of()));
                    }
                    statements(a, op.body(), children, true);
                }
                case Ast.ModelDecl m -> {
                    kind = SymbolKind.Module;
                    Analysis.Report r = a.reports.get(m.name().name());
                    detail = r == null ? "model" : "model · " + r.model().layers().size() + " layers · " + Numbers.shortCount(r.parameters()) + " params";
                    statements(a, m.body(), children, false);
                }
            }
            out.add(symbol(a, d.name().name(), detail, kind, d.span(), d.name().span(), children));
        }
        return out;
    }

    private static void statements(Analysis a, List<Ast.Stmt> body, List<DocumentSymbol> out, boolean inOp) {
        for (Ast.Stmt s : body) {
            switch (s) {
                case Ast.Let let -> { if (!let.name().missing()) out.add(symbol(a, let.name().name(), let.value().span().text(), SymbolKind.Constant, s.span(), let.name().span(), List.of())); }
                case Ast.OpBind ob -> { if (!ob.name().missing()) out.add(symbol(a, ob.name().name(), ob.value().span().text(), SymbolKind.Object, s.span(), ob.name().span(), List.of())); }
                case Ast.Out o -> { }
                case Ast.Assign as -> {
                    if (inOp) continue;
                    Ast.Target t = as.targets().getFirst();
                    if (t.root().missing()) continue;
                    String name = t.span().text();
                    out.add(symbol(a, name, as.value().span().text(), SymbolKind.Property, s.span(), t.span(), List.of()));
                }
            }
        }
    }

    private static DocumentSymbol symbol(Analysis a, String name, String detail, SymbolKind kind, Span whole, Span sel, List<DocumentSymbol> children) {
        Range full = a.lines.range(whole.start(), whole.end());
        Range selection = a.lines.range(Math.max(whole.start(), sel.start()), Math.min(whole.end(), Math.max(sel.end(), sel.start())));
        String shortDetail = detail == null ? null : detail.length() > 80 ? detail.substring(0, 77) + "..." : detail.replace('\n', ' ');
        DocumentSymbol ds = new DocumentSymbol(name.isEmpty() ? "?" : name, kind, full, selection, shortDetail);
        ds.setChildren(children);
        return ds;
    }

    static List<FoldingRange> folding(Analysis a) {
        List<FoldingRange> out = new ArrayList<>();
        List<Token> tokens = Completions.tokens(a.text());
        java.util.ArrayDeque<Token> open = new java.util.ArrayDeque<>();
        int commentStart = -1, commentEnd = -1;
        for (Token t : tokens) {
            int type = t.getType();
            switch (type) {
                case HyenaLexer.LBRACE, HyenaLexer.LBRACK, HyenaLexer.LPAREN -> open.push(t);
                case HyenaLexer.RBRACE, HyenaLexer.RBRACK, HyenaLexer.RPAREN -> {
                    if (!open.isEmpty()) {
                        Token o = open.pop();
                        int l1 = a.lines.line(o.getStartIndex()), l2 = a.lines.line(t.getStartIndex());
                        // Up to the line before the closer, so the closer stays visible.
                        if (l2 - 1 > l1) out.add(new FoldingRange(l1, l2 - 1));
                    }
                }
                case HyenaLexer.BLOCK_COMMENT, HyenaLexer.UNTERMINATED_COMMENT -> {
                    int l1 = a.lines.line(t.getStartIndex()), l2 = a.lines.line(t.getStopIndex());
                    if (l2 > l1) out.add(comment(l1, l2));
                }
                default -> { }
            }
            boolean lineComment = type == HyenaLexer.LINE_COMMENT || type == HyenaLexer.DOC_COMMENT;
            if (lineComment) {
                int line = a.lines.line(t.getStartIndex());
                boolean startsLine = a.text().substring(a.lines.lineStart(line), t.getStartIndex()).isBlank();
                if (startsLine && commentEnd == line - 1) commentEnd = line;
                else if (startsLine) {
                    if (commentEnd > commentStart) out.add(comment(commentStart, commentEnd));
                    commentStart = commentEnd = line;
                }
            } else if (type != HyenaLexer.WS && t.getChannel() == Token.DEFAULT_CHANNEL && commentStart >= 0) {
                if (commentEnd > commentStart) out.add(comment(commentStart, commentEnd));
                commentStart = commentEnd = -1;
            }
        }
        if (commentStart >= 0 && commentEnd > commentStart) out.add(comment(commentStart, commentEnd));
        int imports = -1, lastImport = -1;
        if (a.module != null && a.module.ast().imports().size() > 1) {
            imports = a.lines.line(a.module.ast().imports().getFirst().span().start());
            lastImport = a.lines.line(a.module.ast().imports().getLast().span().start());
            if (lastImport > imports) {
                FoldingRange r = new FoldingRange(imports, lastImport);
                r.setKind(FoldingRangeKind.Imports);
                out.add(r);
            }
        }
        return out;
    }

    private static FoldingRange comment(int from, int to) {
        FoldingRange r = new FoldingRange(from, to);
        r.setKind(FoldingRangeKind.Comment);
        return r;
    }

    // ---------------------------------------------------------------- edits

    /** The canonical printer's text as one edit; nothing when the file has syntax errors or is already canonical. */
    static List<TextEdit> format(Analysis a) {
        Optional<String> formatted = Formatter.formatIfClean(new hyenac.dsl.source.SourceFile(a.source.name(), a.text()), new Diagnostics());
        if (formatted.isEmpty() || formatted.get().equals(a.text())) return List.of();
        return List.of(new TextEdit(new Range(new Position(0, 0), a.lines.end()), formatted.get()));
    }

    /** Quick fixes: each diagnostic's did-you-mean fix that touches the requested range. */
    static List<CodeAction> codeActions(Analysis a, Range range) {
        List<CodeAction> out = new ArrayList<>();
        int from = a.lines.offset(range.getStart()), to = a.lines.offset(range.getEnd());
        List<Diagnostic> lsp = diagnostics(a);
        List<hyenac.dsl.diag.Diagnostic> all = a.result.diagnostics().all();
        for (int i = 0; i < all.size(); i++) {
            hyenac.dsl.diag.Diagnostic d = all.get(i);
            if (d.fix() == null || d.fix().span().file() != a.source) continue;
            if (d.span().file() != a.source || d.span().end() < from || d.span().start() > to) continue;
            CodeAction ca = new CodeAction(d.fix().title().replace("did you mean", "Change to").replace("?", ""));
            ca.setKind(CodeActionKind.QuickFix);
            ca.setDiagnostics(List.of(lsp.get(i)));
            ca.setIsPreferred(true);
            TextEdit edit = new TextEdit(a.lines.range(d.fix().span().start(), d.fix().span().end()), d.fix().replacement());
            ca.setEdit(new WorkspaceEdit(Map.of(a.uri, List.of(edit))));
            out.add(ca);
        }
        return out;
    }

    // ---------------------------------------------------------------- semantic tokens

    static final List<String> TOKEN_TYPES = List.of("keyword", "comment", "string", "number", "operator", "function",
            "class", "parameter", "variable", "property", "type", "enumMember");
    static final List<String> TOKEN_MODIFIERS = List.of("declaration", "readonly", "defaultLibrary", "documentation");

    static SemanticTokensLegend legend() { return new SemanticTokensLegend(TOKEN_TYPES, TOKEN_MODIFIERS); }

    static SemanticTokens semanticTokens(Analysis a) {
        Map<Integer, Index.Occurrence> byStart = new HashMap<>();
        for (Index.Occurrence o : a.index.occurrences) byStart.putIfAbsent(o.start(), o);
        List<int[]> toks = new ArrayList<>(); // start, length, type, modifiers
        for (Token t : Completions.tokens(a.text())) {
            int start = t.getStartIndex(), end = t.getStopIndex() + 1;
            int type = -1, mods = 0;
            Index.Occurrence named = byStart.get(start);
            // Keywords that name things: `block = parallel` sets a property, `mixer: op` declares a type.
            boolean naming = t.getType() == HyenaLexer.BLOCK || t.getType() == HyenaLexer.OP;
            int kind = naming && named != null ? HyenaLexer.IDENT : t.getType();
            switch (kind) {
                case HyenaLexer.IMPORT, HyenaLexer.OP, HyenaLexer.BLOCK, HyenaLexer.MODEL, HyenaLexer.LET, HyenaLexer.OUT,
                     HyenaLexer.TRUE, HyenaLexer.FALSE -> type = 0;
                case HyenaLexer.LINE_COMMENT, HyenaLexer.BLOCK_COMMENT, HyenaLexer.UNTERMINATED_COMMENT -> type = 1;
                case HyenaLexer.DOC_COMMENT -> { type = 1; mods = bit("documentation"); }
                case HyenaLexer.STRING, HyenaLexer.UNTERMINATED_STRING -> type = 2;
                case HyenaLexer.NUMBER -> type = 3;
                case HyenaLexer.PLUS, HyenaLexer.MINUS, HyenaLexer.STAR, HyenaLexer.SLASH, HyenaLexer.PERCENT, HyenaLexer.ASSIGN -> type = 4;
                case HyenaLexer.IDENT -> {
                    if (named != null) {
                        int[] tm = classify(named);
                        type = tm[0];
                        mods = tm[1];
                    }
                }
                default -> { }
            }
            if (type < 0 || end <= start) continue;
            // One token per line: clients need not support multi-line tokens.
            for (int s = start; s < end; ) {
                int line = a.lines.line(s);
                int e = Math.min(end, a.lines.lineEnd(line));
                if (e > s) toks.add(new int[] {s, e - s, type, mods});
                if (line + 1 >= a.lines.lineCount()) break;
                s = a.lines.lineStart(line + 1);
            }
        }
        List<Integer> data = new ArrayList<>(toks.size() * 5);
        int prevLine = 0, prevChar = 0;
        for (int[] t : toks) {
            Position p = a.lines.position(t[0]);
            int dl = p.getLine() - prevLine;
            int dc = dl == 0 ? p.getCharacter() - prevChar : p.getCharacter();
            data.add(dl);
            data.add(dc);
            data.add(t[1]);
            data.add(t[2]);
            data.add(t[3]);
            prevLine = p.getLine();
            prevChar = p.getCharacter();
        }
        return new SemanticTokens(data);
    }

    private static int bit(String modifier) { return 1 << TOKEN_MODIFIERS.indexOf(modifier); }

    private static int[] classify(Index.Occurrence o) {
        int decl = bit("declaration");
        return switch (o.role()) {
            case OP_DECL -> new int[] {5, decl};
            case MODEL_DECL -> new int[] {6, decl};
            case PARAM_DECL, INPUT_DECL -> new int[] {7, decl};
            case PARAM_TYPE -> new int[] {10, 0};
            case PROPERTY_SET -> new int[] {9, decl};
            case ARG_NAME -> new int[] {7, 0};
            case FIELD -> new int[] {9, 0};
            case LOCAL_DECL -> new int[] {8, decl | (o.target() instanceof Index.Local l && l.kind() == Index.LocalKind.LET ? bit("readonly") : 0)};
            case IMPORT_PATH -> new int[] {2, 0};
            case CALLEE, NAME -> switch (o.target()) {
                case Index.Operator op -> new int[] {5, library(op.template()) ? bit("defaultLibrary") : 0};
                case Index.Local l -> switch (l.kind()) {
                    case PARAM, INPUT -> new int[] {7, 0};
                    case LET -> new int[] {8, bit("readonly")};
                    case PROPERTY -> new int[] {9, 0};
                    case OP, VALUE -> new int[] {8, 0};
                };
                case Index.Constant c -> new int[] {11, 0};
                case Index.Ambient amb -> new int[] {9, bit("defaultLibrary")};
                default -> new int[] {8, 0};
            };
        };
    }

    private static boolean library(Template t) {
        return t instanceof Primitive || (t instanceof Template.Declared d && d.module().isLibrary());
    }

    // ---------------------------------------------------------------- inlay hints

    /**
     * Per-layer numbers at the end of each line that configures a mixer ({@code op se = hyena_se(…)}):
     * how many layers use it and explain's parameter count per layer; the model's total after its name.
     */
    static List<InlayHint> inlayHints(Analysis a, Range range) {
        List<InlayHint> out = new ArrayList<>();
        if (a.module == null) return out;
        int from = a.lines.offset(range.getStart()), to = a.lines.offset(range.getEnd());
        for (Ast.ModelDecl m : a.module.models()) {
            Analysis.Report r = a.reports.get(m.name().name());
            if (r == null) continue;
            hint(a, out, from, to, m.name().span().end(), Numbers.shortCount(r.parameters()) + " params · " + r.model().layers().size() + " layers",
                    Numbers.exact(r.parameters()) + " parameters, " + Numbers.flops(r.flopsPerToken()) + " per token at context " + Numbers.exact(r.context()));
            for (Ast.Stmt s : m.body()) {
                List<Analysis.LayerStat> stats = switch (s) {
                    case Ast.OpBind ob -> a.layersConfiguredAt(ob.value().span());
                    case Ast.Assign as when as.targets().size() == 1 && !as.targets().getFirst().isPlainName()
                            && as.targets().getFirst().selectors().getFirst() instanceof Ast.Index ix && ix.index() instanceof Ast.Num n -> {
                        Analysis.LayerStat one = null;
                        try {
                            one = a.layer(m.name().name(), Long.parseLong(n.text().replace("_", "")));
                        } catch (NumberFormatException e) {
                            // not a plain index
                        }
                        yield one == null ? List.of() : List.of(one);
                    }
                    default -> List.of();
                };
                if (stats.isEmpty()) continue;
                long[] params = stats.stream().mapToLong(st -> st.row().parameters()).toArray();
                String label = (stats.size() == 1 ? "layer " + stats.getFirst().layer().index() + ": " : stats.size() + " layers × ")
                        + Hovers.range(params, false) + " params";
                String tip = "layers " + stats.stream().map(st -> Integer.toString(st.layer().index())).collect(java.util.stream.Collectors.joining(", "))
                        + "\nper layer: " + Hovers.range(params, true) + " parameters, "
                        + Numbers.flops(stats.getFirst().row().flopsPerToken()) + " per token";
                int line = a.lines.line(s.span().end());
                hint(a, out, from, to, a.lines.lineEnd(line), label, tip);
            }
        }
        return out;
    }

    private static void hint(Analysis a, List<InlayHint> out, int from, int to, int at, String label, String tooltip) {
        if (at < from || at > to) return;
        InlayHint h = new InlayHint(a.lines.position(at), org.eclipse.lsp4j.jsonrpc.messages.Either.forLeft(label));
        h.setKind(InlayHintKind.Type);
        h.setPaddingLeft(true);
        h.setTooltip(tooltip);
        out.add(h);
    }
}
