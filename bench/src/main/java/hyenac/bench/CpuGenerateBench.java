package hyenac.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import hyenac.backends.cpu.CpuBackend;
import hyenac.compiler.Compilation;
import hyenac.explain.Explain;
import hyenac.ir.Graph;
import hyenac.runtime.exec.Session;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.WeightStore;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generation speed on the CPU backend: for each spec (seeded random weights) and prompt length, a
 * parallel prefill of the prompt, then greedy decoding one token at a time through the recurrent
 * states. Each case runs a few times after warm-up (the JIT compiles the kernels first); the JSON
 * reports medians.
 * Usage: CpuGenerateBench OUT.json [--runs N] [--warmup N] [--decode N] [--prompts 256,1024] [SPEC...]
 */
public final class CpuGenerateBench {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int runs = 5, warmup = 2, decode = 64;
        List<Integer> prompts = List.of(256, 1024);
        List<Path> specs = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--decode" -> decode = Integer.parseInt(args[++i]);
                case "--prompts" -> prompts = Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                default -> specs.add(Path.of(args[i]));
            }
        }
        if (specs.isEmpty()) specs = List.of(Path.of("samples/sh2-tiny.hyena"), Path.of("bench/specs/sh2-d256.hyena"));

        // A shared machine's other work shows up as noise; the load average says how much there was.
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        JsonArray models = new JsonArray();
        for (Path spec : specs) {
            Compilation.Result c = Compilation.compile(spec, null);
            if (!c.ok()) throw new IllegalStateException(spec + " does not compile: " + c.checked().diagnostics().all());
            Graph g = c.graph();
            Session session = new CpuBackend().open(g, WeightStore.random(g, 1), 1);
            JsonObject m = new JsonObject();
            m.addProperty("model", c.model().name());
            m.addProperty("spec", spec.toString());
            m.addProperty("width", c.model().width());
            m.addProperty("layers", c.model().layers().size());
            m.addProperty("parameters", Explain.of(g, c.model().context()).parameters());
            JsonArray cases = new JsonArray();
            for (int length : prompts) {
                if (length + decode > c.model().context()) throw new IllegalArgumentException(spec + ": prompt + decode exceeds the context");
                cases.add(measure(session, prompt(length), decode, warmup, runs));
                System.err.println(c.model().name() + " prompt " + length + ": " + cases.get(cases.size() - 1));
            }
            m.add("cases", cases);
            models.add(m);
        }

        JsonObject result = new JsonObject();
        result.addProperty("benchmark", "CPU generation: parallel prefill, then recurrent greedy decode (batch 1, fp32, random weights)");
        result.add("machine", FrontendBench.machine());
        result.addProperty("load_average_before", loadBefore);
        result.addProperty("load_average_after", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        result.addProperty("runs", runs);
        result.addProperty("warmup_runs", warmup);
        result.add("models", models);
        String json = new GsonBuilder().setPrettyPrinting().create().toJson(result);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json + "\n");
        System.out.println(json);
    }

    /** A DNA-like prompt (bytes of A, C, G, T), the same for every run of a length. */
    static long[] prompt(int length) {
        Random r = new Random(length);
        long[] t = new long[length];
        for (int i = 0; i < length; i++) t[i] = "ACGT".charAt(r.nextInt(4));
        return t;
    }

    static JsonObject measure(Session s, long[] prompt, int decode, int warmup, int runs) {
        double[] prefill = new double[runs];
        double[] steps = new double[runs];
        for (int run = -warmup; run < runs; run++) {
            long t0 = System.nanoTime();
            float[] logits = s.prefill(prompt, prompt.length);
            long t1 = System.nanoTime();
            // Greedy, so every run decodes the same tokens; sampling is timed with the steps, as `run` does.
            for (int i = 0; i < decode; i++) logits = s.step(new long[] {Sampler.argmax(logits, 0, s.vocab())});
            long t2 = System.nanoTime();
            if (run >= 0) {
                prefill[run] = (t1 - t0) / 1e9;
                steps[run] = (t2 - t1) / 1e9;
            }
        }
        double p = median(prefill), d = median(steps);
        JsonObject o = new JsonObject();
        o.addProperty("prompt_tokens", prompt.length);
        o.addProperty("decode_tokens", decode);
        o.addProperty("prefill_tokens_per_s", prompt.length / p);
        o.addProperty("prefill_ms_per_token", 1e3 * p / prompt.length);
        o.addProperty("prefill_ms", 1e3 * p);
        o.addProperty("decode_tokens_per_s", decode / d);
        o.addProperty("decode_ms_per_token", 1e3 * d / decode);
        o.add("prefill_ms_runs", ms(prefill));
        o.add("decode_ms_runs", ms(steps));
        return o;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static JsonArray ms(double[] seconds) {
        JsonArray a = new JsonArray();
        for (double x : seconds) a.add(Math.round(x * 1e6) / 1e3);
        return a;
    }
}
