package hyenac.runtime.text;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Byte tokens to text as they are generated: a UTF-8 character spread over several tokens comes out when its
 * last byte does. Unless raw, what a terminal would act on or cannot show is written as {@code \xNN}: control
 * bytes other than newline and tab, and bytes that are not valid UTF-8. Raw passes control bytes through and
 * shows invalid bytes as U+FFFD. Token ids of 256 and above carry no text. {@link #oneLine} also writes newlines as
 * {@code \x0a}, raw or not, for output that keeps each text on one line.
 */
public final class TextStream {
    private final boolean raw, newlines;
    private final byte[] pending = new byte[4];
    private int have, need;

    public TextStream(boolean raw) {
        this(raw, true);
    }

    private TextStream(boolean raw, boolean newlines) {
        this.raw = raw;
        this.newlines = newlines;
    }

    /** As {@code new TextStream(raw)}, with newlines escaped too, so the text stays on one line. */
    public static TextStream oneLine(boolean raw) {
        return new TextStream(raw, false);
    }

    /** The text that {@code token} completes; often empty while a character is under way. */
    public String accept(long token) {
        if (token < 0 || token >= 256) return "";
        int b = (int) token;
        StringBuilder out = new StringBuilder();
        if (need > 0) {
            if ((b & 0xC0) == 0x80) {
                pending[have++] = (byte) b;
                if (have == need) out.append(character());
                return out.toString();
            }
            out.append(finish());  // an unfinished character, then this byte afresh
        }
        if (b < 0x80) {
            boolean shown = b == '\n' ? newlines : raw || b == '\t' || (b >= 0x20 && b < 0x7F);
            out.append(shown ? String.valueOf((char) b) : escaped(b));
        } else {
            int length = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
            if (length == 0) {
                out.append(invalid(b));
            } else {
                pending[0] = (byte) b;
                have = 1;
                need = length;
            }
        }
        return out.toString();
    }

    /** What an unfinished character left at the end (its bytes, shown as invalid); empty when there is none. */
    public String finish() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < have; i++) out.append(invalid(pending[i] & 0xff));
        have = need = 0;
        return out.toString();
    }

    /** The complete sequence in {@code pending}, decoded, or its bytes as invalid (overlong forms, surrogates). */
    private String character() {
        int n = have;
        have = need = 0;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(pending, 0, n)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < n; i++) out.append(invalid(pending[i] & 0xff));
            return out.toString();
        }
    }

    private String invalid(int b) { return raw ? "\uFFFD" : escaped(b); }

    private static String escaped(int b) { return String.format("\\x%02x", b); }
}
