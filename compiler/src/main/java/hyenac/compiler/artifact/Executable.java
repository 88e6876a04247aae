package hyenac.compiler.artifact;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import hyenac.runtime.text.JsonErrors;
import com.google.gson.JsonPrimitive;
import hyenac.compiler.Compilation;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.ir.Graph;
import hyenac.ir.Printer;
import hyenac.ir.Weight;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Planner;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.weights.NotEnoughMemoryException;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A compiled model as one file, the .hyx: a zip holding
 * <pre>
 *   format               "hyx 3"
 *   meta.json            model name, hyenac version, target, the root spec's name, where the weights came from,
 *                        the precision the target computes in, and a summary of the kernels carried
 *   spec/…               the root spec and the user files it imports ("std" belongs to hyenac and is not stored)
 *   plan.ir              the graph after the passes, as {@link Printer} writes it
 *   weights.json         the weight manifest: name, dtype, shape, layout of every weight the plan reads
 *   kernels/…            for a GPU target: its device code ({@link DeviceCode}), laid out as that target reads it
 *   plans/PHASE.json     for a GPU target: the kernel plan of each phase (parallel, prefill, step) as {@link PlanJson} writes it
 *                        (for cuda: the generated .cu sources, PTX when nvcc was at hand, an index)
 *   weights.safetensors  optional: the weights under our names, fp32
 *   checksums            SHA-256 of every other entry, one "HEX  NAME" line each
 * </pre>
 * Opening one checks the format, every checksum and every entry name, then elaborates the embedded spec
 * again and insists on the same plan and manifest: a .hyx never runs a plan this hyenac would not make.
 * Every problem is one {@link ArtifactException} naming the file and the entry. {@code hyx 1} (before targets
 * carried kernels: no precision or kernels in meta.json, no kernels/) is read as a cpu artifact in fp32.
 */
public final class Executable implements AutoCloseable {
    public static final String FORMAT = "hyx 3";
    /** The formats this hyenac reads, oldest first. */
    public static final List<String> READS = List.of("hyx 1", "hyx 2", FORMAT);
    /** The targets an artifact may be compiled for. */
    public static final List<String> TARGETS = List.of("cpu", "cuda");
    static final String FORMAT_ENTRY = "format";
    static final String META = "meta.json";
    static final String PLAN = "plan.ir";
    static final String MANIFEST = "weights.json";
    static final String WEIGHTS = "weights.safetensors";
    static final String CHECKSUMS = "checksums";
    static final String SPEC_DIR = "spec/";
    static final String KERNELS_DIR = "kernels/";
    static final String PLANS_DIR = "plans/";
    private static final Set<String> FIXED = Set.of(FORMAT_ENTRY, META, PLAN, MANIFEST, WEIGHTS, CHECKSUMS);
    // Everything but the weights is text; a cap keeps a hostile archive from filling the heap.
    private static final long MAX_TEXT = 64L << 20;
    // A fixed timestamp: compiling the same spec twice gives the same bytes.
    static final long ENTRY_TIME = 946_684_800_000L;

    /**
     * What meta.json records. {@code weights} says where embedded weights came from, or "none"; {@code precision}
     * is what the target computes in (fp32 or bf16); {@code kernels} summarises the device code carried, or "none".
     */
    public record Meta(String model, String hyenac, String target, String spec, String weights, String precision, String kernels) {}

    private final String name;
    private final String format;
    private final Meta meta;
    private final Compilation.Result compilation;
    private final Graph graph;
    private final DeviceCode deviceCode;
    private final Map<Phase, String> plans;
    private final Map<String, Long> entries;
    private final Path tempDir;
    private final Path weightsFile;

    private Executable(String name, String format, Meta meta, Compilation.Result compilation, Graph graph, DeviceCode deviceCode,
                       Map<Phase, String> plans, Map<String, Long> entries, Path tempDir, Path weightsFile) {
        this.plans = plans;
        this.name = name;
        this.format = format;
        this.meta = meta;
        this.compilation = compilation;
        this.graph = graph;
        this.deviceCode = deviceCode;
        this.entries = entries;
        this.tempDir = tempDir;
        this.weightsFile = weightsFile;
    }

