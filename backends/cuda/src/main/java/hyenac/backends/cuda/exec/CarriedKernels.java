package hyenac.backends.cuda.exec;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.cache.KernelCache;
import hyenac.backends.codegen.cache.KernelCompileException;
import hyenac.backends.codegen.cuda.NvccCompiler;
import hyenac.backends.cuda.bindings.Nvrtc;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Step;
import hyenac.runtime.exec.BackendException;
import hyenac.runtime.exec.DeviceCode;
import hyenac.runtime.text.JsonErrors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/**
 * The CUDA kernels an artifact carries, as files under its {@code kernels/} directory:
 * <pre>
 *   index.json          precision, the PTX's architecture and toolkit (or null), and every kernel: entry, kind, files
 *   ENTRY.cu            the source of each kernel the artifact's plans launch (a header naming where, then the code)
 *   ARCH/ENTRY.ptx      PTX from nvcc for ARCH (e.g. sm_90), when nvcc was at hand when the artifact was compiled
 * </pre>
 * Writing needs no GPU. At load, {@link #seed} hands the PTX to the executor through its disk kernel cache.
 */
final class CarriedKernels {
    static final String INDEX = "index.json";
    /** Points nvcc at one path (tests make it a missing one); unset, nvcc is looked for as {@link NvccCompiler#locate} does. */
    static final String NVCC_PROPERTY = "hyenac.nvcc";

    /** One kernel: its entry symbol, kind, source file and PTX file (null without PTX), named relative to kernels/. */
    record Kernel(String entry, String name, String source, String ptx) {}

    /** Where the PTX came from: the architecture, nvcc's identity and its CUDA version (e.g. 13.0). */
    record Ptx(String arch, String compiler, String cuda) {}

    /** nvcc when found, else why not. */
    record Nvcc(Optional<Path> path, String missing) {
        static Nvcc locate() {
            String forced = System.getProperty(NVCC_PROPERTY);
            if (forced != null) {
                Path p = Path.of(forced);
                return Files.isExecutable(p) ? new Nvcc(Optional.of(p), null)
                        : new Nvcc(Optional.empty(), "no nvcc at " + forced + " (as -D" + NVCC_PROPERTY + " says)");
            }
            return NvccCompiler.locate().map(p -> new Nvcc(Optional.of(p), null))
                    .orElseGet(() -> new Nvcc(Optional.empty(), "nvcc not found ($HYENAC_NVCC, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin)"));
        }
    }

    private final Precision precision;
    private final Ptx ptx;
    private final List<Kernel> kernels;
    private final Map<String, byte[]> files;

    private CarriedKernels(Precision precision, Ptx ptx, List<Kernel> kernels, Map<String, byte[]> files) {
        this.precision = precision;
        this.ptx = ptx;
        this.kernels = List.copyOf(kernels);
        this.files = files;
    }

    Precision precision() { return precision; }

    Ptx ptx() { return ptx; }

    List<Kernel> kernels() { return kernels; }

    // ---------------------------------------------------------------------------------------- writing

    /** One kernel as an artifact carries it: a header naming where the plans launch it, then its code. */
    record Source(String entry, String name, String text, String code) {}

    /** Every kernel {@code plans} launch, once each, in first-use order. */
    static List<Source> sources(Collection<Plan> plans) {
        Map<String, hyenac.ir.plan.Kernel> kernels = new LinkedHashMap<>();
        Map<String, Set<String>> sites = new LinkedHashMap<>();
        for (Plan p : plans) {
            for (hyenac.ir.plan.Kernel k : p.kernels()) kernels.putIfAbsent(k.entry(), k);
            for (Step s : p.steps()) {
                if (s instanceof Step.Launch l) sites.computeIfAbsent(l.kernel(), e -> new LinkedHashSet<>()).add(s.site().toString());
            }
        }
        List<Source> out = new ArrayList<>();
        for (hyenac.ir.plan.Kernel k : kernels.values()) {
            StringBuilder header = new StringBuilder("// " + k.entry() + ": hyenac's " + k.name() + " kernel, launched by the plans for\n");
            for (String site : sites.getOrDefault(k.entry(), Set.of())) header.append("//   ").append(site).append('\n');
            out.add(new Source(k.entry(), k.name(), header + k.code(), k.code()));
        }
        return out;
    }

    /** The sources of every kernel {@code plans} launch, and their PTX for {@code arch} when nvcc is found. */
    static DeviceCode generate(Collection<Plan> plans, Precision precision, String arch, Nvcc nvcc) {
        List<Source> sources = sources(plans);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Source k : sources) files.put(k.entry() + ".cu", k.text().getBytes(StandardCharsets.UTF_8));

