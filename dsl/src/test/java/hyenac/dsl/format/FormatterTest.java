package hyenac.dsl.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.TestFiles;
import hyenac.dsl.ast.AstDump;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.parser.HyenaLexer;
import hyenac.dsl.source.SourceFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.Token;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FormatterTest {

    // ---- inputs in canonical style must come back byte for byte

    @Test
    void preludeIsAFixedPoint() {
        String std = prelude();
        assertEquals(std, fmt(std));
    }

    @Test
    void samplesAreFixedPoints() {
        List<Path> samples = samples();
        assertFalse(samples.isEmpty(), "no samples found");
        for (Path p : samples) {
            String text = read(p);
            assertEquals(text, fmt(text), p.toString());
        }
    }

    // ---- messy inputs and their canonical form

    record Case(String name, String input, String expected) {
        @Override public String toString() { return name; }
    }

    static List<Case> cases() {
        return List.of(
            new Case("spacing and semicolons", """
                import   "std" ;
                model   m{vocab=512;width = 4096 ;
                layers=[a,b,   c]*4+[d]
                layers [ 0 ] . mlp . act=gelu;}
                """, """
                import "std"

                model m {
                  vocab = 512
                  width = 4096
                  layers = [a, b, c] * 4 + [d]
                  layers[0].mlp.act = gelu
                }
                """),
            new Case("declaration headers", """
                op   f ( a : int , b:float=1.5e-3 , c : op = g ( ), ) ( x , y , ) {
                    let  n=a*2 ; op  p = linear ( features = n , bias = true , )
                    q,k ,v=split(x,n=3)
                    out p ( x ) + y
                }
                block b()(x){out x}
                op e() () {}
                op e2() () {

                }
                """, """
                op f(a: int, b: float = 1.5e-3, c: op = g()) (x, y) {
                  let n = a * 2
                  op p = linear(features = n, bias = true)
                  q, k, v = split(x, n = 3)
                  out p(x) + y
                }

                block b() (x) {
                  out x
                }

                op e() () {}

                op e2() () {}
                """),
            new Case("blank line runs", """


                op f() (x) {


                  let a = 1



                  let b = 2
                  let c = 3


                }
                model m {
                  width = 1
                }


                """, """
                op f() (x) {
                  let a = 1

                  let b = 2
                  let c = 3
                }

                model m {
                  width = 1
                }
                """),
            new Case("minimal parentheses", """
                model m {
                  a = ((1 + 2)) * 3
                  b = x - (y - z)
                  c = (x - y) - z
                  d = -(x + y)
                  e = -(x)
                  f = (x * y) + (z % 2)
                  g = x / (y * z)
                  h = - - x
                  i = x - (-y)
                  j = (-x) * y
                  k = -(x * y)
                  l = f((1 + 2), [(3)], n = (4))
                  o = x + (y + z)
                  p = (x + y) * (z - 1) / 2
                  r = x % (y / z)
                }
                """, """
                model m {
                  a = (1 + 2) * 3
                  b = x - (y - z)
                  c = x - y - z
                  d = -(x + y)
                  e = -x
                  f = x * y + z % 2
                  g = x / (y * z)
                  h = --x
                  i = x - -y
                  j = -x * y
                  k = -(x * y)
                  l = f(1 + 2, [3], n = 4)
                  o = x + (y + z)
                  p = (x + y) * (z - 1) / 2
                  r = x % (y / z)
                }
                """),
            new Case("numbers keep their spelling, strings are re-escaped", """
                import "dir/x.hyena"
                model m { x = 1_000 ; y = .5 ; z = 1E+3; w = 2.
                  s = "q\\"\\\\\\n\\t" ; t = "\ttab" ; u = [] ; v = f() ; b = true ; c = false }
                """, """
                import "dir/x.hyena"

                model m {
                  x = 1_000
                  y = .5
                  z = 1E+3
                  w = 2.
                  s = "q\\"\\\\\\n\\t"
                  t = "\\ttab"
                  u = []
                  v = f()
                  b = true
                  c = false
                }
                """),
            new Case("comments in every position", """
                // file header

                // before import
                import "std" // after import
                /* block before decl */
                /// doc of f
                op f(a: int, b: int = 2) (x) { // after open brace
                  // before let
                  let n = a * b // trailing let

                  /* own line block */
                  out x; // trailing out, after a semicolon


                  // before close
                }
                // between decls
                model m {
                  // only a comment
                }

                model empty {
                }

                // end of file
                """, """
                // file header

                // before import
                import "std" // after import

                /* block before decl */
                /// doc of f
                op f(a: int, b: int = 2) (x) { // after open brace
                  // before let
                  let n = a * b // trailing let

                  /* own line block */
                  out x // trailing out, after a semicolon

                  // before close
                }

                // between decls
                model m {
                  // only a comment
                }

                model empty {}

                // end of file
                """),
            new Case("commented parameters go one per line", """
                /// An op.
                op f(
                  /// the count
                  n: int,
                  len: int = 3, // taps
                  /* mode */ m: float
                ) (x) {
                  out x
                }
                op g(a: int /* why */, b: int) (x) { out x }
                op h(
                  // nothing yet
                ) (x) { out x }
                op k( // after paren
                  a: int) (x) { out x }
                """, """
                /// An op.
                op f(
                    /// the count
                    n: int,
                    len: int = 3, // taps
                    /* mode */
                    m: float,
                ) (x) {
                  out x
                }

                op g(
                    a: int, /* why */
                    b: int,
                ) (x) {
                  out x
                }

                op h(
                    // nothing yet
                ) (x) {
                  out x
                }

                op k( // after paren
                    a: int,
                ) (x) {
                  out x
                }
                """),
            new Case("comments inside expressions and headers move before", """
                model m {
                  a = f(1, /* one */ 2) // end
                  b = [1, // first
                       2]
                  c = /* x */ 3 /* y */
                }
                op /* name */ g(n: int = /* dflt */ 1) (x) /* before brace */ {
                  out x
                }
                import /* path */ "std"
                """, """
                /* path */
                import "std"

                model m {
                  /* one */
                  a = f(1, 2) // end
                  // first
                  b = [1, 2]
                  /* x */
                  c = 3 /* y */
                }

                /* name */
                /* before brace */
                op g(
                    /* dflt */
                    n: int = 1,
                ) (x) {
                  out x
                }
                """),
            new Case("imports first, in order", """
                model m { width = 1 }
                import "late" // trailing
                import "std"

                import "third"
                """, """
                import "late" // trailing
                import "std"

                import "third"

                model m {
                  width = 1
                }
                """),
            new Case("block comments are verbatim", """
                /*
                 * Header block.
                 */
                model m {
                  a = 1 /* multi
                  line */
                  /* x */ b = 2
                      /*   odd
                indent */
                }
                """, """
                /*
                 * Header block.
                 */
                model m {
                  a = 1 /* multi
                  line */
                  /* x */
                  b = 2
                  /*   odd
                indent */
                }
                """),
            new Case("doc comments keep documenting the same node", """
                op f() (x) { out x } /// doc of g
                op g() (x) { out x }
                model m { /// doc of a
                  a = f(/// inner doc
                  1)
                  /// doc of b

                  b = 2 /// doc of c
                  c = 3
                }
                """, """
                op f() (x) {
                  out x
                }

                /// doc of g
                op g() (x) {
                  out x
                }

                model m {
                  /// inner doc

                  /// doc of a
                  a = f(1)
                  /// doc of b

                  b = 2
                  /// doc of c
                  c = 3
                }
                """),
            new Case("a doc line before a comma documents nothing, and still does not", """
                op f(a: int
                  /// not a doc: a comma follows
                  , b: int, c: int /// not a doc either
                  , d: int) (x) { out x }
                """, """
                op f(
                    a: int,
                    /// not a doc: a comma follows

                    b: int,
                    c: int, /// not a doc either

                    d: int,
                ) (x) {
                  out x
                }
                """),
            new Case("trailing whitespace and CRLF", "model m {  \r\n  a = 1 // c   \r\n}\r\n", """
                model m {
                  a = 1 // c
                }
                """),
            new Case("comments only", "\n\n// just a comment\n\n\n// another", """
                // just a comment

                // another
                """),
            new Case("empty file", "", ""),
            new Case("non-BMP characters", """
                // 🦒 giraffe 🦒
                model m { a = "🦒" /* 🦒 */ b = 1 // x
                }
                """, """
                // 🦒 giraffe 🦒
                model m {
                  a = "🦒" /* 🦒 */
                  b = 1 // x
                }
                """));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void formatsToExpectedText(Case c) {
        assertEquals(c.expected(), fmt(c.input()));
    }

    // ---- properties, over every input above plus the fixed points

    static Stream<Arguments> allInputs() {
        List<Arguments> all = new ArrayList<>();
        for (Case c : cases()) all.add(Arguments.of(c.name(), c.input()));
        all.add(Arguments.of("std.hyena", prelude()));
        for (Path p : samples()) all.add(Arguments.of(p.getFileName().toString(), read(p)));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allInputs")
    void isIdempotent(String name, String input) {
        String once = fmt(input);
        assertEquals(once, fmt(once));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allInputs")
    void keepsTheTree(String name, String input) {
        String once = fmt(input);
        assertEquals(AstDump.dump(parseClean(input)), AstDump.dump(parseClean(once)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allInputs")
    void keepsEveryComment(String name, String input) {
        String once = fmt(input);
        assertEquals(commentTexts(input), commentTexts(once));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allInputs")
    void endsWithOneNewline(String name, String input) {
        String once = fmt(input);
        if (once.isEmpty()) return;
        assertTrue(once.endsWith("\n") && !once.endsWith("\n\n"), once);
        assertFalse(once.contains("\r"), once);
        assertFalse(once.lines().anyMatch(l -> !l.isEmpty() && Character.isWhitespace(l.charAt(l.length() - 1))),
                "trailing whitespace in\n" + once);
    }

    /**
     * Comments of every kind dropped at random token boundaries of the prelude and the samples (seeded,
     * so failures reproduce): every property above must still hold.
     */
    @Test
    void commentsAnywhereKeepAllProperties() {
        List<String> bases = new ArrayList<>();
        bases.add(prelude());
        for (Path p : samples()) bases.add(read(p));
        // A `///` without a line break comments out the rest of its line: harmless, both sides parse it.
        String[] kinds = {"/* b%d */", "/* b%d */\n", "// l%d\n", "/// d%d\n", "\n/// d%d\n", "\n\n// l%d\n\n",
                "/* m%d\n  more */", ";", "\n", "\n\n", "/// d%d", "// l%d\n/// d%<d\n"};
        Random random = new Random(42);
        int n = 0;
        for (String base : bases) {
            List<Integer> cuts = tokenEnds(base);
            for (int variant = 0; variant < 60; variant++) {
                StringBuilder b = new StringBuilder(base);
                List<Integer> at = new ArrayList<>();
                int count = 2 + random.nextInt(10);
                for (int k = 0; k < count; k++) at.add(cuts.get(random.nextInt(cuts.size())));
                at.sort(Comparator.reverseOrder());
                for (int offset : at) {
                    String kind = kinds[random.nextInt(kinds.length)];
                    b.insert(offset, " " + String.format(kind, n++) + " ");
                }
                String input = b.toString();
                Diagnostics diags = new Diagnostics();
                Optional<String> once = Formatter.formatIfClean(new SourceFile("t.hyena", input), diags);
                if (once.isEmpty()) continue; // a ';' can land where it is not allowed
                String ctx = "input:\n" + input + "\noutput:\n" + once.get();
                assertEquals(once.get(), fmt(once.get()), ctx);
                assertEquals(AstDump.dump(parseClean(input)), AstDump.dump(parseClean(once.get())), ctx);
                assertEquals(commentTexts(input), commentTexts(once.get()), ctx);
            }
        }
    }

    /** Offsets just after each default-channel token, where a comment may go. */
    private static List<Integer> tokenEnds(String text) {
        HyenaLexer lexer = new HyenaLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<Integer> out = new ArrayList<>();
        for (Token t : lexer.getAllTokens()) {
            if (t.getChannel() == Token.DEFAULT_CHANNEL) out.add(text.offsetByCodePoints(0, t.getStopIndex() + 1));
        }
        return out;
    }

    // ---- broken files are refused

    @ParameterizedTest
    @MethodSource("brokenInputs")
    void refusesFilesWithSyntaxErrors(String input) {
        Diagnostics sink = new Diagnostics();
        Optional<String> result = Formatter.formatIfClean(new SourceFile("broken.hyena", input), sink);
        assertTrue(result.isEmpty(), () -> "formatted " + input + " to " + result.get());
        assertTrue(sink.hasErrors(), "the parse diagnostics reach the sink");
    }

    static Stream<String> brokenInputs() {
        return Stream.of(
                "model m { a = }",
                "op f( { }",
                "model m { a = \"unterminated }",
                "model m { a = 1__0 }",
                "model m { a = \"\\q\" }",
                "model m { a = 1 $ }",
                "/* never closed\nmodel m { a = 1 }",
                "model m { a = 99999999999999999999 }",
                "model m { a = 1 } }");
    }

    @Test
    void cleanFileFormatsWithoutDiagnostics() {
        Diagnostics sink = new Diagnostics();
        Optional<String> result = Formatter.formatIfClean(new SourceFile("m.hyena", "model m{a=1;}"), sink);
        assertEquals(Optional.of("model m {\n  a = 1\n}\n"), result);
        assertTrue(sink.all().isEmpty());
    }

    @Test
    void dumpIgnoresLayoutButNotStructure() {
        String a = AstDump.dump(parseClean("model m { a = 1 + 2 * 3 }"));
        assertEquals(a, AstDump.dump(parseClean("model   m {\n  a = 1 + (2 * 3);\n}\n")));
        assertFalse(a.equals(AstDump.dump(parseClean("model m { a = (1 + 2) * 3 }"))));
        assertEquals("(file (model m (body (assign (a) (+ 1 (* 2 3))))))", a);
    }

    // ---- helpers

    private static String fmt(String text) {
        return Formatter.formatIfClean(new SourceFile("test.hyena", text), new Diagnostics())
                .orElseThrow(() -> new AssertionError("syntax errors in\n" + text));
    }

    private static Ast.File parseClean(String text) {
        Diagnostics diags = new Diagnostics();
        Ast.File ast = SyntaxReader.read(new SourceFile("test.hyena", text), diags);
        assertTrue(diags.all().isEmpty(), () -> diags.all() + " in\n" + text);
        return ast;
    }

    /**
     * The comment texts, sorted: comments may move (out of expressions, with reordered imports) but
     * none may be lost or made up. Trailing blanks and line ends are normalised by the formatter.
     */
    private static List<String> commentTexts(String text) {
        HyenaLexer lexer = new HyenaLexer(CharStreams.fromString(text));
        lexer.removeErrorListeners();
        List<String> out = new ArrayList<>();
        for (Token t : lexer.getAllTokens()) {
            switch (t.getType()) {
                case HyenaLexer.LINE_COMMENT, HyenaLexer.DOC_COMMENT, HyenaLexer.BLOCK_COMMENT ->
                        out.add(t.getText().replace("\r\n", "\n").stripTrailing());
                default -> { }
            }
        }
        out.sort(null);
        return out;
    }

    private static String prelude() {
        try (InputStream in = FormatterTest.class.getResourceAsStream("/hyenac/dsl/std.hyena")) {
            if (in == null) throw new AssertionError("std.hyena is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> samples() {
        try (Stream<Path> files = Files.list(TestFiles.samples())) {
            return files.filter(p -> p.toString().endsWith(".hyena")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