    /** The format line, e.g. "hyx 2". */
    public String format() { return format; }

    public Meta meta() { return meta; }

    /** The device code carried for a GPU target, or null (a cpu artifact). */
    public DeviceCode deviceCode() { return deviceCode; }

    /**
     * The planner a run of this artifact uses: the stored plans (hyx 3, GPU targets) once {@code fresh}, the kernel
     * pipeline on the embedded spec, is found to make the same ones; else {@code fresh} itself (hyx 1 and 2).
     *
     * @throws ArtifactException naming the entry when a stored plan is not the one the embedded spec compiles to
     */
    public Planner planner(KernelPipeline fresh) {
        return plans.isEmpty() ? fresh : StoredPlans.check(name, meta.hyenac(), plans, fresh);
    }

    /** Every entry with its size in bytes, in the archive's order: what the artifact carries. */
    public Map<String, Long> entries() { return entries; }

    /** The embedded spec compiled again by this hyenac (its plan equals the stored one). */
    public Compilation.Result compilation() { return compilation; }

    public Graph graph() { return graph; }

    public boolean hasWeights() { return weightsFile != null; }

    /** The embedded weights, checked against the plan's manifest. */
    public WeightStore weights() {
        return weights(WeightStore.Options.defaults());
    }

    /** The embedded weights, checked against the plan's manifest, loaded as {@code options} say. */
    public WeightStore weights(WeightStore.Options options) {
        if (weightsFile == null) throw new ArtifactException(name + ": holds no weights");
        try (SafeTensorsFile f = SafeTensors.open(weightsFile)) {
            return WeightStore.load(f, graph, options);
        } catch (NotEnoughMemoryException e) {
            throw e;  // names no file; the command line adds how to give Java more memory
        } catch (WeightsException e) {
            // The temporary copy's path means nothing to the reader; name the entry instead.
            throw new ArtifactException(e.getMessage().replace(weightsFile.toString(), name + ": entry " + WEIGHTS), e);
        }
    }

    /** Removes the files extracted while opening. */
    @Override public void close() {
        deleteTree(tempDir);
    }