        Ptx ptx = null;
        String noPtx = nvcc.missing();
        if (nvcc.path().isPresent()) {
            NvccCompiler compiler = NvccCompiler.ptx(nvcc.path().get(), arch);
            try {
                Map<String, byte[]> compiled = compileAll(compiler, sources);
                compiled.forEach((entry, bytes) -> files.put(arch + "/" + entry + ".ptx", bytes));
                ptx = new Ptx(arch, "nvcc " + compiler.version(), cudaVersion(compiler.version()));
            } catch (KernelCompileException e) {
                // The sources still serve: NVRTC compiles them at load. A generator bug shows up there too, with the log.
                noPtx = "nvcc could not compile " + e.unit() + " (" + e.log().lines().findFirst().orElse("no log")
                        + (e.savedSource() == null ? "" : "; source kept at " + e.savedSource()) + ")";
            }
        }
        List<Kernel> kernels = new ArrayList<>();
        for (Source k : sources) {
            kernels.add(new Kernel(k.entry(), k.name(), k.entry() + ".cu", ptx == null ? null : ptx.arch() + "/" + k.entry() + ".ptx"));
        }
        files.put(INDEX, index(precision, ptx, kernels).getBytes(StandardCharsets.UTF_8));
        String summary = sources.size() + " CUDA sources, " + (ptx != null ? "PTX for " + arch + " (" + ptx.compiler() + ")"
                : "no PTX: " + noPtx + "; NVRTC compiles them at load");
        return new DeviceCode(CudaTarget.NAME, precision.suffix(), files, summary);
    }

    /** nvcc once per kernel, several at a time: one translation unit each, so the PTX maps one-to-one onto cache entries. */
    private static Map<String, byte[]> compileAll(NvccCompiler compiler, List<Source> sources) throws KernelCompileException {
        int threads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
        Map<String, Future<byte[]>> pending = new LinkedHashMap<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (Source k : sources) pending.put(k.entry(), pool.submit(() -> compiler.compile(k.entry(), k.text())));
            Map<String, byte[]> out = new LinkedHashMap<>();
            for (var e : pending.entrySet()) out.put(e.getKey(), e.getValue().get());
            return out;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof KernelCompileException k) throw k;
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while compiling kernels with nvcc", e);
        }
    }

    /** "13.0" from nvcc's "13.0.88"; null when unknown. */
    static String cudaVersion(String nvccVersion) {
        String[] parts = nvccVersion.split("\\.");
        return parts.length >= 2 && parts[0].matches("\\d+") && parts[1].matches("\\d+") ? parts[0] + "." + parts[1] : null;
    }

    private static String index(Precision precision, Ptx ptx, List<Kernel> kernels) {
        JsonObject o = new JsonObject();
        o.addProperty("dialect", "cuda");
        o.addProperty("precision", precision.suffix());
        if (ptx == null) {
            o.add("ptx", null);
        } else {
            JsonObject p = new JsonObject();
            p.addProperty("arch", ptx.arch());
            p.addProperty("compiler", ptx.compiler());
            p.addProperty("cuda", ptx.cuda());
            o.add("ptx", p);
        }
        JsonArray list = new JsonArray();
        for (Kernel k : kernels) {
            JsonObject e = new JsonObject();
            e.addProperty("entry", k.entry());
            e.addProperty("name", k.name());
            e.addProperty("source", k.source());
            e.addProperty("ptx", k.ptx());
            list.add(e);
        }
        o.add("kernels", list);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create().toJson(o) + "\n";
    }

    // ---------------------------------------------------------------------------------------- reading

    /** The kernels of an artifact compiled for cuda; a malformed index is one message naming it. */
    static CarriedKernels read(DeviceCode code) {
        byte[] index = code.files().get(INDEX);
        if (index == null) throw malformed("it is missing");
        try {
            JsonObject o = JsonParser.parseString(new String(index, StandardCharsets.UTF_8)).getAsJsonObject();
            Precision precision = precision(string(o, "precision"));
            if (!precision.suffix().equals(code.precision())) {
                throw malformed("it says precision " + precision.suffix() + ", meta.json says " + code.precision());
            }
            Ptx ptx = null;
            JsonElement p = o.get("ptx");
            if (p != null && !p.isJsonNull()) {
                JsonObject po = p.getAsJsonObject();
                ptx = new Ptx(string(po, "arch"), string(po, "compiler"), optionalString(po, "cuda"));
            }
            List<Kernel> kernels = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("kernels")) {
                JsonObject k = e.getAsJsonObject();
                Kernel kernel = new Kernel(string(k, "entry"), string(k, "name"), string(k, "source"), optionalString(k, "ptx"));
                for (String file : new String[] {kernel.source(), kernel.ptx()}) {
                    if (file != null && !code.files().containsKey(file)) throw malformed("it lists kernels/" + file + ", which the artifact lacks");
                }
                kernels.add(kernel);
            }
            return new CarriedKernels(precision, ptx, kernels, code.files());
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
            throw malformed(JsonErrors.reason(e));
        }
    }

    static Precision precision(String spelling) {
        for (Precision p : Precision.values()) if (p.suffix().equals(spelling)) return p;
        throw new BackendException("precision `" + spelling + "` is not one the cuda target knows (fp32, bf16)");
    }

    private static String string(JsonObject o, String key) {
        String s = optionalString(o, key);
        if (s == null) throw malformed("it lacks the string `" + key + "`");
        return s;
    }

    private static String optionalString(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static BackendException malformed(String why) {
        return new BackendException("the artifact's kernels/" + INDEX + " cannot be used: " + why);
    }

    // ---------------------------------------------------------------------------------------- use at load

    /**
     * The disk-cache key under which {@link CudaExecutor} looks up a kernel before compiling it with NVRTC
     * ({@link KernelModules#load}): kept in step with it by hand, so a change there must be made here too.
     */
    static String executorCacheKey(String code, String arch) {
        return KernelCache.key(code, Nvrtc.defaultOptions(arch), arch + "/nvrtc");
    }

    /**
     * Hands the carried PTX to the executor: the executor looks every kernel up in the disk {@code cache} before
     * compiling it with NVRTC, so each carried kernel whose source is the one this hyenac's {@code plans}
     * launch is stored there under the executor's key, unless that key holds an image already (an earlier
     * run's, which serves as well). Only when
     * the PTX is for the architecture the executor compiles for ({@code arch}), comes from a CUDA no newer than
     * the driver's, and {@code loads} (the driver JIT-compiling it) accepts it: a persistent cache must never
     * hold an image that fails. Kernels not served so (and those the executor specialises per length) are
     * compiled with NVRTC. Returns a note for people.
     */
    String seed(Collection<Plan> plans, String arch, int driverVersion, KernelCache cache, Predicate<byte[]> loads) {
        if (ptx == null) return "kernels compiled with NVRTC (the artifact carries no PTX)";
        if (!ptx.arch().equals(arch)) return "kernels compiled with NVRTC for " + arch + " (the artifact's PTX is for " + ptx.arch() + ")";
        int needs = driverVersion(ptx.cuda());
        if (needs < 0 || driverVersion < needs) {
            return "kernels compiled with NVRTC (the artifact's PTX is from CUDA " + ptx.cuda() + ", the driver supports CUDA "
                    + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ")";
        }
        Map<String, Source> generated = new LinkedHashMap<>();
        for (Source k : sources(plans)) generated.put(k.entry(), k);
        int seeded = 0, cached = 0, stale = 0;
        try {
            for (Kernel k : kernels) {
                Source ours = generated.get(k.entry());
                if (k.ptx() == null || ours == null || !ours.text().equals(new String(files.get(k.source()), StandardCharsets.UTF_8))) {
                    stale++;
                    continue;
                }
                String key = executorCacheKey(ours.code(), arch);
                if (cache.lookup(key).isPresent()) {
                    cached++;
                    continue;
                }
                byte[] image = files.get(k.ptx());
                if (!loads.test(image)) {
                    stale++;
                    continue;
                }
                cache.store(key, image, ours.text());
                seeded++;
            }
        } catch (RuntimeException e) {
            // The cache only saves time; an unwritable one means NVRTC does the work.
            return "kernels compiled with NVRTC (the artifact's PTX could not be put in the kernel cache at " + cache.dir() + ": " + e.getMessage() + ")";
        }
        List<String> parts = new ArrayList<>();
        if (seeded > 0) parts.add(seeded + " kernels from the artifact's PTX for " + arch);
        if (cached > 0) parts.add(cached + " kernels already in the kernel cache");
        if (stale > 0) parts.add(stale + " kernels compiled with NVRTC (their PTX does not fit this hyenac or driver)");
        return String.join(", ", parts);
    }

    /** The driver version (as cuDriverGetVersion gives it, 13000 for 13.0) a CUDA version's PTX needs; -1 when unknown. */
    static int driverVersion(String cuda) {
        if (cuda == null || !cuda.matches("\\d+\\.\\d+")) return -1;
        String[] parts = cuda.split("\\.");
        return Integer.parseInt(parts[0]) * 1000 + Integer.parseInt(parts[1]) * 10;
    }
}
