package hyenac.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.SourceFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.Test;

/** Syntax errors name what was found and every token that would fit, readably. */
class SyntaxMessagesTest {
    private static List<String> syntaxErrors(String text) {
        Diagnostics diags = new Diagnostics();
        SyntaxReader.read(new SourceFile("t.hyena", text), diags);
        return diags.all().stream().filter(d -> d.code() == Code.HY0002).map(Diagnostic::message).toList();
    }

    @Test
    void expectedTokensHaveNames() {
        assertEquals(List.of("syntax error: unexpected `:`, expected `,` or `=`"), syntaxErrors("model m { vocab: 3 }"));
        assertEquals(List.of("syntax error: unexpected `b`, expected `)`, `,` or `=`"), syntaxErrors("op f(a: int b: int) (x) { out x }"));
        assertEquals(List.of("syntax error: unexpected `b`, expected `]` or `,`"), syntaxErrors("model m { layers = [a b] }"));
        assertEquals(List.of("syntax error: missing a name before `{`"), syntaxErrors("model { }"));
        assertEquals(List.of("syntax error: missing `:` before `int`"), syntaxErrors("op f(a int) (x) { out x }"));
        assertEquals(List.of("syntax error: unexpected end of file, expected `op`, `block`, `let`, `out`, a name or `}`"),
                syntaxErrors("op f() (x) { out x"));
    }

    // One readable name: a literal token as written, or a kind.
    private static final String NAME = "(?:`[^`\\s][^`]*`|a name|a number|a string|end of file)";
    private static final Pattern LIST = Pattern.compile(NAME + "(?:(?:, " + NAME + ")*(?: or " + NAME + "|, …))?");
    private static final Pattern MESSAGE = Pattern.compile("syntax error: (?:unexpected (" + NAME + "), expected (.+)"
            + "|missing (.+) before (" + NAME + ")|cannot make sense of (" + NAME + ") here)");

    /** Samples of each kind and the prelude, each token in turn deleted or replaced by another kind of token. */
    @Test
    void noMessageOfAMalformedInputHasAnEmptyOrRawName() throws IOException {
        List<String> bases = new ArrayList<>();
        for (String sample : List.of("custom-ops.hyena", "sh2-tiny.hyena", "transformer-tiny.hyena")) {
            bases.add(Files.readString(TestFiles.samples().resolve(sample)));
        }
        try (InputStream std = Objects.requireNonNull(SyntaxReader.class.getResourceAsStream("/hyenac/dsl/std.hyena"))) {
            bases.add(new String(std.readAllBytes(), StandardCharsets.UTF_8));
        }
        List<String> replacements = List.of("", ":", ",", "=", ";", "(", ")", "{", "}", "[", "]", ".", "+", "op", "model",
                "out", "let", "import", "7", "\"s\"", "name", "true");
        int checked = 0;
        for (String base : bases) {
            List<? extends Token> tokens = SyntaxReader.lexer(new SourceFile("t.hyena", base)).getAllTokens().stream()
                    .filter(t -> t.getChannel() == Token.DEFAULT_CHANNEL).toList();
            for (int k = 0; k < tokens.size(); k++) {
                Token t = tokens.get(k);
                for (int j = 0; j < replacements.size(); j++) {
                    if ((k + j) % 4 != 0) continue; // a quarter of the pairs, rotating, keeps the sweep to seconds
                    String r = replacements.get(j);
                    String text = base.substring(0, t.getStartIndex()) + r + base.substring(t.getStopIndex() + 1);
                    for (String message : syntaxErrors(text)) {
                        var m = MESSAGE.matcher(message);
                        assertTrue(m.matches(), () -> "unreadable message `" + message + "` for:\n" + text);
                        String list = m.group(2) != null ? m.group(2) : m.group(3);
                        if (list != null) assertTrue(LIST.matcher(list).matches(), () -> "token list `" + list + "` in `" + message + "` for:\n" + text);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 1_000, "the sweep saw " + checked + " syntax errors");
    }
}