    /** The version of this hyenac, as the build recorded it. */
    public static String hyenacVersion() {
        Properties p = new Properties();
        try (InputStream in = Executable.class.getResourceAsStream("/hyenac/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // an unreadable resource only costs the version its name
        }
        return p.getProperty("version", "unknown");
    }

    /** Whether {@code file} should be read as an artifact: it is named .hyx or starts like a zip. */
    public static boolean looksLikeArtifact(Path file) {
        if (file.getFileName() != null && file.getFileName().toString().endsWith(".hyx")) return true;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------- writing

    /**
     * The graph as an artifact of {@code c}, compiled from {@code rootSpec}, stores it: origins relative to
     * {@code spec/}. Device code for the artifact is generated from this graph, as the artifact is read back as it.
     */
    public static Graph plan(Path rootSpec, Compilation.Result c) {
        if (!c.ok()) throw new IllegalArgumentException("only a successful compilation has a plan");
        return SpecFiles.of(rootSpec, c.checked()).relabel(c.graph());
    }

    /**
     * Writes {@code c}, compiled from {@code rootSpec}, to {@code out}: for the cpu target when {@code deviceCode} is
     * null, else for its target, carrying it; {@code weights} (may be null) are embedded, {@code weightsNote} says
     * where they came from. The file appears atomically.
     */
    public static void write(Path out, Path rootSpec, Compilation.Result c, DeviceCode deviceCode, WeightStore weights, String weightsNote) {
        write(out, rootSpec, c, deviceCode, Map.of(), weights, weightsNote);
    }

    /** As above, storing {@code plans} (the kernel plan of each phase, for a GPU target) beside the device code. */
    public static void write(Path out, Path rootSpec, Compilation.Result c, DeviceCode deviceCode, Map<Phase, Plan> plans, WeightStore weights,
                             String weightsNote) {
        if (!c.ok()) throw new IllegalArgumentException("only a successful compilation can be written");
        SpecFiles specs = SpecFiles.of(rootSpec, c.checked());
        for (String rel : specs.files().keySet()) {
            if (!safeName(SPEC_DIR + rel)) throw new ArtifactException(out + ": cannot store the spec file " + rel + " (its name is not portable)");
        }
        if (deviceCode != null) {
            for (String rel : deviceCode.files().keySet()) {
                if (!safeName(KERNELS_DIR + rel)) throw new IllegalArgumentException("a kernel file needs a portable name, not " + rel);
            }
        }
        Graph g = specs.relabel(c.graph());
        Meta meta = new Meta(c.model().name(), hyenacVersion(), deviceCode == null ? "cpu" : deviceCode.target(), specs.root(),
                weights == null ? "none" : weightsNote, deviceCode == null ? "fp32" : deviceCode.precision(),
                deviceCode == null ? "none" : deviceCode.summary());
        Path dir = out.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + out.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        Path weightsTmp = null;
        boolean done = false;
        try {
            if (weights != null) {
                weightsTmp = Files.createTempFile(dir, "." + out.getFileName() + ".weights", ".tmp");
                weights.save(weightsTmp, c.graph(), Map.of("format", "pt", "hyenac", meta.hyenac()));
            }
            Map<String, String> sums = new LinkedHashMap<>();
            try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(tmp))) {
                putText(zip, FORMAT_ENTRY, FORMAT + "\n", sums);
                putText(zip, META, metaJson(meta), sums);
                for (var e : specs.files().entrySet()) putBytes(zip, SPEC_DIR + e.getKey(), Files.readAllBytes(e.getValue()), sums);
                putText(zip, PLAN, Printer.print(g), sums);
                putText(zip, MANIFEST, manifest(g), sums);
                if (deviceCode != null) {
                    for (var e : deviceCode.files().entrySet()) putBytes(zip, KERNELS_DIR + e.getKey(), e.getValue(), sums);
                }
                for (Phase phase : Phase.values()) {
                    if (plans.containsKey(phase)) putText(zip, PLANS_DIR + phase.spelling() + ".json", PlanJson.write(plans.get(phase)), sums);
                }
                if (weightsTmp != null) putStored(zip, WEIGHTS, weightsTmp, sums);
                String list = sums.entrySet().stream().map(e -> e.getValue() + "  " + e.getKey() + "\n").collect(Collectors.joining());
                putBytes(zip, CHECKSUMS, list.getBytes(StandardCharsets.UTF_8), new LinkedHashMap<>());
            }
            move(tmp, out);
            done = true;
        } catch (IOException e) {
            throw new ArtifactException(out + ": cannot write: " + describe(e), e);
        } catch (UncheckedIOException e) {
            throw new ArtifactException(out + ": cannot write: " + describe(e.getCause()), e);
        } catch (WeightsException e) {
            throw new ArtifactException(out + ": cannot write the weights: " + e.getMessage(), e);
        } finally {
            deleteQuietly(weightsTmp);
            if (!done) deleteQuietly(tmp);
        }
    }

    private static void putText(ZipOutputStream zip, String entry, String text, Map<String, String> sums) throws IOException {
        putBytes(zip, entry, text.getBytes(StandardCharsets.UTF_8), sums);
    }

