package hyenac.conformance;

import hyenac.backends.codegen.Precision;
import hyenac.backends.cpu.ContextParallelCpu;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.cp.PlanContextParallel;
import hyenac.ir.cp.CpMode;
import hyenac.backends.cuda.bindings.CudaException;
import hyenac.backends.cuda.exec.CudaExecutor;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.compiler.Compilation;
import hyenac.dsl.check.Checker;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.diag.HumanRenderer;
import hyenac.dsl.source.SourceFile;
import hyenac.importer.VortexImporter;
import hyenac.ir.Graph;
import hyenac.runtime.weights.Floats;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.TensorInfo;
import hyenac.runtime.weights.WeightStore;
import hyenac.runtime.weights.WeightsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks a directory laid out like {@code conformance/data/vortex}: every case file is run through
 * the real pipeline — its vortex YAML config imported as a spec, checked, elaborated to the graph IR,
 * passed through the compiler passes and run by a backend — and the named graph values (probes) are
 * compared with the file's reference tensors. Nothing here knows the shapes or seeds of any set.
 */
public final class VortexConformance {
    /**
     * Per tensor: max|got − ref| ≤ 2e−5 · max|ref|. The reference README measured three independent
     * fp32/fp64 evaluations within 4.2e−6 of each other (relative to the tensor's largest value);
     * 2e−5 is about 5× that spread, and far below the O(1) errors a layout or order mistake makes.
     */
    public static final double RELATIVE_TOLERANCE = 2e-5;

    /**
     * The checkpoint's numbers as the reference used them, in fp32 though the imported spec says bf16 (bf16 targets
     * round them afterwards, filters too, as they always have).
     */
    private static final WeightStore.Options AS_REFERENCE = WeightStore.Options.defaults().storingFp32();
    /**
     * In bf16 mode the reference is the CPU (fp32) on the same bf16-rounded weights and inputs, and storing
     * every activation in bf16 (8 significant bits) costs accuracy by design: per tensor max|err| ≤ 1e−2·max|ref|
     * for an operator's outputs, ≤ 3e−2·max|ref| for a model's hidden states and logits.
     */
    public static final double BF16_OPERATOR_TOLERANCE = 1e-2, BF16_MODEL_TOLERANCE = 3e-2;

    public record Check(String tensor, String probe, double maxAbsError, double maxRef, double tolerance, boolean ok) {
        public double relative() { return maxRef == 0 ? maxAbsError : maxAbsError / maxRef; }
    }

    public record CaseResult(String file, String kind, List<Check> checks, List<String> notes, String error) {
        public boolean ok() { return error == null && !checks.isEmpty() && checks.stream().allMatch(Check::ok); }

        /** A case the target cannot run yet (not a failure of what it can run). */
        public boolean unsupported() { return error != null && error.startsWith(UNSUPPORTED); }
    }

    static final String UNSUPPORTED = "not supported on ";

    /**
     * The backend that runs the passes and the decode. {@code CUDA_BF16} stores activations in bf16 and is
     * compared with the CPU oracle on bf16-rounded weights and inputs rather than with the file's tensors.
     */
    public enum Target {
        CPU, CUDA, CUDA_BF16;

        public static Target of(String name) { return of(name, "fp32"); }

        public static Target of(String name, String precision) {
            if (!precision.equals("fp32") && !precision.equals("bf16")) {
                throw new IllegalArgumentException("unknown precision `" + precision + "`; precisions: fp32, bf16");
            }
            return switch (name) {
                case "cpu" -> {
                    if (precision.equals("bf16")) throw new IllegalArgumentException("the cpu target runs fp32 only; use --target cuda for bf16");
                    yield CPU;
                }
                case "cuda" -> precision.equals("bf16") ? CUDA_BF16 : CUDA;
                default -> throw new IllegalArgumentException("unknown target `" + name + "`; targets: cpu, cuda");
            };
        }

