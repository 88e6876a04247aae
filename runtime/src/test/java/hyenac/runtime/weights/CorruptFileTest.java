package hyenac.runtime.weights;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every way a header can be wrong gives one WeightsException naming the file (and the tensor, where there is
 * one). The broken files are made by editing the bytes of a small valid file.
 */
class CorruptFileTest {
    @TempDir
    Path dir;

    /** The valid file: its header JSON and its 56-byte data section. */
    private String header;
    private byte[] data;
    private byte[] valid;

    @BeforeEach
    void writeValidFile() throws IOException {
        Path p = dir.resolve("valid.safetensors");
        SafeTensors.write(p, Map.of("case", "x"), List.of(
                TensorData.of("w", SafetensorsType.F32, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}),
                TensorData.of("t", SafetensorsType.I64, new long[] {4}, new long[] {65, 67, 71, 84})));
        valid = Files.readAllBytes(p);
        int n = (int) ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        header = new String(valid, 8, n, StandardCharsets.UTF_8).stripTrailing();
        data = Arrays.copyOfRange(valid, 8 + n, valid.length);
        assertEquals("{\"__metadata__\":{\"case\":\"x\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"t\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[24,56]}}", header);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> headerEdits() {
        return Stream.of(
                // not JSON, or not the JSON object the format needs
                arguments("garbage", "*", "this is not json", List.of("header is not valid JSON")),
                arguments("cut-json", "*", "{\"w\":{\"dtype\":", List.of("header is not valid JSON")),
                arguments("trailing", "*", "{} {}", List.of("header is not valid JSON: malformed JSON at line 1 column 5")),
                arguments("array", "*", "[1,2]", List.of("header must be a JSON object, found an array")),
                arguments("empty", "*", "", List.of("header is not valid JSON")),
                arguments("entry-not-object", "\"t\":{\"dtype\":\"I64\",\"shape\":[4],\"data_offsets\":[24,56]}", "\"t\":[24,56]",
                        List.of("tensor \"t\": entry must be an object", "found an array")),
                arguments("missing-dtype", "\"dtype\":\"F32\",", "", List.of("tensor \"w\": missing dtype")),
                arguments("missing-offsets", ",\"data_offsets\":[24,56]", "", List.of("tensor \"t\": missing data_offsets")),
                // dtype
                arguments("unknown-dtype", "\"F32\"", "\"F33\"", List.of("tensor \"w\": unknown dtype \"F33\"")),
                arguments("lowercase-dtype", "\"I64\"", "\"i64\"", List.of("tensor \"t\": unknown dtype \"i64\"")),
                arguments("dtype-number", "\"F32\"", "32", List.of("tensor \"w\": dtype must be a string, found a number")),
                // shape
                arguments("shape-string", "[2,3]", "\"2x3\"", List.of("tensor \"w\": shape must be an array of integers, found a string")),
                arguments("shape-element", "[2,3]", "[2,\"3\"]", List.of("tensor \"w\": shape must be an array of integers")),
                arguments("shape-negative", "[2,3]", "[-2,-3]", List.of("tensor \"w\": shape [-2, -3] has a negative dimension")),
                arguments("shape-fraction", "[2,3]", "[2,1.5]", List.of("tensor \"w\": shape holds 1.5, which is not a 64-bit integer")),
                arguments("shape-exponent", "[2,3]", "[2,3e0]", List.of("tensor \"w\": shape holds 3e0")),
                arguments("shape-huge-literal", "[2,3]", "[2,99999999999999999999]", List.of("tensor \"w\": shape holds 99999999999999999999")),
                arguments("shape-overflow", "[2,3]", "[4294967296,4294967296]", List.of("tensor \"w\": shape [4294967296, 4294967296] has too many elements")),
                arguments("shape-overflow-bytes", "[4]", "[4611686018427387904]", List.of("tensor \"t\":", "too many elements")),
                // data_offsets
                arguments("offsets-one", "[0,24]", "[0]", List.of("tensor \"w\": data_offsets must be [begin, end], found [0]")),
                arguments("offsets-three", "[0,24]", "[0,24,48]", List.of("tensor \"w\": data_offsets must be [begin, end], found [0, 24, 48]")),
                arguments("offsets-negative", "[0,24]", "[-8,16]", List.of("tensor \"w\": data_offsets [-8, 16] must satisfy 0 <= begin <= end")),
                arguments("offsets-reversed", "[24,56]", "[56,24]", List.of("tensor \"t\": data_offsets [56, 24] must satisfy")),
                arguments("offsets-fraction", "[0,24]", "[0.0,24]", List.of("tensor \"w\": data_offsets holds 0.0")),
                arguments("offsets-string", "[0,24]", "\"0-24\"", List.of("tensor \"w\": data_offsets must be an array of integers, found a string")),
                arguments("offsets-past-end", "[24,56]", "[24,4096000]",
                        List.of("tensor \"t\": data ends at byte 4096000 but the file's data section is 56 bytes (truncated file?)")),
                // consistency between entries and with the data
                arguments("shape-bytes-mismatch", "[2,3]", "[2,4]", List.of("tensor \"w\": shape [2, 4] of F32 needs 32 bytes but data_offsets [0, 24] hold 24")),
                arguments("dtype-bytes-mismatch", "\"F32\"", "\"F64\"", List.of("tensor \"w\": shape [2, 3] of F64 needs 48 bytes")),
                arguments("overlap", "[24,56]", "[16,48]", List.of("tensors \"w\" [0, 24) and \"t\" [16, 48) overlap")),
                arguments("same-offsets", "\"shape\":[4],\"data_offsets\":[24,56]", "\"shape\":[3],\"data_offsets\":[0,24]",
                        List.of("tensors \"w\" [0, 24) and \"t\" [0, 24) overlap")),
                arguments("duplicate-name", "\"t\":{", "\"w\":{", List.of("tensor \"w\": name appears twice")),
                // metadata
                arguments("metadata-number", "{\"case\":\"x\"}", "{\"case\":7}", List.of("__metadata__ \"case\" must be a string, found a number")),
                arguments("metadata-null", "{\"case\":\"x\"}", "{\"case\":null}", List.of("__metadata__ \"case\" must be a string, found null")),
                arguments("metadata-nested", "{\"case\":\"x\"}", "{\"case\":{\"a\":\"b\"}}", List.of("__metadata__ \"case\" must be a string, found an object")),
                arguments("metadata-array", "{\"case\":\"x\"}", "[\"x\"]", List.of("__metadata__ must be an object of strings, found an array")),
                arguments("metadata-twice", "{\"case\":\"x\"},", "{\"case\":\"x\"},\"__metadata__\":{},", List.of("__metadata__ appears twice")),
                arguments("metadata-key-twice", "{\"case\":\"x\"}", "{\"case\":\"x\",\"case\":\"y\"}", List.of("__metadata__ \"case\" appears twice")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("headerEdits")
    void headerEdit(String label, String from, String to, List<String> expected) throws IOException {
        String edited = from.equals("*") ? to : header.replace(from, to);
        assertTrue(from.equals("*") || !edited.equals(header), "edit " + label + " must change the header");
        Path p = file(label, edited.getBytes(StandardCharsets.UTF_8), data);
        String message = openFails(p);
        for (String e : expected) assertTrue(message.contains(e), "expected [" + e + "] in: " + message);
    }

    @Test
    void tooShortForTheLengthPrefix() throws IOException {
        for (int len : new int[] {0, 1, 7}) {
            Path p = dir.resolve("short" + len + ".safetensors");
            Files.write(p, Arrays.copyOf(valid, len));
            assertTrue(openFails(p).contains("file is too short (" + len + " bytes)"));
        }
    }

    @Test
    void truncatedInsideTheHeader() throws IOException {
        Path p = dir.resolve("cut-header.safetensors");
        Files.write(p, Arrays.copyOf(valid, 8 + 10));
        assertTrue(openFails(p).contains("is larger than the 10 bytes that follow it (truncated file"));
    }

    @Test
    void truncatedInsideTheData() throws IOException {
        int dataStart = valid.length - data.length;
        // Cut before the first tensor ends, then before the second one ends: each names the tensor cut short.
        for (int[] cut : new int[][] {{0, 'w'}, {20, 'w'}, {24, 't'}, {55, 't'}}) {
            Path p = dir.resolve("cut" + cut[0] + ".safetensors");
            Files.write(p, Arrays.copyOf(valid, dataStart + cut[0]));
            String m = openFails(p);
            assertTrue(m.contains("tensor \"" + (char) cut[1] + "\": data ends at byte"), m);
            assertTrue(m.contains("data section is " + cut[0] + " bytes (truncated file?)"), m);
        }
    }

    @Test
    void everyTruncationIsReportedCleanly() throws IOException {
        Path p = dir.resolve("prefix.safetensors");
        for (int len = 0; len < valid.length; len++) {
            Files.write(p, Arrays.copyOf(valid, len));
            openFails(p);
        }
    }

    @Test
    void absurdHeaderLengthsAreRefusedBeforeAllocating() throws IOException {
        for (long n : new long[] {1L << 62, -1L, Long.MAX_VALUE}) {
            byte[] bytes = valid.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            Path p = dir.resolve("len" + Long.toHexString(n) + ".safetensors");
            Files.write(p, bytes);
            String m = openFails(p);
            assertTrue(m.contains("header length " + Long.toUnsignedString(n) + " is larger than the"), m);
        }
    }

    @Test
    void headerLengthOverTheLimitIsRefusedEvenIfTheFileIsThatLarge() throws IOException {
        Path p = dir.resolve("huge-header.safetensors");
        long n = Header.MAX_HEADER_BYTES + 8;
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(8 + n);  // sparse on most file systems: costs no disk
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        }
        assertTrue(openFails(p).contains("header length " + n + " exceeds the limit of 100000000 bytes"));
    }

    @Test
    void headerMustBeUtf8() throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int at = header.indexOf("\"x\"") + 1;
        h[at] = (byte) 0xC3;  // a lead byte with no continuation
        assertTrue(openFails(file("bad-utf8", h, data)).contains("header is not valid UTF-8"));
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("absent.safetensors");
        assertTrue(openFails(p).contains("absent.safetensors: cannot read: no such file"));
    }

    /**
     * Random byte damage to the length prefix and header must never escape as anything but a WeightsException,
     * and whatever is accepted must point inside the data. Runs the parser on memory, so it can try many.
     */
    @Test
    void randomHeaderDamage() {
        Random rnd = new Random(20250301);
        int headerEnd = valid.length - data.length;
        int accepted = 0;
        for (int round = 0; round < 5_000; round++) {
            byte[] bytes = valid.clone();
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                bytes[rnd.nextInt(headerEnd)] = (byte) (rnd.nextBoolean() ? rnd.nextInt(256) : "{}[],:\"0123456789-".charAt(rnd.nextInt(18)));
            }
            try {
                Header h = Header.read("fuzz", MemorySegment.ofArray(bytes));
                for (TensorInfo t : h.tensors().values()) {
                    assertTrue(t.begin() >= 0 && t.begin() <= t.end() && h.dataStart() + t.end() <= bytes.length, t.toString());
                    assertEquals(t.elementCount() * t.dtype().byteSize(), t.byteLength(), t.toString());
                }
                accepted++;
            } catch (WeightsException e) {
                assertTrue(e.getMessage().startsWith("fuzz: "), e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("round " + round + ": " + e + " for header " + new String(bytes, StandardCharsets.ISO_8859_1), e);
            }
        }
        assertTrue(accepted > 0, "some damage is harmless (a changed digit in metadata), so both paths run");
    }

    /** A file with the given header bytes (length prefix fixed up) followed by the given data. */
    private Path file(String label, byte[] headerBytes, byte[] dataBytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 + headerBytes.length + dataBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerBytes.length).put(headerBytes).put(dataBytes);
        Path p = dir.resolve(label + ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    /** Opens {@code p} expecting a WeightsException whose message starts with the file; returns the message. */
    private static String openFails(Path p) {
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(p).close());
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        return e.getMessage();
    }
}
