package hyenac.compiler.kernels;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import hyenac.compiler.artifact.Executable;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Shape;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code hyenac tune} measured: each convolution's candidate algorithms timed on a device at a shape, kept per
 * (device, convolution, shape, hyenac version) in one JSON file that the select pass reads. A measurement wins over
 * the cost model wherever every algorithm the target offers was measured for the device it plans for.
 *
 * <p>The file is {@code $HYENAC_TUNING}, else {@code $XDG_CACHE_HOME/hyenac/tuning.json}, else
 * {@code ~/.cache/hyenac/tuning.json}; {@code -Dhyenac.tuning=FILE} reads another, {@code -Dhyenac.tuning=off} none
 * (plans by the model alone).
 */
public final class Tuning {
    /** One measured convolution: its candidates' median seconds and when they were taken. */
    public record Entry(String device, String version, String key, Map<Algorithm, Double> seconds, String measured) {
        public Entry {
            seconds = new EnumMap<>(seconds);
        }

        public Algorithm fastest() {
            return seconds.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
        }
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    private static final Tuning NONE = new Tuning(null, List.of());

    private final Path file;
    /** By device, then key; the current version's entries only (others are kept in the file, untouched). */
    private final Map<String, Entry> entries = new TreeMap<>();
    private final List<JsonObject> others = new ArrayList<>();

    private Tuning(Path file, List<Entry> entries) {
        this.file = file;
        for (Entry e : entries) this.entries.put(id(e.device(), e.key()), e);
    }

    /** No measurements: choices by the cost model alone. */
    public static Tuning none() { return NONE; }

    /**
     * The user's tuning file (see the class comment; {@code -Dhyenac.tuning=FILE} names another), read as a pipeline is
     * made; none when switched off.
     */
    public static Tuning standard() {
        String setting = System.getProperty("hyenac.tuning", "");
        return setting.equalsIgnoreCase("off") ? NONE : load(setting.isBlank() ? defaultFile() : Path.of(setting));
    }

    /** Where the tuning file is kept when nothing names another. */
    public static Path defaultFile() {
        String named = System.getenv("HYENAC_TUNING");
        if (named != null && !named.isBlank()) return Path.of(named);
        String cache = System.getenv("XDG_CACHE_HOME");
        Path base = cache != null && !cache.isBlank() ? Path.of(cache) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("hyenac").resolve("tuning.json");
    }

    /**
     * Reads {@code file}; a missing file is an empty tuning.
     *
     * @throws IllegalArgumentException naming the file and what is wrong, when it is not a tuning file
     */
    public static Tuning load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return new Tuning(file, List.of());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the tuning file (" + e.getMessage() + ")", e);
        }
        Tuning t = new Tuning(file, List.of());
        try {
            JsonObject root = JsonParser.parseString(text).getAsJsonObject();
            JsonArray list = root.getAsJsonArray("measurements");
            if (list == null) throw new IllegalArgumentException("it has no `measurements` list");
            String version = Executable.hyenacVersion();
            for (JsonElement el : list) {
                JsonObject o = el.getAsJsonObject();
                if (!version.equals(string(o, "hyenac"))) {
                    t.others.add(o); // another version's kernels: kept for it, not used here
                    continue;
                }
                Map<Algorithm, Double> seconds = new EnumMap<>(Algorithm.class);
                for (var s : o.getAsJsonObject("ms").entrySet()) {
                    seconds.put(KernelPipeline.preferred(s.getKey()), s.getValue().getAsDouble() / 1e3);
                }
                Entry e = new Entry(string(o, "device"), version, string(o, "key"), seconds, string(o, "measured"));
                t.entries.put(id(e.device(), e.key()), e);
            }
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException | NullPointerException | UnsupportedOperationException e) {
            throw new IllegalArgumentException(file + ": not a hyenac tuning file (" + e.getMessage() + "); delete it or run `hyenac tune` again"
                    + " (-Dhyenac.tuning=off ignores it)", e);
        }
        return t;
    }

    private static String string(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null || !e.isJsonPrimitive()) throw new IllegalArgumentException("a measurement has no `" + name + "`");
        return e.getAsString();
    }

    /** The file this tuning was read from (null for {@link #none()}). */
    public Path file() { return file; }

    public boolean isEmpty() { return entries.isEmpty(); }

    /** The measurement of {@code key} on {@code device} by this hyenac, if there is one. */
    public Optional<Entry> find(String device, String key) { return Optional.ofNullable(entries.get(id(device, key))); }

    /** Records (or replaces) a measurement; {@link #save()} writes it. */
    public void put(Entry e) { entries.put(id(e.device(), e.key()), e); }

    /** Writes every entry back to the file, through a temporary file beside it so a crash leaves the old one whole. */
    public void save() throws IOException {
        if (file == null) throw new IllegalStateException("no tuning file to save to");
        JsonArray list = new JsonArray();
        others.forEach(list::add);
        for (Entry e : entries.values()) {
            JsonObject o = new JsonObject();
            o.addProperty("device", e.device());
            o.addProperty("hyenac", e.version());
            o.addProperty("key", e.key());
            JsonObject ms = new JsonObject();
            e.seconds().forEach((a, s) -> ms.addProperty(a.spelling(), s * 1e3));
            o.add("ms", ms);
            o.addProperty("fastest", e.fastest().spelling());
            o.addProperty("measured", e.measured());
            list.add(o);
        }
        JsonObject root = new JsonObject();
        root.addProperty("about", "hyenac tune: median ms of each convolution's candidate algorithms, per device, shape and hyenac version");
        root.add("measurements", list);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "tuning", ".tmp");
        try {
            Files.writeString(tmp, GSON.toJson(root) + "\n");
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * What a measurement of node {@code n} at {@code at} is filed under: the primitive, the attributes that shape its
     * work, its width and element type, and the batch and length — everything the candidates' times depend on.
     */
    public static String key(Graph g, Node n, Shape at) {
        var type = g.value(n.operands().getFirst()).type();
        Map<String, Object> attrs = new TreeMap<>(n.attrs());
        StringBuilder s = new StringBuilder(n.op());
        attrs.forEach((k, v) -> s.append(' ').append(k).append('=').append(v));
        return s.append(String.format(Locale.ROOT, " channels=%d dtype=%s B=%d L=%d", type.channels(), type.dtype().spelling(),
                at.batch(), at.length())).toString();
    }

    private static String id(String device, String key) { return device + "\u0000" + key; }

    /** For tests: a tuning of these entries, saved to {@code file}. */
    static Tuning of(Path file, List<Entry> entries) { return new Tuning(file, entries); }
}