        boolean bf16() { return this == CUDA_BF16; }

        /** The tolerance of a case's checks relative to max|ref|. */
        public double tolerance(boolean model) {
            return !bf16() ? RELATIVE_TOLERANCE : model ? BF16_MODEL_TOLERANCE : BF16_OPERATOR_TOLERANCE;
        }
    }

    /**
     * Context parallelism for a run ({@code --context-parallel N --cp-mode M}): the CPU's passes split over N in-process
     * ranks, prefills too (decoding then goes on on rank 0). Lengths the zig-zag cannot cut are padded at the end, which
     * changes nothing before them (the models are causal).
     */
    public record ContextParallel(int ranks, CpMode mode) {
        ContextParallelCpu on(Graph g) { return new ContextParallelCpu(PlanContextParallel.plan(g, ranks, mode)); }
    }

    /** One stateless parallel pass on the target (a CUDA executor opens and closes the GPU per call). */
    static Map<Integer, float[]> forwardOn(Target target, ContextParallel cp, Graph g, WeightStore weights, int batch, int length, long[] tokens,
                                           Map<Integer, float[]> given, Collection<Integer> wanted) {
        if (target == Target.CPU && cp != null) return cp.on(g).forward(g, weights, batch, length, tokens, given, wanted);
        if (target == Target.CPU) return new CpuExecutor(g, weights).run(batch, length, tokens, given, wanted);
        try (CudaExecutor exec = new CudaExecutor(new KernelPipeline(g, CudaTarget.lowering(target.bf16() ? Precision.BF16 : Precision.FP32)), weights)) {
            return exec.run(batch, length, tokens, given, wanted);
        }
    }

    /** What a case's values are compared with: the file's tensors, or in bf16 mode the CPU's on the same rounded inputs. */
    private static Map<String, float[]> references(SafeTensorsFile st, Target target, Graph g, WeightStore weights, int batch, int length,
                                                   long[] tokens, Map<Integer, float[]> given, Map<String, Integer> wanted) {
        Map<String, float[]> ref = new LinkedHashMap<>();
        if (!target.bf16()) {
            for (String t : wanted.keySet()) ref.put(t, st.floats(t));
            return ref;
        }
        Map<Integer, float[]> cpu = new CpuExecutor(g, weights).run(batch, length, tokens, given, wanted.values());
        wanted.forEach((t, v) -> ref.put(t, cpu.get(v)));
        return ref;
    }


    /** Reference tensor → our probe, per block kind. {@code %} stands for the layer's probe prefix. */
    private static final Map<String, String> HYENA = linked(
            "inter.pre_norm_out", "%.h", "inter.proj_out", "%.mixer.z", "inter.q", "%.mixer.q", "inter.k", "%.mixer.k",
            "inter.v", "%.mixer.v", "inter.inner_conv", "%.mixer.c", "output.filter_out", "%.mixer.y",
            "inter.mixer_out", "%.r", "output.block_out", "%");
    private static final Map<String, String> ATTENTION = linked(
            "inter.pre_norm_out", "%.h", "inter.q_pre_rope", "%.mixer.q", "inter.k_pre_rope", "%.mixer.k", "inter.v", "%.mixer.v",
            "inter.attn_context", "%.mixer.a", "output.attn_out", "%.m", "inter.mixer_out", "%.r", "output.block_out", "%");

    private VortexConformance() {}

    public static List<CaseResult> run(Path dir) throws IOException {
        return run(dir, UnaryOperator.identity());
    }

    public static List<CaseResult> run(Path dir, Target target) throws IOException {
        return run(dir, UnaryOperator.identity(), target);
    }

    /**
     * As {@link #run(Path)}, with each imported spec rewritten before it is checked (tests use it to
     * swap the prelude's operators for user-defined copies).
     */
    public static List<CaseResult> run(Path dir, UnaryOperator<String> rewrite) throws IOException {
        return run(dir, rewrite, Target.CPU);
    }

