package hyenac.dsl.format;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.parser.HyenaLexer;
import hyenac.dsl.source.SourceFile;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.antlr.v4.runtime.Token;

/**
 * The one canonical layout of .hyena source: 2-space indentation, one statement per line, imports
 * first, one blank line between declarations, minimal parentheses, no semicolons. Formatting is
 * idempotent and keeps the tree (docs included) and every comment.
 *
 * <p>Elsewhere, runs of blank lines collapse to one and blank lines after an opener or before a closer
 * go. An empty body is {@code {}}. Parameters share the header line unless a comment is attached to
 * the list, then they go one per line, indented by 4 and each followed by a comma. There is no line
 * width: long lines stay long. An empty file stays empty; anything else ends with one newline.
 *
 * <p>The tree has no comments, so they are re-lexed from the source and attached by position to the
 * sequence they sit in (imports and declarations, parameters, statements): a comment starting on the
 * line where an element ends trails it, one after an opening {@code (} or {@code {} on its line trails
 * the opener, any other precedes the next element or, with none left, stays before the closer (or at
 * the end of the file). Comments inside a statement, a parameter or a declaration header are moved
 * before it.
 *
 * <p>{@code ///} comments document what follows them (see the parser's doc rule), so the layout never
 * moves one away from, or next to, a documented element; that is the only reason for the few places
 * below that look at {@code doc}.
 */
public final class Formatter {
    /** Everything {@link SyntaxReader} reports: lexing and syntax problems. */
    private static final Set<Code> SYNTAX = EnumSet.of(Code.HY0001, Code.HY0002, Code.HY0003, Code.HY0004,
            Code.HY0005, Code.HY0006, Code.HY0007);
    private static final int INDENT = 2;
    private static final int PARAM_INDENT = 4;

    /**
     * Parses {@code src} and formats it; empty when the parse reported any error, so a broken file is
     * never rewritten from a partial tree. The parse diagnostics go to {@code sink} either way.
     */
    public static Optional<String> formatIfClean(SourceFile src, Diagnostics sink) {
        Diagnostics parse = new Diagnostics();
        Ast.File ast = SyntaxReader.read(src, parse);
        sink.addAll(parse);
        boolean broken = parse.hasErrors() || parse.all().stream().anyMatch(d -> SYNTAX.contains(d.code()));
        return broken ? Optional.empty() : Optional.of(format(src, ast));
    }

    /**
     * The canonical text of {@code ast}, which must be the error-free parse of {@code src} (use
     * {@link #formatIfClean} otherwise). Ends with one newline unless there is nothing to print.
     *
     * @throws IllegalArgumentException if the tree has parse-error holes
     */
    public static String format(SourceFile src, Ast.File ast) {
        return new Formatter(src).file(ast);
    }

    // ---- comments and where they attach

    /** One comment as printed; {@code blank}: a blank line precedes it. */
    private record Comment(int start, String text, boolean doc, boolean blank) {
        Comment withBlank(boolean b) { return new Comment(start, text, doc, b); }
    }

    /** An element of a sequence with the comments attached to it. */
    private static final class Group<T extends Ast.Node> {
        final T item;
        final List<Comment> leading = new ArrayList<>();
        /** A blank line between the leading comments (or whatever came before) and the item. */
        boolean blank;
        /** Comments inside the item's span, not yet placed. */
        final List<Comment> inner = new ArrayList<>();
        final List<Comment> trailing = new ArrayList<>();
        /** Where the comments of the item's doc start (empty for nodes without docs). */
        final Set<Integer> docStarts;

        Group(T item, boolean blank, Set<Integer> docStarts) {
            this.item = item;
            this.blank = blank;
            this.docStarts = docStarts;
        }
    }

    /** A sequence between an opener and a closer, e.g. statements between braces. */
    private static final class Seq<T extends Ast.Node> {
        final List<Comment> afterOpen = new ArrayList<>();
        final List<Group<T>> groups = new ArrayList<>();
        final List<Comment> dangling = new ArrayList<>();

        boolean hasComments() {
            return !afterOpen.isEmpty() || !dangling.isEmpty() || groups.stream().anyMatch(
                    g -> !g.leading.isEmpty() || !g.inner.isEmpty() || !g.trailing.isEmpty());
        }
    }

