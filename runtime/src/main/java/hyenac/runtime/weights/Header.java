package hyenac.runtime.weights;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import hyenac.runtime.text.JsonErrors;

import java.io.IOException;
import java.io.StringReader;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Reads and validates a safetensors header. Everything wrong with a file is reported here, once, as a
 * {@link WeightsException}, so that readers of tensor data can trust the offsets they are given.
 */
record Header(Map<String, String> metadata, SequencedMap<String, TensorInfo> tensors, long dataStart) {

    /** The same cap the reference implementation uses; checked before the header is copied out of the file. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    private static final ValueLayout.OfLong U64_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Parses the header of {@code file}, whose whole content is {@code bytes}; {@code where} names it in messages. */
    static Header read(String where, MemorySegment bytes) {
        long size = bytes.byteSize();
        if (size < 8) {
            throw new WeightsException(where + ": file is too short (" + size
                    + " bytes) to hold the 8-byte header length (not a safetensors file?)");
        }
        long n = bytes.get(U64_LE, 0);  // unsigned on disk: a huge value reads as negative here
        if (Long.compareUnsigned(n, size - 8) > 0) {
            throw new WeightsException(where + ": header length " + Long.toUnsignedString(n)
                    + " is larger than the " + (size - 8)
                    + " bytes that follow it (truncated file, or not a safetensors file?)");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new WeightsException(where + ": header length " + n + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes (corrupt file?)");
        }
        String json = decodeUtf8(where, bytes.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE));
        long dataStart = 8 + n;
        return new Parser(where, json, size - dataStart).parse(dataStart);
    }

    private static String decodeUtf8(String where, byte[] raw) {
        try {
            // Strict decoding: a header with broken UTF-8 is corrupt, not something to patch with U+FFFD.
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new WeightsException(where + ": header is not valid UTF-8", e);
        }
    }

    /** One pass over the JSON with a streaming reader, so duplicate keys are seen rather than merged. */
    private static final class Parser {
        private final String where;
        private final JsonReader in;
        private final long dataSize;

        Parser(String where, String json, long dataSize) {
            this.where = where;
            this.in = new JsonReader(new StringReader(json));
            this.in.setStrictness(Strictness.STRICT);
            this.dataSize = dataSize;
        }

        Header parse(long dataStart) {
            Map<String, String> metadata = Map.of();
            SequencedMap<String, TensorInfo> tensors = new LinkedHashMap<>();
            boolean sawMetadata = false;
            try {
                if (in.peek() != JsonToken.BEGIN_OBJECT) {
                    throw fail("header must be a JSON object, found " + kind(in.peek()));
                }
                in.beginObject();
                while (in.hasNext()) {
                    String name = in.nextName();
                    if (name.equals("__metadata__")) {
                        if (sawMetadata) throw fail("__metadata__ appears twice");
                        sawMetadata = true;
                        metadata = readMetadata();
                    } else {
                        if (tensors.containsKey(name)) throw fail(name, "name appears twice in the header");
                        tensors.put(name, readTensor(name));
                    }
                }
                in.endObject();
                if (in.peek() != JsonToken.END_DOCUMENT) throw fail("unexpected content after the header object");
            } catch (IOException | IllegalStateException | NumberFormatException e) {
                throw new WeightsException(where + ": header is not valid JSON: " + JsonErrors.reason(e), e);
            }
            checkNoOverlap(tensors.values());
            return new Header(metadata, Collections.unmodifiableSequencedMap(tensors), dataStart);
        }

        private Map<String, String> readMetadata() throws IOException {
            if (in.peek() != JsonToken.BEGIN_OBJECT) {
                throw fail("__metadata__ must be an object of strings, found " + kind(in.peek()));
            }
            Map<String, String> m = new LinkedHashMap<>();
            in.beginObject();
            while (in.hasNext()) {
                String key = in.nextName();
                if (in.peek() != JsonToken.STRING) {
                    throw fail("__metadata__ \"" + key + "\" must be a string, found " + kind(in.peek()));
                }
                if (m.put(key, in.nextString()) != null) throw fail("__metadata__ \"" + key + "\" appears twice");
            }
            in.endObject();
            return Collections.unmodifiableMap(m);
        }

