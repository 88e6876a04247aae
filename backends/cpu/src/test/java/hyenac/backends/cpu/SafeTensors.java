package hyenac.backends.cpu;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A minimal safetensors reader for the tests: 8-byte little-endian header length, a JSON header
 * (name → dtype, shape, data_offsets relative to the data section; plus {@code __metadata__}), then the
 * raw little-endian data. Only F32 tensors are decoded.
 */
final class SafeTensors {
    record Entry(String dtype, long[] shape, long begin, long end) {}

    private final Path path;
    private final ByteBuffer data;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafeTensors(Path path, byte[] bytes) {
        this.path = path;
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = all.getLong(0);
        if (headerLength < 2 || 8 + headerLength > bytes.length) throw new IllegalArgumentException(path + ": bad header length " + headerLength);
        String json = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        JsonObject header = JsonParser.parseString(json).getAsJsonObject();
        int start = 8 + (int) headerLength;
        this.data = all.slice(start, bytes.length - start).order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            JsonObject o = e.getValue().getAsJsonObject();
            if (e.getKey().equals("__metadata__")) {
                for (Map.Entry<String, JsonElement> m : o.entrySet()) metadata.put(m.getKey(), m.getValue().getAsString());
                continue;
            }
            var shapeJson = o.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) shape[i] = shapeJson.get(i).getAsLong();
            var offsets = o.getAsJsonArray("data_offsets");
            Entry entry = new Entry(o.get("dtype").getAsString(), shape, offsets.get(0).getAsLong(), offsets.get(1).getAsLong());
            if (entry.begin < 0 || entry.end < entry.begin || entry.end > data.capacity()) {
                throw new IllegalArgumentException(path + ": " + e.getKey() + " has data offsets outside the file");
            }
            entries.put(e.getKey(), entry);
        }
    }

    static SafeTensors read(Path path) {
        try {
            return new SafeTensors(path, Files.readAllBytes(path));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + path, e);
        }
    }

    Set<String> names() { return entries.keySet(); }

    boolean has(String name) { return entries.containsKey(name); }

    String meta(String key) { return metadata.get(key); }

    long[] shape(String name) { return entry(name).shape.clone(); }

    float[] f32(String name) {
        Entry e = entry(name);
        if (!e.dtype.equals("F32")) throw new IllegalArgumentException(path + ": " + name + " is " + e.dtype + ", not F32");
        long count = 1;
        for (long d : e.shape) count *= d;
        if (count * 4 != e.end - e.begin) throw new IllegalArgumentException(path + ": " + name + " size does not match its shape");
        float[] out = new float[(int) count];
        data.slice((int) e.begin, (int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new IllegalArgumentException(path + " has no tensor " + name);
        return e;
    }
}
