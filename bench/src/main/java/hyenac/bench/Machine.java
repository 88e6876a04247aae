package hyenac.bench;

import com.google.gson.JsonObject;
import hyenac.backends.cuda.bindings.DeviceInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What the JSON says about the machine: the host, and for cuda the GPU as the driver and nvidia-smi report it. */
final class Machine {
    /** The fields peer_baselines.py asks nvidia-smi for, so both files report clocks the same way. */
    static final List<String> SMI_FIELDS = List.of("name", "driver_version", "memory.total", "clocks.sm", "clocks.max.sm", "clocks.mem",
            "clocks.max.mem", "power.limit", "temperature.gpu", "pci.bus_id");

    private Machine() {}

    /** Host name, CPU, cores, Java, OS and heap (java.base only: the GPU machine's JRE has no other modules). */
    static JsonObject host() {
        JsonObject m = new JsonObject();
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = System.getenv().getOrDefault("HOSTNAME", "unknown");
        }
        m.addProperty("host", host);
        m.addProperty("cpu", cpuModel());
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("java", Runtime.version().toString());
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.addProperty("max_heap_bytes", Runtime.getRuntime().maxMemory());
        return m;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    /** The host plus the GPU: name, compute capability, SMs, memory, clocks as the driver reports them, driver versions. */
    static JsonObject gpu(DeviceInfo d, int cudaDriverVersion) {
        JsonObject m = host();
        m.addProperty("gpu", d.name());
        m.addProperty("compute_capability", d.computeMajor() + "." + d.computeMinor());
        m.addProperty("sm_count", d.multiprocessors());
        m.addProperty("gpu_memory_bytes", d.totalMemoryBytes());
        m.addProperty("gpu_memory_gib", Math.round(d.totalMemoryBytes() / (double) (1L << 30) * 10) / 10.0);
        m.addProperty("l2_cache_bytes", d.l2CacheBytes());
        m.addProperty("clock_khz", d.clockKHz());
        m.addProperty("memory_clock_khz", d.memoryClockKHz());
        m.addProperty("memory_bus_width_bits", d.memoryBusWidthBits());
        if (d.clockKHz() == 0 || d.memoryClockKHz() == 0) {
            m.addProperty("clocks_note", "the driver reports 0 for CU_DEVICE_ATTRIBUTE_CLOCK_RATE / MEMORY_CLOCK_RATE"
                    + " (deprecated in CUDA 13); see nvidia_smi for the clocks");
        } else {
            m.addProperty("peak_bandwidth_gbps_from_clocks", Math.round(d.peakBandwidthBytesPerSecond() / 1e9));
        }
        m.addProperty("cuda_driver_version", cudaDriverVersion / 1000 + "." + cudaDriverVersion % 1000 / 10);
        m.addProperty("nvidia_driver", nvidiaDriver());
        m.add("nvidia_smi", nvidiaSmi());
        return m;
    }

    /** The kernel module's version line (e.g. 580.65.06), or null where there is none. */
    static String nvidiaDriver() {
        try {
            String text = Files.readString(Path.of("/proc/driver/nvidia/version"));
            var m = java.util.regex.Pattern.compile("Kernel Module(?: for [^ ]+)?\\s+([0-9][0-9.]+)").matcher(text);
            return m.find() ? m.group(1) : text.lines().findFirst().orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** nvidia-smi's answer for GPU 0, or {"error": why}. */
    static JsonObject nvidiaSmi() {
        JsonObject o = new JsonObject();
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=" + String.join(",", SMI_FIELDS), "--format=csv,noheader", "-i", "0")
                    .redirectErrorStream(true).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                o.addProperty("error", "nvidia-smi did not answer in 30 s");
                return o;
            }
            String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
            String[] values = line.split(",");
            if (p.exitValue() != 0 || values.length != SMI_FIELDS.size()) {
                o.addProperty("error", line.isEmpty() ? "nvidia-smi exited " + p.exitValue() : line);
                return o;
            }
            for (int i = 0; i < values.length; i++) o.addProperty(SMI_FIELDS.get(i), values[i].strip());
        } catch (IOException e) {
            o.addProperty("error", "nvidia-smi not available: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o.addProperty("error", "interrupted");
        }
        return o;
    }

    static String describe(JsonObject m) {
        if (m.has("gpu")) {
            return String.format(Locale.ROOT, "%s (sm_%s, %d SMs, %.0f GiB), CUDA driver %s, NVIDIA driver %s", m.get("gpu").getAsString(),
                    m.get("compute_capability").getAsString().replace(".", ""), m.get("sm_count").getAsInt(), m.get("gpu_memory_gib").getAsDouble(),
                    m.get("cuda_driver_version").getAsString(), m.get("nvidia_driver").isJsonNull() ? "?" : m.get("nvidia_driver").getAsString());
        }
        return m.get("cpu").getAsString() + ", " + m.get("cores").getAsInt() + " cores";
    }
}
