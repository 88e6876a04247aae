package hyenac.ide;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What reaches LSP4J from a client's byte stream: only whole frames, bad ones dropped. */
class FramedInputTest {
    static String through(String input) throws IOException {
        try (FramedInput in = new FramedInput(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String frame(String json) {
        return "Content-Length: " + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    static final String A = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"text\":\"é Content-Length: 5\\r\\n\"}}";
    static final String B = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"b\"}";

    @Test
    void goodFramesPassUnchanged() throws IOException {
        assertEquals(frame(A) + frame(B), through(frame(A) + frame(B)));
        String type = "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n";
        assertEquals(frame(B).replace("\r\n\r\n", "\r\n" + type + "\r\n"),
                through(type + "X-Other: 1\r\n" + frame(B)), "the type is kept, other headers dropped");
        assertEquals(frame(B), through("\r\n\n" + frame(B).replace("\r\n", "\n")));
    }

    @Test
    void badFramesAreDroppedUpToTheNextHeader() throws IOException {
        assertEquals(frame(B), through("Content-Length: abc\r\n\r\n" + A + frame(B)), "not a number");
        assertEquals(frame(B), through("Content-Length: 20\r\n\r\n" + A + frame(B)), "too short: the rest of A runs into B's header");
        assertEquals(frame(B), through("Content-Length: 999999999\r\n\r\n" + A + "\r\n" + frame(B)), "too large");
        assertEquals(frame(B), through("Content-Length: 30\r\n" + A + frame(B)), "no blank line after the header");
        assertEquals(frame(B), through("garbage\r\nmore: garbage\r\n" + frame(B)));
        assertEquals(frame(A), through(frame(A) + "Content-Length: 40\r\n\r\n" + B), "the input ends inside a body");
    }
}