    private static void putBytes(ZipOutputStream zip, String entry, byte[] bytes, Map<String, String> sums) throws IOException {
        ZipEntry e = new ZipEntry(entry);
        e.setTime(ENTRY_TIME);
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
        sums.put(entry, HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    /** Weights are stored, not deflated: floats hardly compress, and a plain copy is fast to extract. */
    private static void putStored(ZipOutputStream zip, String entry, Path file, Map<String, String> sums) throws IOException {
        CRC32 crc = new CRC32();
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                crc.update(buf, 0, n);
                sha.update(buf, 0, n);
            }
        }
        ZipEntry e = new ZipEntry(entry);
        e.setTime(ENTRY_TIME);
        e.setMethod(ZipEntry.STORED);
        e.setSize(Files.size(file));
        e.setCompressedSize(Files.size(file));
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        Files.copy(file, zip);
        zip.closeEntry();
        sums.put(entry, HexFormat.of().formatHex(sha.digest()));
    }

    private static String metaJson(Meta m) {
        return "{\n"
                + "  \"model\": " + quote(m.model()) + ",\n"
                + "  \"hyenac\": " + quote(m.hyenac()) + ",\n"
                + "  \"target\": " + quote(m.target()) + ",\n"
                + "  \"spec\": " + quote(m.spec()) + ",\n"
                + "  \"weights\": " + quote(m.weights()) + ",\n"
                + "  \"precision\": " + quote(m.precision()) + ",\n"
                + "  \"kernels\": " + quote(m.kernels()) + "\n"
                + "}\n";
    }

    /** One weight a line, in the graph's order, so the manifest reads well and diffs well. */
    static String manifest(Graph g) {
        StringBuilder b = new StringBuilder("{\n  \"weights\": [");
        String sep = "\n";
        for (Weight w : g.weights().values()) {
            b.append(sep).append("    {\"name\": ").append(quote(w.name()))
                    .append(", \"dtype\": ").append(quote(w.dtype().spelling()))
                    .append(", \"shape\": ").append(w.shape())
                    .append(", \"layout\": ").append(w.layout() == null ? "null" : quote(w.layout())).append('}');
            sep = ",\n";
        }
        return b.append("\n  ]\n}\n").toString();
    }

    private static String quote(String s) { return new JsonPrimitive(s).toString(); }

    // ---------------------------------------------------------------------------------------- reading

    /** Opens and fully checks {@code file}; the caller closes the result to remove what was extracted. */
    public static Executable open(Path file) {
        return open(file, file.toString());
    }

