package hyenac.runtime.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextStreamTest {
    static String stream(boolean raw, long... tokens) {
        TextStream s = new TextStream(raw);
        StringBuilder out = new StringBuilder();
        for (long t : tokens) out.append(s.accept(t));
        return out.append(s.finish()).toString();
    }

    static long[] bytes(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xff;
        return ids;
    }

    @Test
    void printableTextNewlinesTabsAndMultiByteCharactersPassThrough() {
        String text = "ACGT\tacgt\nünï 🧬";
        assertEquals(text, stream(false, bytes(text)));
    }

    @Test
    void aCharacterComesOutWithItsLastByte() {
        TextStream s = new TextStream(false);
        long[] dna = bytes("🧬");
        assertEquals("", s.accept(dna[0]));
        assertEquals("", s.accept(dna[1]));
        assertEquals("", s.accept(dna[2]));
        assertEquals("🧬", s.accept(dna[3]));
    }

    @Test
    void controlBytesAndInvalidUtf8AreEscapedUnlessRaw() {
        assertEquals("A\\x00B\\x1b[0m\\x07\\x7f", stream(false, 'A', 0, 'B', 0x1b, '[', '0', 'm', 7, 0x7f));
        assertEquals("A\u0000B\u001b[0m", stream(true, 'A', 0, 'B', 0x1b, '[', '0', 'm'));
        // a lone continuation byte, a lead byte cut short by ASCII, an overlong form, a truncated end
        assertEquals("\\x80A\\xc3B\\xc0\\x80\\xe2\\x82", stream(false, 0x80, 'A', 0xc3, 'B', 0xc0, 0x80, 0xe2, 0x82));
        assertEquals("\uFFFDA", stream(true, 0x80, 'A'));
    }

    @Test
    void oneLineEscapesNewlinesRawOrNot() {
        for (boolean raw : new boolean[] {false, true}) {
            TextStream s = TextStream.oneLine(raw);
            StringBuilder out = new StringBuilder();
            for (long t : bytes("GA\nT\tC\r")) out.append(s.accept(t));
            assertEquals(raw ? "GA\\x0aT\tC\r" : "GA\\x0aT\tC\\x0d", out.toString());
        }
    }

    @Test
    void idsPastTheBytesCarryNoText() {
        assertEquals("AC", stream(false, 'A', 300, 511, 'C'));
    }
}
