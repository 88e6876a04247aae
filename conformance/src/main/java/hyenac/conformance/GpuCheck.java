package hyenac.conformance;

import hyenac.backends.codegen.Precision;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.backends.cuda.CudaExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The fused group kernels on their own ({@link FusedKernelCheck}); then the CUDA executor against the CPU
 * executor on a GPU machine: each sample spec with random weights
 * (B = 2, L = 100, random tokens), logits and every layer's output compared within
 * {@link VortexConformance#RELATIVE_TOLERANCE}·max|ref|; then the vortex reference set's block and forward
 * cases through the CUDA executor (decode: reported as not supported). One line per check; exits 0 when
 * nothing failed.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -cp … hyenac.conformance.GpuCheck [--samples DIR] [--vortex DIR]}
 * Then each spec decodes on both executors (prefill of {@link #PROMPT} tokens, {@link #STEPS} greedy steps): logits
 * per step within the same tolerance and identical tokens.
 *
 * <p>(defaults: {@code samples}, and the first of {@code .device/vortex}, {@code ../shared/conformance/vortex} that exists).
 */
public final class GpuCheck {
    static final List<String> SPECS = List.of("sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena");
    static final int B = 2, L = 100, PROMPT = 37, STEPS = 10;

    private GpuCheck() {}

    public static void main(String[] args) throws Exception {
        Path samples = Path.of("samples");
        Path vortex = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--samples" -> samples = Path.of(args[++i]);
                case "--vortex" -> vortex = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: GpuCheck [--samples DIR] [--vortex DIR]");
                    System.exit(2);
                }
            }
        }
        if (vortex == null) {
            for (Path p : List.of(Path.of(".device/vortex"), Path.of("../shared/conformance/vortex"))) {
                if (Files.isDirectory(p)) {
                    vortex = p;
                    break;
                }
            }
        }
        int failures = FusedKernelCheck.run(samples, SPECS);
        for (String spec : SPECS) failures += sample(samples.resolve(spec));
        for (String spec : SPECS) failures += decode(samples.resolve(spec));
        if (vortex == null) {
            System.out.println("SKIP vortex: no reference set found (pass --vortex DIR)");
        } else {
            failures += vortex(vortex);
        }
        System.out.println(failures == 0 ? "all GPU checks passed" : failures + " GPU check(s) failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /** Returns the number of failed comparisons (a spec that cannot run counts as one). */
    static int sample(Path spec) {
        String name = spec.getFileName().toString();
        try {
            Compilation.Result c = Compilation.compile(spec, null);
            if (!c.ok()) {
                System.out.println("FAIL " + name + ": does not compile: " + c.checked().diagnostics().all());
                return 1;
            }
            Graph g = c.graph();
            WeightStore weights = WeightStore.random(g, 1);
            long vocab = g.nodes().stream().filter(n -> n.op().equals("embedding")).findFirst().map(n -> n.intAttr("vocab")).orElseThrow();
            SplittableRandom rng = new SplittableRandom(7);
            long[] tokens = new long[B * L];
            for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextLong(vocab);
            Map<String, Integer> wanted = new LinkedHashMap<>();
            wanted.put("logits", g.outputs().getFirst());
            g.probes().entrySet().stream().filter(e -> e.getKey().matches("layers\\.\\d+"))
                    .sorted(Map.Entry.comparingByValue()).forEach(e -> wanted.put(e.getKey(), e.getValue()));
            Map<Integer, float[]> ref = new CpuExecutor(g, weights).run(B, L, tokens, Map.of(), wanted.values());
            Map<Integer, float[]> got;
            long t0 = System.nanoTime();
            String device;
            try (CudaExecutor gpu = new CudaExecutor(g, weights, Precision.FP32)) {
                device = gpu.device().name() + " " + gpu.arch();
                got = gpu.run(B, L, tokens, Map.of(), wanted.values());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int failed = 0;
            List<String> lines = new ArrayList<>();
            for (var e : wanted.entrySet()) {
                double[] cmp = compare(got.get(e.getValue()), ref.get(e.getValue()));
                boolean ok = cmp[0] <= VortexConformance.RELATIVE_TOLERANCE * cmp[1] && !Double.isNaN(cmp[0]);
                if (!ok) failed++;
                lines.add(String.format(Locale.ROOT, "  %-4s %-12s max|err| %.3e  max|ref| %.3e  rel %.2e", ok ? "ok" : "BAD", e.getKey(),
                        cmp[0], cmp[1], cmp[1] == 0 ? cmp[0] : cmp[0] / cmp[1]));
            }
            System.out.printf(Locale.ROOT, "%s %s: %d values vs the CPU (B=%d, L=%d, tolerance %.0e·max|ref|) on %s, %.1f s with compiles%n",
                    failed == 0 ? "PASS" : "FAIL", name, wanted.size(), B, L, VortexConformance.RELATIVE_TOLERANCE, device, seconds);
            lines.forEach(System.out::println);
            return failed;
        } catch (RuntimeException e) {
            System.out.println("FAIL " + name + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        }
    }

    /** GPU prefill + greedy steps against the CPU's; each side picks its own tokens, which must agree. */
    static int decode(Path spec) {
        String name = spec.getFileName().toString();
        try {
            Compilation.Result c = Compilation.compile(spec, null);
            if (!c.ok()) {
                System.out.println("FAIL decode " + name + ": does not compile: " + c.checked().diagnostics().all());
                return 1;
            }
            Graph g = c.graph();
            WeightStore weights = WeightStore.random(g, 1);
            int vocab = Math.toIntExact(g.value(g.outputs().getFirst()).type().channels());
            SplittableRandom rng = new SplittableRandom(11);
            long[] prompt = new long[B * PROMPT];
            for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextLong(vocab);
            CpuExecutor cpu = new CpuExecutor(g, weights);
            List<float[]> ref = new ArrayList<>(), got = new ArrayList<>();
            List<long[]> refTokens = new ArrayList<>(), gotTokens = new ArrayList<>();
            ref.add(cpu.prefill(prompt, B, PROMPT));
            refTokens.add(greedy(ref.getLast(), vocab));
            for (int s = 0; s < STEPS; s++) {
                ref.add(cpu.step(refTokens.getLast()));
                refTokens.add(greedy(ref.getLast(), vocab));
            }
            long t0 = System.nanoTime();
            String device;
            try (CudaExecutor gpu = new CudaExecutor(g, weights, Precision.FP32)) {
                device = gpu.device().name() + " " + gpu.arch();
                got.add(gpu.prefill(prompt, B, PROMPT, PROMPT + STEPS));
                gotTokens.add(greedy(got.getLast(), vocab));
                for (int s = 0; s < STEPS; s++) {
                    got.add(gpu.step(gotTokens.getLast()));
                    gotTokens.add(greedy(got.getLast(), vocab));
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int failed = 0;
            List<String> lines = new ArrayList<>();
            for (int s = 0; s <= STEPS; s++) {
                double[] cmp = compare(got.get(s), ref.get(s));
                boolean ok = cmp[0] <= VortexConformance.RELATIVE_TOLERANCE * cmp[1] && !Double.isNaN(cmp[0]);
                boolean same = java.util.Arrays.equals(gotTokens.get(s), refTokens.get(s));
                if (!ok || !same) failed++;
                lines.add(String.format(Locale.ROOT, "  %-4s %-12s max|err| %.3e  max|ref| %.3e  rel %.2e  tokens %s%s", ok && same ? "ok" : "BAD",
                        s == 0 ? "prefill" : "step " + s, cmp[0], cmp[1], cmp[1] == 0 ? cmp[0] : cmp[0] / cmp[1],
                        java.util.Arrays.toString(gotTokens.get(s)), same ? "" : " vs the CPU's " + java.util.Arrays.toString(refTokens.get(s))));
            }
            System.out.printf(Locale.ROOT, "%s decode %s: prefill + %d greedy steps vs the CPU (B=%d, prompt %d, tolerance %.0e·max|ref|) on %s, %.1f s with compiles%n",
                    failed == 0 ? "PASS" : "FAIL", name, STEPS, B, PROMPT, VortexConformance.RELATIVE_TOLERANCE, device, seconds);
            lines.forEach(System.out::println);
            return failed;
        } catch (RuntimeException e) {
            System.out.println("FAIL decode " + name + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            return 1;
        }
    }

    private static long[] greedy(float[] logits, int vocab) {
        long[] t = new long[logits.length / vocab];
        for (int b = 0; b < t.length; b++) t[b] = hyenac.runtime.text.Sampler.argmax(logits, b * vocab, vocab);
        return t;
    }

    /** {max|got − ref|, max|ref|}; infinite error when a value is missing or has the wrong size. */
    static double[] compare(float[] got, float[] ref) {
        if (got == null || ref == null || got.length != ref.length) return new double[] {Double.POSITIVE_INFINITY, 0};
        double err = 0, max = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[i] - ref[i]);
            err = Double.isNaN(d) ? Double.NaN : Math.max(err, d);
            max = Math.max(max, Math.abs(ref[i]));
            if (Double.isNaN(err)) break;
        }
        return new double[] {err, max};
    }

    static int vortex(Path dir) throws Exception {
        int failed = 0;
        List<VortexConformance.CaseResult> results = VortexConformance.run(dir, VortexConformance.Target.CUDA);
        for (VortexConformance.CaseResult r : results) {
            if (r.unsupported()) {
                System.out.println("SKIP vortex " + r.file() + " (" + r.kind() + "): " + r.error());
                continue;
            }
            if (!r.ok()) failed++;
            if (r.error() != null) {
                System.out.println("FAIL vortex " + r.file() + " (" + r.kind() + "): " + r.error());
                continue;
            }
            double worst = r.checks().stream().mapToDouble(VortexConformance.Check::relative).max().orElse(0);
            System.out.printf(Locale.ROOT, "%s vortex %s (%s): %d tensors, worst max|err|/max|ref| = %.2e%n", r.ok() ? "PASS" : "FAIL",
                    r.file(), r.kind(), r.checks().size(), worst);
            for (VortexConformance.Check c : r.checks()) {
                if (!c.ok()) {
                    System.out.printf(Locale.ROOT, "  BAD  %-28s max|err| %.3e  max|ref| %.3e  rel %.2e%n", c.tensor(), c.maxAbsError(),
                            c.maxRef(), c.relative());
                }
            }
        }
        if (results.isEmpty()) {
            System.out.println("FAIL vortex: no cases in " + dir);
            failed++;
        }
        return failed;
    }
}