    /** As {@link #open(Path)}, naming the artifact {@code name} in messages (e.g. a resource inside a jar). */
    public static Executable open(Path file, String name) {
        if (!Files.exists(file)) throw new ArtifactException(name + ": no such file");
        Path temp;
        try {
            temp = Files.createTempDirectory("hyenac-hyx");
        } catch (IOException e) {
            throw new ArtifactException(name + ": cannot create a temporary directory to extract into: " + e.getMessage(), e);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Executable x = read(zip, name, temp);
            temp = null;  // now the Executable's to remove
            return x;
        } catch (ZipException e) {
            throw new ArtifactException(name + ": not a .hyx file, or truncated or damaged (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ArtifactException(name + ": cannot read: " + describe(e), e);
        } finally {
            if (temp != null) deleteTree(temp);
        }
    }

    private static Executable read(ZipFile zip, String name, Path temp) {
        Map<String, ZipEntry> entries = new LinkedHashMap<>();
        for (ZipEntry e : java.util.Collections.list(zip.entries())) {
            if (!safeName(e.getName())) {
                throw new ArtifactException(name + ": entry " + e.getName() + " has an unsafe path (absolute, or with `..`); refusing to read it");
            }
            if (e.isDirectory()) continue;
            boolean plan = e.getName().startsWith(PLANS_DIR) && Arrays.stream(Phase.values()).anyMatch(p -> e.getName().equals(PLANS_DIR + p.spelling() + ".json"));
            if (!FIXED.contains(e.getName()) && !e.getName().startsWith(SPEC_DIR) && !e.getName().startsWith(KERNELS_DIR) && !plan) {
                throw new ArtifactException(name + ": unexpected entry " + e.getName() + " (not part of the " + FORMAT + " format)");
            }
            if (entries.put(e.getName(), e) != null) throw new ArtifactException(name + ": entry " + e.getName() + " appears twice");
        }
        for (String required : List.of(FORMAT_ENTRY, CHECKSUMS, META, PLAN, MANIFEST)) {
            if (!entries.containsKey(required)) throw new ArtifactException(name + ": entry " + required + " is missing; not a complete .hyx file");
        }
        // The format first, as a newer layout may check itself differently; a line that is no format at all is damage.
        byte[] formatBytes = bytes(zip, entries.get(FORMAT_ENTRY), name);
        String format = new String(formatBytes, StandardCharsets.UTF_8).strip();
        if (!READS.contains(format) && format.matches("hyx [0-9]{1,9}")) {
            throw new ArtifactException(name + ": format `" + format + "` is not one this hyenac (" + hyenacVersion() + ") reads; it reads "
                    + String.join(", ", READS.subList(0, READS.size() - 1).stream().map(f -> "`" + f + "`").toList()) + " and `" + READS.getLast() + "`");
        }
        Map<String, String> sums = checksums(text(zip, entries.get(CHECKSUMS), name), name);
        if (!READS.contains(format)) {
            boolean damaged = !HexFormat.of().formatHex(sha256().digest(formatBytes)).equals(sums.get(FORMAT_ENTRY));
            throw new ArtifactException(name + ": entry " + FORMAT_ENTRY + (damaged ? " does not match its checksum (the file was changed or is damaged)"
                    : " does not hold a format line such as `" + FORMAT + "`"));
        }
        boolean v1 = format.equals("hyx 1");
        for (String entry : entries.keySet()) {
            if (!format.equals(FORMAT) && entry.startsWith(PLANS_DIR)) {
                throw new ArtifactException(name + ": unexpected entry " + entry + " (not part of the " + format + " format)");
            }
            if (v1 && entry.startsWith(KERNELS_DIR)) throw new ArtifactException(name + ": unexpected entry " + entry + " (not part of the hyx 1 format)");
            if (!entry.equals(CHECKSUMS) && !sums.containsKey(entry)) throw new ArtifactException(name + ": entry " + entry + " has no checksum");
        }
        for (String listed : sums.keySet()) {
            if (!entries.containsKey(listed)) throw new ArtifactException(name + ": entry " + listed + " is listed in checksums but missing");
        }

        Map<String, byte[]> contents = new LinkedHashMap<>();
        Path weightsFile = null;
        for (ZipEntry e : entries.values()) {
            if (e.getName().equals(CHECKSUMS)) continue;
            String got;
            if (e.getName().equals(WEIGHTS)) {
                weightsFile = temp.resolve(WEIGHTS);
                got = extract(zip, e, weightsFile, name);
            } else {
                byte[] bytes = bytes(zip, e, name);
                contents.put(e.getName(), bytes);
                got = HexFormat.of().formatHex(sha256().digest(bytes));
            }
            if (!got.equals(sums.get(e.getName()))) {
                throw new ArtifactException(name + ": entry " + e.getName() + " does not match its checksum (the file was changed or is damaged)");
            }
        }

        Meta meta = meta(contents.get(META), name, v1);
        Map<String, byte[]> kernels = new LinkedHashMap<>();
        contents.forEach((entry, bytes) -> {
            if (entry.startsWith(KERNELS_DIR)) kernels.put(entry.substring(KERNELS_DIR.length()), bytes);
        });
        if (meta.target().equals("cpu") && !kernels.isEmpty()) {
            throw new ArtifactException(name + ": entry " + KERNELS_DIR + kernels.keySet().iterator().next() + " is unexpected in an artifact for target cpu");
        }
        DeviceCode deviceCode = meta.target().equals("cpu") ? null : new DeviceCode(meta.target(), meta.precision(), kernels, meta.kernels());
        Map<Phase, String> plans = new java.util.EnumMap<>(Phase.class);
        for (Phase phase : Phase.values()) {
            byte[] bytes = contents.get(PLANS_DIR + phase.spelling() + ".json");
            if (bytes == null) continue;
            if (meta.target().equals("cpu")) throw new ArtifactException(name + ": entry " + PLANS_DIR + phase.spelling() + ".json is unexpected in an artifact for target cpu");
            plans.put(phase, new String(bytes, StandardCharsets.UTF_8));
        }
        Path specDir = temp.resolve("spec");
        for (var e : contents.entrySet()) {
            if (!e.getKey().startsWith(SPEC_DIR)) continue;
            Path target = specDir.resolve(e.getKey().substring(SPEC_DIR.length())).normalize();
            if (!target.startsWith(specDir)) throw new ArtifactException(name + ": entry " + e.getKey() + " would extract outside its directory");
            try {
                Files.createDirectories(target.getParent());
                Files.write(target, e.getValue());
            } catch (IOException ex) {
                throw new ArtifactException(name + ": cannot extract " + e.getKey() + ": " + describe(ex), ex);
            }
        }
        if (!contents.containsKey(SPEC_DIR + meta.spec())) {
            throw new ArtifactException(name + ": meta.json names the root spec " + meta.spec() + ", but there is no entry " + SPEC_DIR + meta.spec());
        }

        // Elaborate the embedded spec again: the plan to run is this hyenac's, and it must be the stored one.
        Path root = specDir.resolve(meta.spec());
        String ours = hyenacVersion();
        Compilation.Result c = Compilation.compile(root, meta.model());
        if (!c.ok()) {
            String why = c.checked().diagnostics().all().stream().filter(Diagnostic::isError).findFirst()
                    .map(d -> HumanRenderer.render(d).strip().replace(specDir + java.io.File.separator, SPEC_DIR))
                    .orElse("it holds no model named `" + meta.model() + "`");
            throw new ArtifactException(name + ": the embedded spec does not compile with hyenac " + ours
                    + " (the artifact was built by hyenac " + meta.hyenac() + "):\n" + why);
        }
        SpecFiles specs = SpecFiles.of(root, c.checked());
        Graph g = specs.relabel(c.graph());
        String stored = new String(contents.get(PLAN), StandardCharsets.UTF_8);
        String plan = Printer.print(g);
        if (!plan.equals(stored)) {
            throw new ArtifactException(name + ": entry " + PLAN + " differs from the plan hyenac " + ours + " makes of the embedded spec (first at line "
                    + firstDifference(stored, plan) + "): the artifact was built by hyenac " + meta.hyenac()
                    + ", or edited; compile it again with this hyenac");
        }
        if (!manifest(g).equals(new String(contents.get(MANIFEST), StandardCharsets.UTF_8))) {
            throw new ArtifactException(name + ": entry " + MANIFEST + " does not list the weights of the embedded spec (the artifact was built by hyenac "
                    + meta.hyenac() + ", this is hyenac " + ours + ", or it was edited)");
        }
        Map<String, Long> sizes = new LinkedHashMap<>();
        entries.values().forEach(e -> sizes.put(e.getName(), e.getSize()));
        return new Executable(name, format, meta, c, g, deviceCode, plans, java.util.Collections.unmodifiableMap(sizes), temp, weightsFile);
    }

    private static Map<String, String> checksums(String text, String name) {
        Map<String, String> sums = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            int sep = line.indexOf("  ");
            String hex = sep < 0 ? "" : line.substring(0, sep);
            if (sep < 0 || !hex.matches("[0-9a-f]{64}")) throw new ArtifactException(name + ": entry " + CHECKSUMS + " is malformed: `" + line + "`");
            if (sums.put(line.substring(sep + 2), hex) != null) {
                throw new ArtifactException(name + ": entry " + CHECKSUMS + " lists " + line.substring(sep + 2) + " twice");
            }
        }
        return sums;
    }