    private final List<Token> tokens;
    private final List<Comment> comments = new ArrayList<>();
    /** The text as code points: ANTLR offsets, and so the tree's spans, count code points. */
    private final int[] text;
    private final int[] newlines;
    private final StringBuilder out = new StringBuilder();
    /** Nothing printed yet in the current sequence: blank lines here are dropped ... */
    private boolean fresh = true;
    /** ... unless the opener's line ends in a doc comment, which a blank line keeps from documenting. */
    private boolean freshAfterDoc;
    /** The comments ending the last element line printed (or the opener's line): a doc walk reaches them. */
    private List<Comment> lastTrailing = List.of();

    private Formatter(SourceFile src) {
        text = src.text().chars().toArray(); // UTF-16 units: token offsets count them too
        int n = 0;
        for (int c : text) if (c == '\n') n++;
        newlines = new int[n];
        for (int i = 0, k = 0; i < text.length; i++) if (text[i] == '\n') newlines[k++] = i;

        HyenaLexer lexer = SyntaxReader.lexer(src);
        lexer.removeErrorListeners();
        tokens = new ArrayList<>(lexer.getAllTokens());
        for (Token t : tokens) {
            String s = t.getText();
            switch (t.getType()) {
                case HyenaLexer.LINE_COMMENT -> comments.add(new Comment(t.getStartIndex(), s.stripTrailing(), false, blankBefore(t.getStartIndex())));
                case HyenaLexer.DOC_COMMENT -> comments.add(new Comment(t.getStartIndex(), s.stripTrailing(), true, blankBefore(t.getStartIndex())));
                // Verbatim, but with the output's line ends; an unterminated one is kept rather than lost.
                case HyenaLexer.BLOCK_COMMENT, HyenaLexer.UNTERMINATED_COMMENT ->
                        comments.add(new Comment(t.getStartIndex(), s.replace("\r\n", "\n"), false, blankBefore(t.getStartIndex())));
                default -> { }
            }
        }
    }

