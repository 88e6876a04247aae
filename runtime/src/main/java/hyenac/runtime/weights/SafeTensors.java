package hyenac.runtime.weights;

import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (name to dtype,
 * shape and data_offsets, plus an optional {@code __metadata__} string map), then the raw little-endian
 * tensor data, with offsets counted from the first byte after the header.
 */
public final class SafeTensors {
    private SafeTensors() {}

    /** Memory-maps {@code path} and validates its header; any problem is one {@link WeightsException}. */
    public static SafeTensorsFile open(Path path) {
        if (java.nio.file.Files.isDirectory(path)) throw new WeightsException(path + " is a directory, not a .safetensors file");
        // A shared arena: the mapping may be read from any thread, and a long mapping (> 2 GiB) is fine.
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new SafeTensorsFile(path, arena, file, Header.read(path.toString(), file));
        } catch (IOException e) {
            arena.close();
            String why = e instanceof NoSuchFileException ? "no such file" : e.toString();
            throw new WeightsException(path + ": cannot read: " + why, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Writes {@code tensors}, laid out back to back in the given order, with {@code metadata} (may be empty; written in key
     * order).
     * The header is padded with spaces to a multiple of 8 bytes, so 8-byte-aligned data stays aligned.
     * The file appears atomically: the content goes to a temporary file beside it, which is then renamed.
     */
    public static void write(Path path, Map<String, String> metadata, List<TensorData> tensors) {
        byte[] header = headerBytes(path, metadata, tensors);
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + path.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
                writeFully(ch, ByteBuffer.wrap(header));
                for (TensorData t : tensors) writeFully(ch, t.data().duplicate());
                ch.force(true);  // the rename must not become visible before the bytes are on disk
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (IOException e) {
            throw new WeightsException(path + ": cannot write: " + e, e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is the one worth reporting
                }
            }
        }
    }

    /** Validates what is about to be written and renders the padded JSON header. */
    private static byte[] headerBytes(Path path, Map<String, String> metadata, List<TensorData> tensors) {
        StringWriter json = new StringWriter();
        try (JsonWriter w = new JsonWriter(json)) {
            w.beginObject();
            if (!metadata.isEmpty()) {
                w.name("__metadata__").beginObject();
                for (var e : metadata.entrySet()) {
                    if (e.getKey() == null || e.getValue() == null) {
                        throw new WeightsException(path + ": metadata keys and values must not be null");
                    }
                }
                // In key order, whatever the map's: the same content always gives the same bytes.
                for (String key : new java.util.TreeMap<>(metadata).keySet()) w.name(key).value(metadata.get(key));
                w.endObject();
            }
            Set<String> seen = new HashSet<>();
            long offset = 0;
            for (TensorData t : tensors) {
                String where = path + ": tensor \"" + t.name() + "\": ";
                if (t.name().equals("__metadata__")) throw new WeightsException(where + "that name is reserved");
                if (!seen.add(t.name())) throw new WeightsException(where + "name given twice");
                long bytes = byteLength(where, t);
                if (t.data().remaining() != bytes) {
                    throw new WeightsException(where + "shape " + Arrays.toString(t.shape()) + " of " + t.dtype()
                            + " needs " + bytes + " bytes but " + t.data().remaining() + " were given");
                }
                w.name(t.name()).beginObject();
                w.name("dtype").value(t.dtype().name());
                w.name("shape").beginArray();
                for (long d : t.shape()) w.value(d);
                w.endArray();
                w.name("data_offsets").beginArray().value(offset).value(offset + bytes).endArray();
                w.endObject();
                offset += bytes;
            }
            w.endObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing to a StringWriter cannot fail", e);
        }
        byte[] raw = json.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(raw, (raw.length + 7) & ~7);
        Arrays.fill(padded, raw.length, padded.length, (byte) ' ');
        return padded;
    }

    private static long byteLength(String where, TensorData t) {
        long[] shape = t.shape();
        try {
            long count = 1;
            for (long d : shape) {
                if (d < 0) throw new WeightsException(where + "negative dimension in shape " + Arrays.toString(shape));
                count = Math.multiplyExact(count, d);
            }
            return Math.multiplyExact(count, t.dtype().byteSize());
        } catch (ArithmeticException e) {
            throw new WeightsException(where + "shape " + Arrays.toString(shape) + " has too many elements");
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
