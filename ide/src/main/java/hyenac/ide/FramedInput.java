package hyenac.ide;

import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The client's byte stream, passed on to LSP4J one well-formed frame at a time. LSP4J's reader trusts
 * {@code Content-Length}: after one that is not a number or is too short, the rest of the body runs
 * into the next header and every later message is lost. Here a bad frame is logged and dropped, and
 * reading resumes at the next {@code Content-Length:} header.
 */
final class FramedInput extends InputStream {
    /** Larger bodies are refused rather than allocated: a document is at most a few MiB. */
    static final int MAX_BODY = 64 << 20;
    private static final String LENGTH = "content-length:";
    private static final String TYPE = "content-type:";
    /** Other headers are ignored, as LSP4J does. */
    private static final Pattern HEADER = Pattern.compile("[A-Za-z0-9-]+:.*");

    private final InputStream in;
    private byte[] frame = new byte[0];
    private int pos;
    /** Bytes dropped since the last good frame, reported with the next one. */
    private long skipped;

    FramedInput(InputStream in) {
        this.in = new BufferedInputStream(in, 1 << 16);
    }

    @Override public int read() throws IOException {
        if (!fill()) return -1;
        return frame[pos++] & 0xff;
    }

    @Override public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!fill()) return -1;
        int n = Math.min(len, frame.length - pos);
        System.arraycopy(frame, pos, b, off, n);
        pos += n;
        return n;
    }

    @Override public int available() { return frame.length - pos; }

    @Override public void close() throws IOException { in.close(); }

    private boolean fill() throws IOException {
        while (pos == frame.length) {
            byte[] next = nextFrame();
            if (next == null) return false;
            frame = next;
            pos = 0;
        }
        return true;
    }

    /** The next good frame, re-encoded with canonical headers; null at the end of the input. */
    private byte[] nextFrame() throws IOException {
        String length = null;
        String type = null;
        boolean inHeader = false;
        String line = null;
        while (true) {
            if (line == null && (line = readLine()) == null) {
                if (inHeader) Log.warn("bad frame: the input ended inside a header");
                else if (skipped > 0) Log.warn("the input ended after " + skipped + " bytes that were not a message");
                return null;
            }
            String lower = line.toLowerCase(Locale.ROOT);
            if (!inHeader) {
                // The last header on the line: before it is the remainder of a cut body, and JSON
                // cannot hold a raw line break, so one inside a string never ends a line here.
                int at = lower.startsWith(TYPE) ? 0 : lower.lastIndexOf(LENGTH);
                if (at < 0) {
                    if (!line.isEmpty()) skipped += line.length() + 1;
                    line = null;
                    continue;
                }
                skipped += at;
                line = line.substring(at);
                lower = lower.substring(at);
                inHeader = true;
            } else if (line.isEmpty()) {
                byte[] frame = frame(length, type);
                length = null;
                type = null;
                inHeader = false;
                line = null;
                if (frame == null) continue;
                if (skipped > 0) Log.warn("skipped " + skipped + " bytes of input that were not a message");
                skipped = 0;
                return frame;
            }
            if (lower.startsWith(LENGTH)) length = line.substring(LENGTH.length()).trim();
            else if (lower.startsWith(TYPE)) type = line.substring(TYPE.length()).trim();
            else if (!HEADER.matcher(line).matches()) {
                // Not a header (a body without the blank line before it, say): look again for one in it.
                bad("header line `" + excerpt(new String(line.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8)) + "`");
                inHeader = false;
                length = null;
                type = null;
                if (lower.lastIndexOf(LENGTH) > 0) continue;
                skipped += line.length() + 1;
            }
            line = null;
        }
    }

    /** Reads the body a header announced and re-frames it; null (logged) when the frame is bad. */
    private byte[] frame(String length, String type) throws IOException {
        if (length == null) return bad("no Content-Length header");
        int n;
        try {
            n = Integer.parseInt(length);
        } catch (NumberFormatException e) {
            return bad("Content-Length `" + excerpt(length) + "` is not a number");
        }
        if (n < 0 || n > MAX_BODY) return bad("Content-Length " + n + " is not between 0 and " + MAX_BODY);
        byte[] body = in.readNBytes(n);
        if (body.length < n) {
            Log.warn("bad frame: input ended " + (n - body.length) + " bytes into a " + n + "-byte body");
            return null;
        }
        Charset charset = charset(type);
        String text = new String(body, charset);
        try {
            JsonParser.parseString(text);
        } catch (JsonParseException e) {
            return bad("the " + n + "-byte body is not JSON (is Content-Length too short?): `" + excerpt(text) + "`");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(n + 64);
        out.writeBytes(("Content-Length: " + n + "\r\n").getBytes(StandardCharsets.US_ASCII));
        if (type != null) out.writeBytes(("Content-Type: " + type + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static Charset charset(String type) {
        if (type != null) {
            int i = type.toLowerCase(Locale.ROOT).indexOf("charset=");
            if (i >= 0) {
                try {
                    return Charset.forName(type.substring(i + "charset=".length()).split(";")[0].trim());
                } catch (IllegalArgumentException e) {
                    // LSP4J reports an unknown charset itself; the check here goes on in UTF-8.
                }
            }
        }
        return StandardCharsets.UTF_8;
    }

    private static byte[] bad(String what) {
        Log.warn("bad frame: " + what + "; skipping to the next Content-Length header");
        return null;
    }

    private static String excerpt(String s) {
        String t = s.replace("\r", "\\r").replace("\n", "\\n");
        return t.length() > 80 ? t.substring(0, 80) + "…" : t;
    }

    /** One line without its {@code \r\n} or {@code \n}, as ISO-8859-1 (headers are ASCII); null at the end. */
    private String readLine() throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            b.append((char) c);
            // A line of garbage with no break in it: keep only a tail long enough to hold a header.
            if (b.length() > 1 << 20) {
                skipped += b.length() - 64;
                b.delete(0, b.length() - 64);
            }
        }
        if (c == -1 && b.isEmpty()) return null;
        if (!b.isEmpty() && b.charAt(b.length() - 1) == '\r') b.setLength(b.length() - 1);
        return b.toString();
    }
}
