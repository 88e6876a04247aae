package hyenac.dsl.parse;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parser.HyenaLexer;
import hyenac.dsl.parser.HyenaParser;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.util.List;
import org.antlr.v4.runtime.BaseErrorListener;
import java.nio.CharBuffer;
import org.antlr.v4.runtime.CodePointBuffer;
import org.antlr.v4.runtime.CodePointCharStream;
import org.antlr.v4.runtime.CommonToken;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;

/**
 * Text to AST. Never throws on user input: lexical and syntax problems become diagnostics and the
 * tree keeps whatever could be recovered.
 */
public final class SyntaxReader {
    /** Larger files are refused: a model spec is a screenful, not megabytes. */
    public static final int MAX_CHARS = 4 << 20;
    /** Brackets nested deeper than this are refused before parsing (the parser recurses per level). */
    public static final int MAX_NESTING = 200;

    private SyntaxReader() {}

    public static Ast.File read(SourceFile file, Diagnostics diags) {
        Span whole = new Span(file, 0, file.text().length());
        Ast.File empty = new Ast.File(whole, List.of(), List.of());
        if (file.text().length() > MAX_CHARS) {
            diags.report(Code.HY0006, Span.at(file, 0), file.text().length(), MAX_CHARS);
            return empty;
        }
        HyenaLexer lexer = lexer(file);
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        checkTokens(file, tokens.getTokens(), diags);
        if (!checkNesting(file, tokens.getTokens(), diags)) return empty;

        HyenaParser parser = new HyenaParser(tokens);
        parser.removeErrorListeners();
        parser.addErrorListener(new SyntaxErrors(file, diags));
        try {
            HyenaParser.FileContext tree = parser.file();
            return new AstBuilder(file, tokens, diags).file(tree);
        } catch (StackOverflowError e) {
            diags.report(Code.HY0005, Span.at(file, 0), MAX_NESTING);
            return empty;
        }
    }

    /**
     * A lexer that indexes by UTF-16 code units, as SourceFile and editor protocols do (ANTLR's
     * default counts code points, which shifts every span after a character outside the BMP).
     */
    public static HyenaLexer lexer(SourceFile file) {
        HyenaLexer lexer = new HyenaLexer(CodePointCharStream.fromBuffer(
                CodePointBuffer.withChars(CharBuffer.wrap(file.text().toCharArray())), file.name()));
        lexer.removeErrorListeners();
        return lexer;
    }

    /** Unknown characters (one diagnostic per run), unterminated strings and comments. */
    private static void checkTokens(SourceFile file, List<Token> tokens, Diagnostics diags) {
        for (int i = 0; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            switch (t.getType()) {
                case HyenaLexer.BAD_CHAR -> {
                    int j = i;
                    while (j + 1 < tokens.size() && tokens.get(j + 1).getType() == HyenaLexer.BAD_CHAR
                            && tokens.get(j + 1).getStartIndex() == tokens.get(j).getStopIndex() + 1) j++;
                    Token last = tokens.get(j);
                    String text = file.text().substring(t.getStartIndex(), last.getStopIndex() + 1);
                    diags.report(Code.HY0001, new Span(file, t.getStartIndex(), last.getStopIndex() + 1),
                            text.length() > 1 ? "s" : "", describe(text));
                    i = j;
                }
                case HyenaLexer.NUMBER -> {
                    // `0x10`, `1e` or `12abc` would otherwise parse as a number and a new statement,
                    // and the error would land on the next line. The parser sees the number alone.
                    int j = i;
                    while (j + 1 < tokens.size() && runsInto(tokens.get(j), tokens.get(j + 1))) {
                        ((CommonToken) tokens.get(++j)).setChannel(Token.HIDDEN_CHANNEL);
                    }
                    if (j > i) {
                        String text = file.text().substring(t.getStartIndex(), tokens.get(j).getStopIndex() + 1);
                        diags.report(Code.HY0007, new Span(file, t.getStartIndex(), tokens.get(j).getStopIndex() + 1),
                                "`" + (text.length() > 24 ? text.substring(0, 24) + "…" : text) + "`: a number cannot run into letters or another number");
                        i = j;
                    }
                }
                case HyenaLexer.UNTERMINATED_COMMENT ->
                        diags.report(Code.HY0003, new Span(file, t.getStartIndex(), t.getStartIndex() + 2), "block comment: `/*` has no matching `*/`");
                case HyenaLexer.UNTERMINATED_STRING -> {
                    diags.report(Code.HY0003, new Span(file, t.getStartIndex(), t.getStopIndex() + 1), "string: add the closing `\"` on the same line");
                    ((CommonToken) t).setType(HyenaLexer.STRING);
                }
                default -> { }
            }
        }
    }

    private static boolean runsInto(Token number, Token next) {
        if (next.getStartIndex() != number.getStopIndex() + 1 || next.getType() == Token.EOF) return false;
        char c = next.getText().charAt(0);
        return next.getType() == HyenaLexer.NUMBER || Character.isLetterOrDigit(c) && c < 0x80 || c == '_';
    }

    private static String describe(String text) {
        StringBuilder b = new StringBuilder();
        int shown = 0;
        for (int k = 0; k < text.length() && shown < 8; shown++) {
            int cp = text.codePointAt(k);
            if (b.length() > 0) b.append(' ');
            if (cp >= 0x20 && cp < 0x7f) b.append('`').append((char) cp).append('`');
            else b.append(String.format("U+%04X", cp));
            k += Character.charCount(cp);
        }
        if (text.codePointCount(0, text.length()) > 8) b.append(" …");
        return b.toString();
    }

    /** Bracket depth and runs of unary minus both make the parser recurse; bound them. */
    private static boolean checkNesting(SourceFile file, List<Token> tokens, Diagnostics diags) {
        int depth = 0;
        int minusRun = 0;
        for (Token t : tokens) {
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            switch (t.getType()) {
                case HyenaLexer.LPAREN, HyenaLexer.LBRACK, HyenaLexer.LBRACE -> depth++;
                case HyenaLexer.RPAREN, HyenaLexer.RBRACK, HyenaLexer.RBRACE -> depth = Math.max(0, depth - 1);
                default -> { }
            }
            minusRun = t.getType() == HyenaLexer.MINUS ? minusRun + 1 : 0;
            if (depth > MAX_NESTING || minusRun > MAX_NESTING) {
                diags.report(Code.HY0005, new Span(file, t.getStartIndex(), t.getStopIndex() + 1), MAX_NESTING);
                return false;
            }
        }
        return true;
    }

    private static final class SyntaxErrors extends BaseErrorListener {
        private final SourceFile file;
        private final Diagnostics diags;
        private int lastLine = -1;

        SyntaxErrors(SourceFile file, Diagnostics diags) {
            this.file = file;
            this.diags = diags;
        }

        @Override
        public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int col, String msg,
                                RecognitionException e) {
            if (line == lastLine) return; // one per line: recovery cascades are noise
            lastLine = line;
            Span span;
            if (offending instanceof Token t && t.getStartIndex() >= 0 && t.getType() != Token.EOF) {
                span = new Span(file, t.getStartIndex(), t.getStopIndex() + 1);
            } else {
                int offset = Math.min(file.text().length(), file.lineStart(Math.min(line, file.lineCount())) + col);
                span = Span.at(file, offset);
            }
            diags.report(Code.HY0002, span, Messages.friendly(msg, offending instanceof Token t ? t : null));
        }
    }
}
