package hyenac.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.compiler.Compilation;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.explain.Explain;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times the front end on a spec: check, graph, passes and explain in a warm JVM (repeated in-process after warm-up)
 * and as a cold process (a fresh `java -jar hyenac.jar explain` per run, as a user types it).
 * Usage: FrontendBench SPEC JAR OUT.json [warm-runs] [cold-runs]
 */
public final class FrontendBench {
    public static void main(String[] args) throws Exception {
        Path spec = Path.of(args[0]);
        Path jar = Path.of(args[1]);
        Path out = Path.of(args[2]);
        int warmRuns = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int coldRuns = args.length > 4 ? Integer.parseInt(args[4]) : 10;

        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        for (int i = 0; i < 50; i++) checkAndExplain(spec);
        double[] warm = new double[warmRuns];
        for (int i = 0; i < warmRuns; i++) {
            long t0 = System.nanoTime();
            checkAndExplain(spec);
            warm[i] = (System.nanoTime() - t0) / 1e6;
        }

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xss16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
                "explain", spec.toString());
        double[] cold = new double[coldRuns];
        for (int i = 0; i < coldRuns; i++) {
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) throw new IllegalStateException("explain failed: " + cmd);
            cold[i] = (System.nanoTime() - t0) / 1e6;
        }

        JsonObject result = new JsonObject();
        result.addProperty("benchmark", "frontend check + graph + passes + explain");
        result.addProperty("spec", spec.toString());
        result.add("machine", machine());
        result.addProperty("load_average_before", loadBefore);
        result.addProperty("load_average_after", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        result.add("warm_ms", stats(warm));
        result.add("cold_process_ms", stats(cold));
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(result);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json + "\n");
        System.out.println(json);
    }

    private static void checkAndExplain(Path spec) {
        Checker.Result r = Checker.check(List.of(spec));
        if (!r.ok() || r.models().isEmpty()) throw new IllegalStateException(spec + " does not check clean");
        Elaborated.Model m = r.models().getFirst();
        Explain.of(Compilation.lower(m), m.context());
    }

    static JsonObject stats(double[] ms) {
        double[] s = ms.clone();
        Arrays.sort(s);
        JsonObject o = new JsonObject();
        o.addProperty("runs", s.length);
        o.addProperty("median", s[s.length / 2]);
        o.addProperty("min", s[0]);
        o.addProperty("p90", s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)]);
        o.addProperty("max", s[s.length - 1]);
        return o;
    }

    static JsonObject machine() throws IOException {
        JsonObject m = new JsonObject();
        m.addProperty("host", java.net.InetAddress.getLocalHost().getHostName());
        m.addProperty("cpu", cpuModel());
        m.addProperty("cores", Runtime.getRuntime().availableProcessors());
        m.addProperty("java", Runtime.version().toString());
        m.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.addProperty("jvm_args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return m;
    }

    private static String cpuModel() throws IOException {
        Path info = Path.of("/proc/cpuinfo");
        if (!Files.exists(info)) return System.getProperty("os.arch");
        List<String> names = new ArrayList<>();
        for (String line : Files.readAllLines(info)) {
            if (line.startsWith("model name")) names.add(line.substring(line.indexOf(':') + 1).trim());
        }
        return names.isEmpty() ? System.getProperty("os.arch") : names.getFirst();
    }
}