    /** meta.json; a hyx 1 artifact has no precision or kernels: it was compiled for cpu, which computes in fp32. */
    private static Meta meta(byte[] bytes, String name, boolean v1) {
        Meta m;
        try {
            JsonObject o = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
            List<String> keys = new ArrayList<>(List.of("model", "hyenac", "target", "spec", "weights"));
            if (!v1) keys.addAll(List.of("precision", "kernels"));
            List<String> v = new ArrayList<>();
            for (String key : keys) {
                JsonElement e = o.get(key);
                if (e == null || !e.isJsonPrimitive()) throw new ArtifactException(name + ": entry " + META + " lacks the string `" + key + "`");
                v.add(e.getAsString());
            }
            m = v1 ? new Meta(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), "fp32", "none")
                    : new Meta(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4), v.get(5), v.get(6));
        } catch (JsonParseException | IllegalStateException e) {
            throw new ArtifactException(name + ": entry " + META + " is not valid: " + JsonErrors.reason(e) + "; the artifact is damaged or "
                    + "was not written by hyenac: compile it again", e);
        }
        if (!TARGETS.contains(m.target())) {
            throw new ArtifactException(name + ": entry " + META + " names the target `" + m.target() + "`, which this hyenac does not know (targets: "
                    + String.join(", ", TARGETS) + ")");
        }
        if (!List.of("fp32", "bf16").contains(m.precision())) {
            throw new ArtifactException(name + ": entry " + META + " names the precision `" + m.precision() + "` (fp32 or bf16 expected)");
        }
        return m;
    }

    private static String text(ZipFile zip, ZipEntry e, String name) {
        return new String(bytes(zip, e, name), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ZipFile zip, ZipEntry e, String name) {
        if (e.getSize() > MAX_TEXT) throw new ArtifactException(name + ": entry " + e.getName() + " is too large (" + e.getSize() + " bytes)");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes((int) MAX_TEXT + 1);
            if (b.length > MAX_TEXT) throw new ArtifactException(name + ": entry " + e.getName() + " is too large");
            return b;
        } catch (IOException ex) {
            throw damaged(name, e, ex);
        }
    }

    /** Copies an entry to {@code target}, returning its SHA-256. */
    private static String extract(ZipFile zip, ZipEntry e, Path target, String name) {
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = zip.getInputStream(e); OutputStream out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        } catch (IOException ex) {
            throw damaged(name, e, ex);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static ArtifactException damaged(String name, ZipEntry e, IOException ex) {
        return new ArtifactException(name + ": entry " + e.getName() + " cannot be read (the file is damaged: " + ex.getMessage() + ")", ex);
    }

    /** Relative, '/'-separated, no `.` or `..` segments, nothing a file system could read as a root or drive. */
    static boolean safeName(String n) {
        if (n.isEmpty() || n.startsWith("/") || n.contains("\\") || n.contains(":") || n.indexOf('\0') >= 0) return false;
        String path = n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) return false;
        }
        return true;
    }

    static int firstDifference(String a, String b) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        int i = 0;
        while (i < x.length && i < y.length && x[i].equals(y[i])) i++;
        return i + 1;
    }

    // ---------------------------------------------------------------------------------------- files

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** An I/O failure in words: the JDK's messages for the common ones are only a path. */
    static String describe(IOException e) {
        String what = switch (e) {
            case java.nio.file.NoSuchFileException x -> "no such file or directory";
            case java.nio.file.AccessDeniedException x -> "permission denied";
            case java.nio.file.FileAlreadyExistsException x -> "already exists";
            case java.nio.file.DirectoryNotEmptyException x -> "is a directory";
            default -> null;
        };
        return what == null ? String.valueOf(e.getMessage()) : what + " (" + e.getMessage() + ")";
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temporary file is not worth failing for
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(Executable::deleteQuietly);
        } catch (IOException | UncheckedIOException ignored) {
            // as above
        }
    }
}
