package hyenac.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.dsl.ast.Ast;
import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.SourceFile;
import org.junit.jupiter.api.Test;

class SyntaxReaderTest {
    private static Ast.File read(String text, Diagnostics diags) {
        return SyntaxReader.read(new SourceFile("t.hyena", text), diags);
    }

    @Test
    void refusesHugeFiles() {
        Diagnostics diags = new Diagnostics();
        read("// " + "x".repeat(SyntaxReader.MAX_CHARS), diags);
        assertEquals(Code.HY0006, diags.all().getFirst().code());
    }

    @Test
    void aRunOfUnknownCharactersIsOneDiagnostic() {
        Diagnostics diags = new Diagnostics();
        read("op f() (x) { out x ¤¤¤ }", diags);
        assertEquals(1, diags.all().size(), diags.all().toString());
        assertEquals(Code.HY0001, diags.all().getFirst().code());
        assertEquals(20, diags.all().getFirst().span().column());
    }

    @Test
    void recoveryKeepsTheDeclarationsAroundAnError() {
        Diagnostics diags = new Diagnostics();
        Ast.File file = read("op a() (x) { out x }\nop b() (x) { out x + }\nop c() (x) { out x }\n", diags);
        assertTrue(diags.hasErrors());
        assertEquals(3, file.decls().size(), "all three operators survive: " + file.decls());
        assertEquals("c", file.decls().get(2).name().name());
    }

    @Test
    void docCommentsAttachToTheDeclarationBelow() {
        Ast.File file = read("/// First line.\n/// Second line.\nop f() (x) { out x }\n", new Diagnostics());
        assertEquals("First line.\nSecond line.", file.decls().getFirst().doc());
    }

    @Test
    void blockCommentsBeforeTheEndAreTerminated() {
        Diagnostics diags = new Diagnostics();
        Ast.File file = read("/* a */ model m { a = 1 /* b\n */ b = 2 /** c **/ }\n/*/ d */\n", diags);
        assertTrue(diags.all().isEmpty(), diags.all().toString());
        assertEquals(2, ((Ast.ModelDecl) file.decls().getFirst()).body().size());
        read("model m { a = 1 } /* a */ /* never closed **", diags);
        assertEquals(Code.HY0003, diags.all().getFirst().code());
        assertEquals(27, diags.all().getFirst().span().column());
    }

    @Test
    void nonAsciiTextInCommentsDoesNotShiftColumns() {
        Diagnostics diags = new Diagnostics();
        read("// ünïcødé ✓\nop f() (x) { out y ? }\n", diags);
        assertEquals(2, diags.all().getFirst().span().line());
        assertEquals(20, diags.all().getFirst().span().column());
    }

    @Test
    void spansCountUtf16UnitsEvenAfterCharactersOutsideTheBmp() {
        Diagnostics diags = new Diagnostics();
        read("// 🧬🧬 dna\nop f() (x) { out y ? }\n", diags);
        assertEquals(2, diags.all().getFirst().span().line());
        assertEquals(20, diags.all().getFirst().span().column());
        Diagnostics inLine = new Diagnostics();
        read("op f() (x) { out x } // 🧬\nop g() (x) { out x ? }", inLine);
        assertEquals("?", inLine.all().getFirst().span().text());
    }
}