    /** 0-based line of a code point offset. */
    private int line(int offset) {
        int lo = 0, hi = newlines.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (newlines[mid] < offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** Whether the whitespace right before {@code offset} holds a blank line. */
    private boolean blankBefore(int offset) {
        int breaks = 0;
        for (int i = offset - 1; i >= 0 && isSpace(text[i]); i--) if (text[i] == '\n') breaks++;
        return breaks >= 2;
    }

    private static boolean isSpace(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }

    /** Index of the first token starting at or after {@code offset}. */
    private int tokenAt(int offset) {
        int lo = 0, hi = tokens.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tokens.get(mid).getStartIndex() < offset) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** Start of the first token of {@code type} on the default channel at or after {@code from}. */
    private int find(int from, int type) {
        for (int k = tokenAt(from); k < tokens.size(); k++) {
            Token t = tokens.get(k);
            if (t.getChannel() == Token.DEFAULT_CHANNEL && t.getType() == type) return t.getStartIndex();
        }
        throw new IllegalArgumentException("format needs an error-free parse: no " + HyenaLexer.VOCABULARY.getDisplayName(type) + " after offset " + from);
    }

    private static List<Comment> within(List<Comment> pool, int from, int to) {
        return pool.stream().filter(c -> c.start() > from && c.start() < to).toList();
    }

    /**
     * Attaches {@code pool} (sorted) to {@code items} (sorted). {@code openEnd} is the offset right after
     * the opener, or -1 at the top level, which has none.
     */
    private <T extends Ast.Node> Seq<T> attach(List<T> items, int openEnd, List<Comment> pool) {
        Seq<T> seq = new Seq<>();
        for (T item : items) {
            int start = item.span().start();
            seq.groups.add(new Group<>(item, blankBefore(start), documented(item) ? docStarts(start) : Set.of()));
        }
        int k = 0;
        for (Comment c : pool) {
            while (k < items.size() && items.get(k).span().end() <= c.start()) k++;
            if (k < items.size() && items.get(k).span().start() <= c.start()) {
                seq.groups.get(k).inner.add(c);
                continue;
            }
            int prevEnd = k > 0 ? items.get(k - 1).span().end() : openEnd;
            if (prevEnd > 0 && line(c.start()) == line(prevEnd - 1)) {
                (k > 0 ? seq.groups.get(k - 1).trailing : seq.afterOpen).add(c);
            } else if (k < items.size()) {
                seq.groups.get(k).leading.add(c);
            } else {
                seq.dangling.add(c);
            }
        }
        // A doc line may trail the element before (`x = 1 /// doc of y`): it goes with the node it documents.
        for (int i = 0; i < seq.groups.size(); i++) {
            Group<T> g = seq.groups.get(i);
            List<Comment> before = i == 0 ? seq.afterOpen : seq.groups.get(i - 1).trailing;
            if (!before.isEmpty() && g.docStarts.contains(before.getLast().start())) {
                g.leading.addFirst(before.removeLast().withBlank(false));
            }
        }
        return seq;
    }

    /**
     * Blank lines so that the {@code ///} lines printed right above a documented item are exactly its
     * doc: walking up from the item as the parser does, a {@code ///} that is not part of the doc (it
     * came before a comma, or was moved out of an expression) is cut off by a blank line.
     * {@code before}: the trailing comments of the line printed before the group.
     */
    private static void keepDoc(Group<?> g, List<Comment> before) {
        if (!documented(g.item)) return;
        boolean blankBelow = g.blank;
        for (int i = g.leading.size() - 1; i >= -1 && !blankBelow; i--) {
            Comment above = i >= 0 ? g.leading.get(i) : before.isEmpty() ? null : before.getLast();
            if (above == null || !above.doc()) return;
            if (!g.docStarts.contains(above.start())) {
                if (i + 1 < g.leading.size()) g.leading.set(i + 1, g.leading.get(i + 1).withBlank(true));
                else g.blank = true;
                return;
            }
            if (i >= 0) blankBelow = above.blank();
        }
    }

    /**
     * Starts of the comments that form the doc of the node starting at {@code offset}: as the parser
     * reads it, the {@code ///} lines right before it, through whitespace with at most one line break.
     */
    private Set<Integer> docStarts(int offset) {
        Set<Integer> starts = new HashSet<>();
        for (int k = tokenAt(offset) - 1; k >= 0; k--) {
            Token t = tokens.get(k);
            if (t.getType() == HyenaLexer.DOC_COMMENT) starts.add(t.getStartIndex());
            else if (t.getType() != HyenaLexer.WS || t.getText().chars().filter(c -> c == '\n').count() > 1) break;
        }
        return starts;
    }

    /** Nodes that the parser gives a doc from the {@code ///} lines right above them. */
    private static boolean documented(Ast.Node n) {
        return n instanceof Ast.Decl || n instanceof Ast.Param || n instanceof Ast.Let
                || n instanceof Ast.OpBind || n instanceof Ast.Assign;
    }

    /**
     * Moves the comments inside {@code g}'s item right above it, before its doc lines (which must stay
     * next to it), taking over the blank line that preceded what they now precede.
     */
    private static void hoist(Group<?> g, List<Comment> moved) {
        if (moved.isEmpty()) return;
        int at = g.leading.size();
        while (at > 0 && g.docStarts.contains(g.leading.get(at - 1).start())) at--;
        boolean blank = at < g.leading.size() ? g.leading.get(at).blank() : g.blank;
        if (at < g.leading.size()) g.leading.set(at, g.leading.get(at).withBlank(false));
        else g.blank = false;
        List<Comment> tight = new ArrayList<>(moved.stream().map(c -> c.withBlank(false)).toList());
        tight.set(0, tight.getFirst().withBlank(blank));
        g.leading.addAll(at, tight);
    }

    // ---- printing: layout

    private String file(Ast.File ast) {
        List<Ast.Node> items = new ArrayList<>(ast.imports());
        items.addAll(ast.decls());
        items.sort(Comparator.comparingInt(n -> n.span().start()));
        Seq<Ast.Node> seq = attach(items, -1, comments);
        // Imports first, each kind in source order (sort is stable).
        List<Group<Ast.Node>> ordered = new ArrayList<>(seq.groups);
        ordered.sort(Comparator.comparingInt(g -> g.item instanceof Ast.Import ? 0 : 1));
        Ast.Node prev = null;
        for (Group<Ast.Node> g : ordered) {
            // A blank line around every declaration; between imports only where the source had one.
            boolean separate = prev instanceof Ast.Decl || g.item instanceof Ast.Decl;
            switch (g.item) {
                case Ast.Import i -> {
                    hoist(g, g.inner);
                    group(g, 0, separate, x -> out.append("import ").append(quote(i.path())));
                }
                case Ast.OpDecl d -> opDecl(g, d, separate);
                case Ast.ModelDecl m -> modelDecl(g, m, separate);
                default -> throw new IllegalStateException("not a top-level node: " + g.item);
            }
            prev = g.item;
        }
        dangling(seq.dangling, 0);
        return out.toString();
    }

    private void opDecl(Group<Ast.Node> g, Ast.OpDecl d, boolean separate) {
        int lparen = find(d.name().span().end(), HyenaLexer.LPAREN);
        int rparen = find(d.params().isEmpty() ? lparen + 1 : d.params().getLast().span().end(), HyenaLexer.RPAREN);
        int lbrace = find(rparen + 1, HyenaLexer.LBRACE);
        int rbrace = d.span().end() - 1;
        Seq<Ast.Param> params = attach(d.params(), lparen + 1, within(g.inner, lparen, rparen));
        Seq<Ast.Stmt> body = attach(d.body(), lbrace + 1, within(g.inner, lbrace, rbrace));
        hoist(g, g.inner.stream().filter(c -> !(c.start() > lparen && c.start() < rparen)
                && !(c.start() > lbrace && c.start() < rbrace)).toList());
        boolean tall = params.hasComments();

        group(g, 0, separate, x -> {
            out.append(d.kind() == Ast.OpKind.BLOCK ? "block " : "op ").append(name(d.name())).append('(');
            if (!tall) {
                for (int i = 0; i < d.params().size(); i++) {
                    if (i > 0) out.append(", ");
                    param(d.params().get(i));
                }
            } else {
                // One per line, each with a comma, so every parameter line looks alike.
                sequence(params, PARAM_INDENT, p -> { param(p); out.append(','); });
                lineStart(false, 0);
            }
            out.append(") (");
            for (int i = 0; i < d.inputs().size(); i++) {
                if (i > 0) out.append(", ");
                out.append(name(d.inputs().get(i)));
            }
            out.append(") ");
            body(body);
        });
    }

    private void modelDecl(Group<Ast.Node> g, Ast.ModelDecl m, boolean separate) {
        int lbrace = find(m.name().span().end(), HyenaLexer.LBRACE);
        int rbrace = m.span().end() - 1;
        Seq<Ast.Stmt> body = attach(m.body(), lbrace + 1, within(g.inner, lbrace, rbrace));
        hoist(g, g.inner.stream().filter(c -> !(c.start() > lbrace && c.start() < rbrace)).toList());
        group(g, 0, separate, x -> {
            out.append("model ").append(name(m.name())).append(' ');
            body(body);
        });
    }

    private void body(Seq<Ast.Stmt> body) {
        if (body.groups.isEmpty() && !body.hasComments()) {
            out.append("{}");
            return;
        }
        out.append('{');
        sequence(body, INDENT, this::stmt);
        lineStart(false, 0);
        out.append('}');
    }

    /**
     * The rest of the opener's line, then the elements one per line at {@code indent}, then the
     * comments before the closer. Leaves the output at the start of the closer's line.
     */
    private <T extends Ast.Node> void sequence(Seq<T> seq, int indent, Consumer<T> item) {
        for (Group<T> g : seq.groups) {
            hoist(g, g.inner);
            g.inner.clear();
        }
        for (Comment c : seq.afterOpen) out.append(' ').append(c.text());
        out.append('\n');
        fresh = true;
        freshAfterDoc = !seq.afterOpen.isEmpty() && seq.afterOpen.getLast().doc();
        lastTrailing = seq.afterOpen;
        for (Group<T> g : seq.groups) group(g, indent, false, item);
        dangling(seq.dangling, indent);
    }

    /** Leading comments, the item (printed by {@code item}, without its newline), trailing comments. */
    private <T extends Ast.Node> void group(Group<T> g, int indent, boolean separate, Consumer<T> item) {
        keepDoc(g, lastTrailing);
        boolean first = true;
        for (Comment c : g.leading) {
            lineStart(c.blank() || first && separate, indent);
            out.append(c.text()).append('\n');
            first = false;
        }
        lineStart(g.blank || first && separate, indent);
        item.accept(g.item);
        for (Comment c : g.trailing) out.append(' ').append(c.text());
        out.append('\n');
        lastTrailing = g.trailing;
    }

    private void dangling(List<Comment> list, int indent) {
        for (Comment c : list) {
            lineStart(c.blank(), indent);
            out.append(c.text()).append('\n');
        }
    }

    /** Starts a line, after a blank one if wanted and allowed (not first in a sequence, see {@link #fresh}). */
    private void lineStart(boolean blank, int indent) {
        if (blank && (!fresh || freshAfterDoc)) out.append('\n');
        fresh = false;
        out.repeat(' ', indent);
    }

    // ---- printing: one line

    private void param(Ast.Param p) {
        out.append(name(p.name())).append(": ").append(name(p.type()));
        if (p.dflt() != null) {
            out.append(" = ");
            expr(p.dflt());
        }
    }

    private void stmt(Ast.Stmt s) {
        switch (s) {
            case Ast.Let l -> { out.append("let ").append(name(l.name())).append(" = "); expr(l.value()); }
            case Ast.OpBind o -> { out.append("op ").append(name(o.name())).append(" = "); expr(o.value()); }
            case Ast.Out o -> { out.append("out "); expr(o.value()); }
            case Ast.Assign a -> {
                for (int i = 0; i < a.targets().size(); i++) {
                    if (i > 0) out.append(", ");
                    target(a.targets().get(i));
                }
                out.append(" = ");
                expr(a.value());
            }
        }
    }

    private void target(Ast.Target t) {
        out.append(name(t.root()));
        for (Ast.Selector s : t.selectors()) {
            switch (s) {
                case Ast.Index i -> { out.append('['); expr(i.index()); out.append(']'); }
                case Ast.Field f -> out.append('.').append(name(f.name()));
            }
        }
    }

    private void expr(Ast.Expr e) {
        switch (e) {
            case Ast.Num n -> out.append(n.text());
            case Ast.Str s -> out.append(quote(s.value()));
            case Ast.Bool b -> out.append(b.value());
            case Ast.Name n -> out.append(name(n.ident()));
            case Ast.Call c -> {
                out.append(name(c.callee())).append('(');
                for (int i = 0; i < c.args().size(); i++) {
                    if (i > 0) out.append(", ");
                    Ast.Arg a = c.args().get(i);
                    if (a.name() != null) out.append(name(a.name())).append(" = ");
                    expr(a.value());
                }
                out.append(')');
            }
            case Ast.Neg n -> {
                // Unary minus binds tightest: only a binary operand needs parentheses.
                out.append('-');
                operand(n.operand(), n.operand() instanceof Ast.Binary);
            }
            case Ast.Binary b -> {
                // Left-associative: a left operand needs parentheses only if it binds looser, a right one
                // also at equal precedence (a - (b - c)).
                int p = b.op().precedence;
                operand(b.left(), b.left() instanceof Ast.Binary l && l.op().precedence < p);
                out.append(' ').append(b.op().symbol).append(' ');
                operand(b.right(), b.right() instanceof Ast.Binary r && r.op().precedence <= p);
            }
            case Ast.ListLit l -> {
                out.append('[');
                for (int i = 0; i < l.items().size(); i++) {
                    if (i > 0) out.append(", ");
                    expr(l.items().get(i));
                }
                out.append(']');
            }
            case Ast.Error x -> throw new IllegalArgumentException("format needs an error-free parse: missing expression at " + x.span());
        }
    }

    private void operand(Ast.Expr e, boolean parens) {
        if (parens) out.append('(');
        expr(e);
        if (parens) out.append(')');
    }

    private static String name(Ast.Ident id) {
        if (id.missing()) throw new IllegalArgumentException("format needs an error-free parse: missing name at " + id.span());
        return id.name();
    }

    /** A string literal with the escapes the lexer knows. */
    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
