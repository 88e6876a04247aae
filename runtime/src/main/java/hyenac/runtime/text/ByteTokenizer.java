package hyenac.runtime.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Evo 2's tokenizer: one token per UTF-8 byte (token = byte value), vocabulary padded to 512.
 * Token 0 is end-of-sequence and 1 is padding; ids ≥ 256 have no text and decode to nothing.
 */
public final class ByteTokenizer {
    public static final int EOS = 0;
    public static final int PAD = 1;

    private ByteTokenizer() {}

    public static long[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long[] ids = new long[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = bytes[i] & 0xff;
        return ids;
    }

    public static String decode(long[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length);
        for (long id : ids) if (id >= 0 && id < 256) out.write((int) id);
        return out.toString(StandardCharsets.UTF_8);
    }
}