        private TensorInfo readTensor(String name) throws IOException {
            if (in.peek() != JsonToken.BEGIN_OBJECT) {
                throw fail(name, "entry must be an object with dtype, shape and data_offsets, found " + kind(in.peek()));
            }
            String dtypeName = null;
            long[] shape = null;
            long[] offsets = null;
            in.beginObject();
            while (in.hasNext()) {
                switch (in.nextName()) {
                    case "dtype" -> {
                        if (in.peek() != JsonToken.STRING) throw fail(name, "dtype must be a string, found " + kind(in.peek()));
                        dtypeName = in.nextString();
                    }
                    case "shape" -> shape = readIntegers(name, "shape");
                    case "data_offsets" -> offsets = readIntegers(name, "data_offsets");
                    default -> in.skipValue();  // unknown fields are tolerated, as the reference reader does
                }
            }
            in.endObject();

            if (dtypeName == null) throw fail(name, "missing dtype");
            if (shape == null) throw fail(name, "missing shape");
            if (offsets == null) throw fail(name, "missing data_offsets");
            SafetensorsType dtype = SafetensorsType.fromHeader(dtypeName);
            if (dtype == null) {
                throw fail(name, "unknown dtype \"" + dtypeName + "\" (expected one of " + Arrays.toString(SafetensorsType.values()) + ")");
            }
            for (long d : shape) {
                if (d < 0) throw fail(name, "shape " + Arrays.toString(shape) + " has a negative dimension");
            }
            if (offsets.length != 2) {
                throw fail(name, "data_offsets must be [begin, end], found " + Arrays.toString(offsets));
            }
            long begin = offsets[0], end = offsets[1];
            if (begin < 0 || end < begin) {
                throw fail(name, "data_offsets [" + begin + ", " + end + "] must satisfy 0 <= begin <= end");
            }
            long bytes;
            try {
                long count = 1;
                for (long d : shape) count = Math.multiplyExact(count, d);
                bytes = Math.multiplyExact(count, dtype.byteSize());
            } catch (ArithmeticException e) {
                throw fail(name, "shape " + Arrays.toString(shape) + " has too many elements (overflows 64 bits)");
            }
            if (end > dataSize) {
                throw fail(name, "data ends at byte " + end + " but the file's data section is " + dataSize
                        + " bytes (truncated file?)");
            }
            if (end - begin != bytes) {
                throw fail(name, "shape " + Arrays.toString(shape) + " of " + dtype + " needs " + bytes
                        + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
            }
            return new TensorInfo(name, dtype, shape, begin, end);
        }

        /** A JSON array of integers; the literal text is parsed so that 2.5 or 1e3 is refused, not rounded. */
        private long[] readIntegers(String tensor, String field) throws IOException {
            if (in.peek() != JsonToken.BEGIN_ARRAY) {
                throw fail(tensor, field + " must be an array of integers, found " + kind(in.peek()));
            }
            List<Long> values = new ArrayList<>();
            in.beginArray();
            while (in.hasNext()) {
                if (in.peek() != JsonToken.NUMBER) {
                    throw fail(tensor, field + " must be an array of integers, found " + kind(in.peek()) + " in it");
                }
                String text = in.nextString();
                try {
                    values.add(Long.parseLong(text));
                } catch (NumberFormatException e) {
                    throw fail(tensor, field + " holds " + text + ", which is not a 64-bit integer");
                }
            }
            in.endArray();
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        /** Two tensors sharing bytes would alias silently; empty tensors occupy nothing and are skipped. */
        private void checkNoOverlap(Iterable<TensorInfo> all) {
            List<TensorInfo> sorted = new ArrayList<>();
            for (TensorInfo t : all) if (t.end() > t.begin()) sorted.add(t);
            sorted.sort(Comparator.comparingLong(TensorInfo::begin));
            for (int i = 1; i < sorted.size(); i++) {
                TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
                if (a.end() > b.begin()) {
                    throw new WeightsException(where + ": tensors \"" + a.name() + "\" [" + a.begin() + ", " + a.end()
                            + ") and \"" + b.name() + "\" [" + b.begin() + ", " + b.end() + ") overlap");
                }
            }
        }

        private WeightsException fail(String message) {
            return new WeightsException(where + ": " + message);
        }

        private WeightsException fail(String tensor, String message) {
            return new WeightsException(where + ": tensor \"" + tensor + "\": " + message);
        }

        private static String kind(JsonToken t) {
            return switch (t) {
                case BEGIN_ARRAY -> "an array";
                case BEGIN_OBJECT -> "an object";
                case STRING -> "a string";
                case NUMBER -> "a number";
                case BOOLEAN -> "a boolean";
                case NULL -> "null";
                default -> t.toString();
            };
        }
    }
}