    public static List<CaseResult> run(Path dir, UnaryOperator<String> rewrite, Target target) throws IOException {
        return run(dir, rewrite, target, null);
    }

    /** As {@link #run(Path, UnaryOperator, Target)}, context-parallel on the CPU when {@code cp} is not null. */
    public static List<CaseResult> run(Path dir, UnaryOperator<String> rewrite, Target target, ContextParallel cp) throws IOException {
        List<CaseResult> results = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                if (f.getFileName().toString().equals("model_weights.safetensors")) continue;
                results.add(runCase(dir, f, rewrite, target, cp));
            }
        }
        return results;
    }

    static CaseResult runCase(Path dir, Path file, UnaryOperator<String> rewrite, Target target, ContextParallel cp) {
        String name = file.getFileName().toString();
        try (SafeTensorsFile st = SafeTensors.open(file)) {
            String kind = st.metadata().getOrDefault("case", "?");
            return switch (kind) {
                case "hyena_se", "hyena_mr", "hyena_li" -> block(dir, st, kind, HYENA, rewrite, target, cp);
                case "attention" -> block(dir, st, kind, ATTENTION, rewrite, target, cp);
                case "model_forward" -> forward(dir, st, rewrite, target, cp);
                case "model_decode" -> decode(dir, st, rewrite, target, cp);
                default -> new CaseResult(name, kind, List.of(), List.of(), "unknown case kind `" + kind + "` in the metadata");
            };
        } catch (WeightsException | IOException | IllegalArgumentException | IllegalStateException | CudaException
                 | hyenac.backends.cuda.bindings.CudaUnavailableException e) {
            return new CaseResult(name, "?", List.of(), List.of(), e.getMessage());
        }
    }

    /** A model built from the case's config: its graph, and which vortex block each of our layers is. */
    private record Built(Graph graph, List<Integer> blocks) {}

    private static Built build(Path dir, SafeTensorsFile st, String configName, UnaryOperator<String> rewrite) throws IOException {
        Path yml = dir.resolve(configName);
        SourceFile config = Files.exists(yml)
                ? new SourceFile(yml.toString(), Files.readString(yml, StandardCharsets.UTF_8))
                : new SourceFile(st.path() + "#config", st.metadata().getOrDefault("config", "")); // JSON is YAML
        VortexImporter.Result imported = VortexImporter.convert(config);
        if (!imported.ok()) throw new IllegalStateException("the config does not import:\n" + render(imported.diagnostics().all()));
        // The same pipeline `hyenac run` uses, on the imported spec.
        Compilation.Result compiled = Compilation.of(
                Checker.checkSource(new SourceFile(config.name() + ".hyena", rewrite.apply(imported.hyena())), dir), null);
        if (!compiled.ok()) {
            throw new IllegalStateException("the imported spec does not check:\n" + render(compiled.checked().diagnostics().all()));
        }
        Graph g = compiled.graph();
        return new Built(g, imported.vortexBlocks());
    }

    private static CaseResult block(Path dir, SafeTensorsFile st, String kind, Map<String, String> probes, UnaryOperator<String> rewrite,
                                    Target target, ContextParallel cp) throws IOException {
        String name = st.path().getFileName().toString();
        Built built = build(dir, st, kind.equals("attention") ? "op_attention_config.yml" : "op_config.yml", rewrite);
        int vortexBlock = Integer.parseInt(st.metadata().get("layer_idx"));
        int layer = built.blocks().indexOf(vortexBlock);
        if (layer < 0) throw new IllegalStateException("the config has no layer " + vortexBlock);
        String prefix = "layers." + layer;
        WeightStore weights = WeightStore.fromVortex(st, built.graph(), built.blocks()::get, w -> w.startsWith(prefix + "."), AS_REFERENCE);
        if (target.bf16()) weights = weights.roundedToBf16();

        TensorInfo u = st.info("input.u");
        int batch = Math.toIntExact(u.shape()[0]);
        int length = Math.toIntExact(u.shape()[1]);
        Integer input = built.graph().probes().get(layer == 0 ? "embedding" : "layers." + (layer - 1));
        Map<String, Integer> wanted = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        for (var e : probes.entrySet()) {
            if (!st.contains(e.getKey())) continue;
            Integer value = built.graph().probes().get(e.getValue().replace("%", prefix));
            if (value == null) notes.add(e.getKey() + ": no probe " + e.getValue().replace("%", prefix));
            else wanted.put(e.getKey(), value);
        }
        for (String t : st.names()) {
            if ((t.startsWith("inter.") || t.startsWith("output.") || t.startsWith("derived.")) && !probes.containsKey(t)) {
                notes.add(t + ": not a value of the graph (computed inside a primitive)");
            }
        }
        float[] given = target.bf16() ? Floats.roundedToBf16(st.floats("input.u")) : st.floats("input.u");
        Map<Integer, float[]> got = forwardOn(target, cp, built.graph(), weights, batch, length, null, Map.of(input, given), wanted.values());
        Map<String, float[]> ref = references(st, target, built.graph(), weights, batch, length, null, Map.of(input, given), wanted);
        return new CaseResult(name, kind, compare(ref, wanted, got, target.tolerance(false)), notes, null);
    }

    private static CaseResult forward(Path dir, SafeTensorsFile st, UnaryOperator<String> rewrite, Target target, ContextParallel cp) throws IOException {
        String name = st.path().getFileName().toString();
        Built built = build(dir, st, "model_config.yml", rewrite);
        Path weightsFile = dir.resolve("model_weights.safetensors");
        try (SafeTensorsFile wf = SafeTensors.open(weightsFile)) {
            WeightStore weights = WeightStore.fromVortex(wf, built.graph(), built.blocks()::get, w -> true, AS_REFERENCE);
            if (target.bf16()) weights = weights.roundedToBf16();
            TensorInfo tokens = st.info("input.tokens");
            int batch = Math.toIntExact(tokens.shape()[0]);
            int length = Math.toIntExact(tokens.shape()[1]);
            Map<String, Integer> wanted = new LinkedHashMap<>();
            Map<String, Integer> probes = built.graph().probes();
            wanted.put("output.logits", probes.get("logits"));
            if (st.contains("inter.hidden.embed")) wanted.put("inter.hidden.embed", probes.get("embedding"));
            if (st.contains("inter.hidden.final_norm")) wanted.put("inter.hidden.final_norm", probes.get("final_norm"));
            for (int i = 0; i < built.blocks().size(); i++) {
                String t = "inter.hidden.layer" + built.blocks().get(i);
                if (st.contains(t)) wanted.put(t, probes.get("layers." + i));
            }
            long[] ids = st.longs("input.tokens");
            Map<Integer, float[]> got = forwardOn(target, cp, built.graph(), weights, batch, length, ids, Map.of(), wanted.values());
            Map<String, float[]> ref = references(st, target, built.graph(), weights, batch, length, ids, Map.of(), wanted);
            return new CaseResult(name, "model_forward", compare(ref, wanted, got, target.tolerance(true)), List.of(), null);
        }
    }

    /**
     * Prefill the prompt, then greedy decode step by step through the recurrent states: logits per step,
     * tokens exactly, each layer's per-step output, the recurrent states after the prefill and at the end,
     * and a stateless parallel pass over prompt ++ tokens (the same logits within tolerance).
     */
    private static CaseResult decode(Path dir, SafeTensorsFile st, UnaryOperator<String> rewrite, Target target, ContextParallel cp) throws IOException {
        String name = st.path().getFileName().toString();
        Built built = build(dir, st, "model_config.yml", rewrite);
        Graph g = built.graph();
        try (SafeTensorsFile wf = SafeTensors.open(dir.resolve("model_weights.safetensors"))) {
            WeightStore weights = WeightStore.fromVortex(wf, g, built.blocks()::get, w -> true, AS_REFERENCE);
            long[] prompt = st.longs("input.prompt");
            TensorInfo promptInfo = st.info("input.prompt");
            int batch = Math.toIntExact(promptInfo.shape()[0]);
            int length = Math.toIntExact(promptInfo.shape()[1]);
            TensorInfo stepInfo = st.info("output.step_logits");
            int steps = Math.toIntExact(stepInfo.shape()[1]) - 1;
            int vocab = Math.toIntExact(stepInfo.shape()[2]);
            if (target.bf16()) return decodeBf16(name, g, weights.roundedToBf16(), prompt, batch, length, steps, vocab);
            float[] refLogits = st.floats("output.step_logits");
            long[] refTokens = st.longs("output.tokens");

            List<Check> checks = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            boolean cpu = target == Target.CPU;
            CpuExecutor exec = cpu ? new CpuExecutor(g, weights) : null;
            // on cuda the states stay on the device and a step returns only logits: states and per-layer outputs are not compared
            CudaExecutor gpu = cpu ? null : new CudaExecutor(new KernelPipeline(g, CudaTarget.lowering(Precision.FP32)), weights);
            float[][] ourLogits = new float[steps + 1][];
            long[][] ourTokens = new long[steps + 1][];
            Map<Integer, float[]> stepHidden = new HashMap<>();
            List<Integer> layerOutputs = new ArrayList<>();
            for (int i = 0; i < built.blocks().size(); i++) layerOutputs.add(g.probes().get("layers." + i));
            try {
                float[] logits = !cpu ? gpu.prefill(prompt, batch, length, length + steps + 1)
                        : cp == null ? exec.prefill(prompt, batch, length) : prefillSharded(cp, g, weights, exec, prompt, batch, length, notes);
                if (cpu) compareStates(st, "state.prefill.", built, exec, length, checks, notes);
                else notes.add("cuda: states and per-step layer outputs stay on the device and are not compared");
                for (int s = 0; s <= steps; s++) {
                    if (s > 0 && !cpu) {
                        logits = gpu.step(ourTokens[s - 1]);
                    } else if (s > 0) {
                        Map<Integer, float[]> out = exec.step(ourTokens[s - 1], layerOutputs);
                        logits = out.get(g.outputs().getFirst());
                        for (int v : layerOutputs) stepHidden.computeIfAbsent(v, k -> new float[batch * steps * width(g, v)]);
                        for (int v : layerOutputs) place(stepHidden.get(v), out.get(v), batch, steps, s - 1, width(g, v));
                    }
                    ourLogits[s] = logits;
                    ourTokens[s] = new long[batch];
                    for (int b = 0; b < batch; b++) ourTokens[s][b] = hyenac.runtime.text.Sampler.argmax(logits, b * vocab, vocab);
                }
                checks.add(check("output.step_logits", "decode", interleave(ourLogits, batch, vocab), refLogits));
                long[] tokens = new long[batch * (steps + 1)];
                for (int s = 0; s <= steps; s++) for (int b = 0; b < batch; b++) tokens[b * (steps + 1) + s] = ourTokens[s][b];
                boolean same = java.util.Arrays.equals(tokens, refTokens);
                checks.add(new Check("output.tokens", "greedy", same ? 0 : 1, 1, 0, same));
                for (int i = 0; i < built.blocks().size(); i++) {
                    String t = "inter.step_hidden.layer" + built.blocks().get(i);
                    if (cpu && st.contains(t)) checks.add(check(t, "layers." + i, stepHidden.get(layerOutputs.get(i)), st.floats(t)));
                }
                if (cpu) compareStates(st, "state.final.", built, exec, length + steps, checks, notes);
            } finally {
                if (gpu != null) gpu.close();
            }

            if (st.contains("check.parallel_logits")) {
                int full = length + steps;
                long[] sequence = new long[batch * full];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(prompt, b * length, sequence, b * full, length);
                    for (int s = 0; s < steps; s++) sequence[b * full + length + s] = ourTokens[s][b];
                }
                int out = g.outputs().getFirst();
                float[] all = forwardOn(target, cp, g, weights, batch, full, sequence, Map.of(), List.of(out)).get(out);
                float[] window = new float[batch * (steps + 1) * vocab];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(all, (b * full + length - 1) * vocab, window, b * (steps + 1) * vocab, (steps + 1) * vocab);
                }
                checks.add(check("check.parallel_logits", "parallel", window, st.floats("check.parallel_logits")));
                checks.add(check("decode vs our parallel pass", "both", interleave(ourLogits, batch, vocab), window));
            }
            return new CaseResult(name, "model_decode", checks, notes, null);
        }
    }

    /** A context-parallel prefill; rank 0 (here {@code exec}) then holds the states, built from what the stateful nodes read. */
    private static float[] prefillSharded(ContextParallel cp, Graph g, WeightStore weights, CpuExecutor exec, long[] prompt, int batch,
                                          int length, List<String> notes) {
        java.util.Set<Integer> wanted = new java.util.LinkedHashSet<>(ContextParallelCpu.readByStatefulNodes(g));
        wanted.add(g.outputs().getFirst());
        Map<Integer, float[]> read = cp.on(g).forward(g, weights, batch, length, prompt, Map.of(), wanted);
        exec.resumeAfter(read, batch, length);
        notes.add("prefill over " + cp.ranks() + " ranks (--cp-mode " + cp.mode().flag() + "), decode on rank 0");
        return exec.lastPosition(read, batch, length);
    }

    /**
     * bf16 decode: the CPU (fp32, same rounded weights) prefills and steps greedily; the GPU prefills and steps
     * on the CPU's tokens (bf16 may pick a different near-tie, which would end the comparison), and every
     * step's logits are compared.
     */
    private static CaseResult decodeBf16(String name, Graph g, WeightStore weights, long[] prompt, int batch, int length, int steps, int vocab) {
        CpuExecutor cpu = new CpuExecutor(g, weights);
        float[][] ref = new float[steps + 1][], ours = new float[steps + 1][];
        try (CudaExecutor gpu = new CudaExecutor(new KernelPipeline(g, CudaTarget.lowering(Precision.BF16)), weights)) {
            ref[0] = cpu.prefill(prompt, batch, length);
            ours[0] = gpu.prefill(prompt, batch, length, length + steps + 1);
            for (int s = 1; s <= steps; s++) {
                long[] next = new long[batch];
                for (int b = 0; b < batch; b++) next[b] = hyenac.runtime.text.Sampler.argmax(ref[s - 1], b * vocab, vocab);
                ref[s] = cpu.step(next);
                ours[s] = gpu.step(next);
            }
        }
        List<Check> checks = List.of(check("step logits vs the CPU", "decode", interleave(ours, batch, vocab), interleave(ref, batch, vocab),
                Target.CUDA_BF16.tolerance(true)));
        return new CaseResult(name, "model_decode", checks, List.of("bf16: steps fed the CPU oracle's greedy tokens"), null);
    }

    /** vortex state names per layer → our stateful node (by the prelude's binding names) and its state. */
    private static void compareStates(SafeTensorsFile st, String prefix, Built built, CpuExecutor exec, int consumed,
                                      List<Check> checks, List<String> notes) {
        for (int i = 0; i < built.blocks().size(); i++) {
            String base = prefix + "layer" + built.blocks().get(i) + ".";
            String layer = "layers." + i + ".mixer.";
            for (String t : st.names()) {
                if (!t.startsWith(base)) continue;
                String what = t.substring(base.length());
                float[] ours = switch (what) {
                    case "featurizer_fir" -> stateOf(built.graph(), exec, layer + "featurizer") instanceof hyenac.backends.cpu.FirState f ? f.history() : null;
                    case "inner_fir" -> stateOf(built.graph(), exec, layer + "filter") instanceof hyenac.backends.cpu.FirState f ? f.history() : null;
                    case "iir" -> stateOf(built.graph(), exec, layer + "filter") instanceof hyenac.backends.cpu.ModalState m ? m.state() : null;
                    case "k_cache" -> stateOf(built.graph(), exec, layer + "causal_attention") instanceof hyenac.backends.cpu.KvCache k ? k.keys() : null;
                    case "v_cache" -> stateOf(built.graph(), exec, layer + "causal_attention") instanceof hyenac.backends.cpu.KvCache k ? k.values() : null;
                    default -> null;
                };
                if (ours == null) {
                    notes.add(t + ": no matching state");
                    continue;
                }
                float[] ref = st.floats(t);
                long[] shape = st.info(t).shape();
                // vortex keeps a growing MR buffer (fewer columns while few tokens were seen); ours is
                // zero-padded and fixed: compare the columns both hold, the most recent ones.
                if (what.equals("inner_fir") && ours.length != ref.length) ours = lastColumns(ours, ref.length, shape[2]);
                checks.add(check(t, "layers." + i, ours, ref));
            }
        }
    }

    private static Object stateOf(Graph g, CpuExecutor exec, String path) {
        return g.nodes().stream().filter(n -> n.path().equals(path)).findFirst().map(exec::state).orElse(null);
    }

    private static float[] lastColumns(float[] ours, int refLength, long columns) {
        int rows = Math.toIntExact(refLength / columns);
        int have = ours.length / rows;
        float[] out = new float[refLength];
        for (int r = 0; r < rows; r++) System.arraycopy(ours, r * have + have - (int) columns, out, r * (int) columns, (int) columns);
        return out;
    }

    private static int width(Graph g, int value) { return Math.toIntExact(g.value(value).type().channels()); }

    /** Writes one step's [batch, width] into a [batch, steps, width] array at step s. */
    private static void place(float[] all, float[] step, int batch, int steps, int s, int width) {
        for (int b = 0; b < batch; b++) System.arraycopy(step, b * width, all, (b * steps + s) * width, width);
    }

    /** Per-step [batch, vocab] arrays as one [batch, steps, vocab] array. */
    private static float[] interleave(float[][] perStep, int batch, int vocab) {
        float[] out = new float[batch * perStep.length * vocab];
        for (int s = 0; s < perStep.length; s++) {
            for (int b = 0; b < batch; b++) System.arraycopy(perStep[s], b * vocab, out, (b * perStep.length + s) * vocab, vocab);
        }
        return out;
    }

    private static Check check(String tensor, String probe, float[] ours, float[] ref) {
        return check(tensor, probe, ours, ref, RELATIVE_TOLERANCE);
    }

    private static Check check(String tensor, String probe, float[] ours, float[] ref, double tolerance) {
        if (ours == null || ref == null || ours.length != ref.length) return new Check(tensor, probe, Double.POSITIVE_INFINITY, 0, tolerance, false);
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            maxErr = Math.max(maxErr, Math.abs((double) ours[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return new Check(tensor, probe, maxErr, maxRef, tolerance, maxErr <= tolerance * maxRef && !Double.isNaN(maxErr));
    }

    private static List<Check> compare(Map<String, float[]> ref, Map<String, Integer> wanted, Map<Integer, float[]> got, double tolerance) {
        List<Check> checks = new ArrayList<>();
        for (var e : wanted.entrySet()) checks.add(check(e.getKey(), "%" + e.getValue(), got.get(e.getValue()), ref.get(e.getKey()), tolerance));
        return checks;
    }

    private static String render(List<Diagnostic> diags) {
        return diags.stream().map(HumanRenderer::render).collect(Collectors.joining());
    }

    private static Map<String, String> linked(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }
}
