package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.ir.Weight;
import hyenac.runtime.exec.DeviceTarget;
import hyenac.runtime.weights.SafetensorsType;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.TensorData;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code hyenac compile} and {@code hyenac run} on .hyx files: same tokens as the spec, and every damaged artifact refused cleanly. */
class ArtifactCommandsTest {
    static final Path TINY = CommandLineTest.samples().resolve("sh2-tiny.hyena").toAbsolutePath();

    static CommandLineTest.Run run(String... args) { return CommandLineTest.run(args); }

    /** The generated text and token ids (stdout; the timings go to stderr). */
    static String generated(CommandLineTest.Run r) {
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\ntokens: "), r.out());
        assertTrue(r.err().contains("[sh2_tiny on cpu:"), r.err());
        return r.out();
    }

    static CommandLineTest.Run generate(String model, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", model, "--prompt", "ACGT", "--generate", "8", "--print-tokens"));
        args.addAll(List.of(extra));
        return run(args.toArray(String[]::new));
    }

    /** A clean refusal: exit 1, the expected words on stderr, no stack trace. */
    static void refused(CommandLineTest.Run r, String... words) {
        assertEquals(1, r.code(), r.err());
        for (String w : words) assertTrue(r.err().contains(w), "expected `" + w + "` in:\n" + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("    at ") || r.err().contains("Exception"), r.err());
    }

    static Path compile(Path dir, String name, String... extra) {
        Path hyx = dir.resolve(name);
        List<String> args = new ArrayList<>(List.of("compile", TINY.toString(), "-o", hyx.toString()));
        args.addAll(List.of(extra));
        CommandLineTest.Run r = run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + hyx + ": model sh2_tiny for cpu, 76 weights (394,296 parameters)"), r.out());
        return hyx;
    }

    static Graph tinyGraph() {
        Compilation.Result c = Compilation.compile(TINY, null);
        assertTrue(c.ok());
        return c.graph();
    }

    @Test
    void aCompiledArtifactGeneratesTheSameTokensAsItsSpec(@TempDir Path dir) {
        Path hyx = compile(dir, "tiny.hyx");
        assertEquals(generated(generate(TINY.toString())), generated(generate(hyx.toString())));
        assertEquals(generated(generate(TINY.toString(), "--seed", "3", "--temperature", "0.8")),
                generated(generate(hyx.toString(), "--seed", "3", "--temperature", "0.8")));
    }

    @Test
    void embeddedRandomWeightsAreTheSeededOnes(@TempDir Path dir) {
        Path hyx = compile(dir, "tiny.hyx", "--random-weights", "--seed", "5");
        CommandLineTest.Run fromHyx = generate(hyx.toString());
        assertFalse(fromHyx.err().contains("random weights"), "embedded weights need no warning: " + fromHyx.err());
        assertEquals(generated(generate(TINY.toString(), "--seed", "5")), generated(fromHyx));
    }

    @Test
    void weightsGivenAtCompileTimeTravelWithTheArtifact(@TempDir Path dir) throws IOException {
        Graph g = tinyGraph();
        Path w = dir.resolve("w.safetensors");
        WeightStore.random(g, 11).save(w, g, Map.of());
        Path hyx = compile(dir, "tiny.hyx", "--weights", w.toString());
        Files.delete(w);
        String expected = generated(generate(hyx.toString()));
        WeightStore.random(g, 11).save(w, g, Map.of());
        assertEquals(generated(generate(TINY.toString(), "--weights", w.toString())), expected);
        // --weights at run time wins over the embedded ones.
        Path other = dir.resolve("other.safetensors");
        WeightStore.random(g, 12).save(other, g, Map.of());
        assertEquals(generated(generate(TINY.toString(), "--weights", other.toString())),
                generated(generate(hyx.toString(), "--weights", other.toString())));
    }

    @Test
    void compilingTwiceGivesTheSameBytes(@TempDir Path dir) throws IOException {
        assertArrayEquals(Files.readAllBytes(compile(dir, "a.hyx", "--random-weights")), Files.readAllBytes(compile(dir, "b.hyx", "--random-weights")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"plan.ir", "weights.json", "spec/sh2-tiny.hyena", "weights.safetensors", "meta.json", "format"})
    void aChangedEntryIsNamed(String entry, @TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx", "--random-weights");
        rewrite(hyx, Map.of(entry, ArtifactCommandsTest::flipAByte), false);
        CommandLineTest.Run r = generate(hyx.toString());
        refused(r, "hyenac run: " + hyx + ": entry " + entry + " does not match its checksum (the file was changed or is damaged)");
    }

    @Test
    void aTruncatedArtifactIsRefused(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx", "--random-weights");
        byte[] all = Files.readAllBytes(hyx);
        Files.write(hyx, java.util.Arrays.copyOf(all, all.length / 2));
        refused(generate(hyx.toString()), hyx + ": not a .hyx file, or truncated or damaged");
        Files.write(hyx, new byte[0]);
        refused(generate(hyx.toString()), hyx + ": not a .hyx file");
        refused(generate(dir.resolve("absent.hyx").toString()), "absent.hyx: no such file");
    }

    @Test
    void entriesThatWouldEscapeAreRefused(@TempDir Path dir) throws IOException {
        for (String evil : List.of("../evil", "spec/../../evil", "/etc/evil")) {
            Path hyx = compile(dir, "tiny.hyx");
            Map<String, UnaryOperator<byte[]>> edits = new LinkedHashMap<>();
            edits.put(evil, b -> "boo".getBytes(StandardCharsets.UTF_8));
            rewrite(hyx, edits, true);
            refused(generate(hyx.toString()), hyx + ": entry " + evil + " has an unsafe path");
            assertFalse(Files.exists(dir.resolve("evil")) || Files.exists(dir.getParent().resolve("evil")));
        }
    }

    @Test
    void anEditedPlanIsCaughtEvenWithFreshChecksums(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("plan.ir", b -> new String(b, StandardCharsets.UTF_8).replace("eps = 1.0E-6", "eps = 1.0E-5").getBytes(StandardCharsets.UTF_8),
                "meta.json", b -> new String(b, StandardCharsets.UTF_8).replaceFirst("\"hyenac\": \"[^\"]*\"", "\"hyenac\": \"0.0.1\"")
                        .getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": entry plan.ir differs from the plan hyenac ", "built by hyenac 0.0.1", "first at line 3");
    }

    @Test
    void aCudaArtifactStoresItsPlansAndRefusesOnesItsSpecDoesNotMake(@TempDir Path dir) throws IOException {
        Path hyx = dir.resolve("tiny.hyx");
        CommandLineTest.Run made = run("compile", TINY.toString(), "--target", "cuda", "-o", hyx.toString());
        assertEquals(0, made.code(), made.err());
        CommandLineTest.Run graph = run("graph", TINY.toString(), "--target", "cuda", "--phase", "step");
        String plan = graph.out().substring(graph.out().indexOf("plan step given"));
        // the stored plan is the one the spec compiles to, origins relative to the artifact's spec/
        CommandLineTest.Run shown = run("explain", hyx.toString(), "--kernels", "--target", "cuda", "--phase", "step");
        assertEquals(0, shown.code(), shown.err());
        assertEquals(plan.replace(TINY.toString(), "sh2-tiny.hyena"), shown.out().substring(shown.out().indexOf("plan step given")));
        rewrite(hyx, Map.of("plans/step.json", b -> new String(b, StandardCharsets.UTF_8).replaceFirst("\"dialect\": \"cuda\"", "\"dialect\": \"opencl\"")
                .getBytes(StandardCharsets.UTF_8)), true);
        refused(run("explain", hyx.toString(), "--kernels", "--target", "cuda"), hyx + ": entry plans/step.json differs from the step plan hyenac ",
                "makes of the embedded spec for cuda (first at line", "compile it again");
    }

    @Test
    void aNewerFormatIsNamed(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("format", b -> "hyx 4\n".getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": format `hyx 4` is not one this hyenac", "it reads `hyx 1`, `hyx 2` and `hyx 3`");
    }

    /** An artifact as hyenac wrote them before targets carried kernels: format hyx 1, no precision or kernels in meta.json. */
    static void makeHyx1(Path hyx) throws IOException {
        rewrite(hyx, Map.of("format", b -> "hyx 1\n".getBytes(StandardCharsets.UTF_8),
                "meta.json", b -> new String(b, StandardCharsets.UTF_8).replaceAll(",\n  \"precision\": \"fp32\",\n  \"kernels\": \"none\"", "")
                        .getBytes(StandardCharsets.UTF_8)), true);
    }

    @Test
    void aHyx1ArtifactStillRuns(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx", "--random-weights", "--seed", "5");
        makeHyx1(hyx);
        try (ZipFile z = new ZipFile(hyx.toFile())) {
            String meta = new String(z.getInputStream(z.getEntry("meta.json")).readAllBytes(), StandardCharsets.UTF_8);
            assertFalse(meta.contains("precision") || meta.contains("kernels"), meta);
        }
        assertEquals(generated(generate(TINY.toString(), "--seed", "5")), generated(generate(hyx.toString())));
        CommandLineTest.Run listed = run("explain", hyx.toString());
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().contains(": hyx 1, model sh2_tiny") && listed.out().contains("target cpu, precision fp32; kernels: none"), listed.out());
        // hyx 1 had no kernels/ directory.
        rewrite(hyx, Map.of("kernels/k.cu", b -> "//".getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": unexpected entry kernels/k.cu (not part of the hyx 1 format)");
    }

    @Test
    void metaThatIsNotJsonIsOneLineWithoutTheJsonLibrarysWords(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("meta.json", b -> "{\"model\": \"sh2_tiny\",, }".getBytes(StandardCharsets.UTF_8)), true);
        CommandLineTest.Run r = generate(hyx.toString());
        refused(r, hyx + ": entry meta.json is not valid: ", "line 1 column", "compile it again");
        assertFalse(r.err().contains("gson") || r.err().contains("http") || r.err().contains("Strictness"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void anOutputThatIsAnInputIsRefusedAndTheInputKept(@TempDir Path dir) throws IOException {
        Path spec = Files.copy(TINY, dir.resolve("tiny.hyena"));
        byte[] before = Files.readAllBytes(spec);
        refused(run("compile", spec.toString(), "-o", spec.toString()), "-o " + spec + " is the spec");
        // another spelling of the same file is the same file
        refused(run("compile", spec.toString(), "-o", dir.resolve(".").resolve("tiny.hyena").toString()), "is the spec");
        assertArrayEquals(before, Files.readAllBytes(spec));

        Path hyx = compile(dir, "tiny.hyx");
        byte[] artifact = Files.readAllBytes(hyx);
        refused(run("build", hyx.toString(), "--jar", hyx.toString()), "--jar " + hyx + " is the artifact");
        assertArrayEquals(artifact, Files.readAllBytes(hyx));

        Path weights = dir.resolve("w.safetensors");
        WeightStore.random(tinyGraph(), 1).save(weights, tinyGraph(), Map.of());
        byte[] w = Files.readAllBytes(weights);
        refused(run("compile", spec.toString(), "--weights", weights.toString(), "-o", weights.toString()), "is the --weights file");
        assertArrayEquals(w, Files.readAllBytes(weights));

        Path yml = Files.writeString(dir.resolve("c.yml"), "hidden_size: 64\n");
        refused(run("import", yml.toString(), "-o", yml.toString()), "-o " + yml + " is the config");
        assertEquals("hidden_size: 64\n", Files.readString(yml));
    }

    @Test
    void anOutputInAMissingDirectoryOrThatIsADirectoryIsRefusedBeforeAnyWork(@TempDir Path dir) {
        Path missing = dir.resolve("no/such/dir/x.hyx");
        refused(run("compile", TINY.toString(), "-o", missing.toString()), "-o " + missing + ": the directory " + missing.getParent() + " does not exist");
        refused(run("compile", TINY.toString(), "-o", dir.toString()), "-o " + dir + " is a directory; name the file to write");
        refused(run("build", TINY.toString(), "--jar", dir.resolve("no/x.jar").toString()), "does not exist");
    }

    @Test
    void metaMustNameAKnownTargetAndPrecision(@TempDir Path dir) throws IOException {
        Path hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("meta.json", b -> new String(b, StandardCharsets.UTF_8).replace("\"target\": \"cpu\"", "\"target\": \"tpu\"")
                .getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": entry meta.json names the target `tpu`, which this hyenac does not know (targets: cpu, cuda)");
        hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("meta.json", b -> new String(b, StandardCharsets.UTF_8).replace("\"precision\": \"fp32\"", "\"precision\": \"fp8\"")
                .getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": entry meta.json names the precision `fp8` (fp32 or bf16 expected)");
        hyx = compile(dir, "tiny.hyx");
        rewrite(hyx, Map.of("kernels/k.cu", b -> "//".getBytes(StandardCharsets.UTF_8)), true);
        refused(generate(hyx.toString()), hyx + ": entry kernels/k.cu is unexpected in an artifact for target cpu");
    }

    @Test
    void explainListsWhatAnArtifactCarries(@TempDir Path dir) {
        Path hyx = compile(dir, "tiny.hyx", "--random-weights", "--seed", "2");
        CommandLineTest.Run r = run("explain", hyx.toString());
        assertEquals(0, r.code(), r.err());
        String out = r.out();
        assertTrue(out.startsWith("artifact " + hyx + ": hyx 3, model sh2_tiny, built by hyenac "), out);
        assertTrue(out.contains("  target cpu, precision fp32; kernels: none\n  weights: random, seed 2\n"), out);
        for (String entry : List.of("format", "meta.json", "spec/sh2-tiny.hyena", "plan.ir", "weights.json", "weights.safetensors", "checksums")) {
            assertTrue(out.contains("  " + entry + "\n"), entry + " in:\n" + out);
        }
        assertTrue(out.contains("model sh2_tiny: "), "then the usual report:\n" + out);
        CommandLineTest.Run json = run("explain", hyx.toString(), "--json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().contains("\"artifact\": {") && json.out().contains("\"target\": \"cpu\""), json.out());
    }

    /** Runs {@code body} as a hyenac built without the cuda backend would: ServiceLoader finds no DeviceTarget. */
    static void withoutTheCudaBackend(Runnable body) {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(new ClassLoader(before) {
            @Override public Enumeration<URL> getResources(String name) throws IOException {
                return name.equals("META-INF/services/" + DeviceTarget.class.getName()) ? Collections.emptyEnumeration() : super.getResources(name);
            }
        });
        try {
            body.run();
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    @Test
    void withoutTheCudaBackendAutoRunsOnTheCpuAndCudaIsRefused(@TempDir Path dir) {
        // app's class path has the cuda backend (CudaTargetCommandsTest covers it); hidden here, as a build without it.
        withoutTheCudaBackend(() -> withoutCuda(dir));
    }

    private static void withoutCuda(Path dir) {
        CommandLineTest.Run auto = generate(TINY.toString());
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.err().contains("target: cpu (this hyenac was built without the cuda backend)\n"), auto.err());
        CommandLineTest.Run cpu = generate(TINY.toString(), "--target", "cpu");
        assertFalse(cpu.err().contains("target:"), "a target the user named needs no reason: " + cpu.err());
        assertEquals(generated(auto), generated(cpu));
        for (String[] args : List.of(new String[] {"run", TINY.toString(), "--prompt", "A", "--target", "cuda"},
                new String[] {"compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--target", "cuda"})) {
            CommandLineTest.Run r = run(args);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(": --target cuda: this hyenac was built without the cuda backend") && r.err().contains("use --target cpu"), r.err());
            assertFalse(r.err().contains("Exception"), r.err());
        }
    }

    @Test
    void importedFilesTravelAndTheArtifactRunsWithoutThem(@TempDir Path dir) throws IOException {
        // The root imports a file beside it and one a level up: both are packed, relative to their common directory.
        Path models = Files.createDirectories(dir.resolve("src/models"));
        Files.writeString(dir.resolve("src/gate.hyena"), "import \"std\"\nop gate() (x) {\n  op p = linear(features = width)\n  out silu(p(x)) * x\n}\n");
        Files.writeString(models.resolve("mix.hyena"), "import \"std\"\nimport \"../gate\"\nop mix() (x) {\n  op g = gate()\n  out g(x)\n}\n");
        Path root = models.resolve("m.hyena");
        Files.writeString(root, "import \"std\"\nimport \"mix\"\nmodel m {\n  vocab = 512\n  width = 16\n  context = 64\n  dtype = fp32\n"
                + "  op x = mix()\n  op se = hyena_se(len = 3, groups = 4)\n  op mlp = gated_mlp(hidden = 32, act = gelu)\n  layers = [x, se]\n}\n");
        CommandLineTest.Run spec = run("run", root.toString(), "--prompt", "ACGT", "--generate", "6", "--print-tokens");
        assertEquals(0, spec.code(), spec.err());
        Path hyx = dir.resolve("m.hyx");
        assertEquals(0, run("compile", root.toString(), "-o", hyx.toString()).code());
        try (ZipFile z = new ZipFile(hyx.toFile())) {
            List<String> names = java.util.Collections.list(z.entries()).stream().map(ZipEntry::getName).toList();
            assertTrue(names.containsAll(List.of("spec/models/m.hyena", "spec/models/mix.hyena", "spec/gate.hyena")), names.toString());
            String meta = new String(z.getInputStream(z.getEntry("meta.json")).readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(meta.contains("\"spec\": \"models/m.hyena\""), meta);
        }
        String expected = spec.out();
        try (var walk = Files.walk(dir.resolve("src"))) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        CommandLineTest.Run fromHyx = run("run", hyx.toString(), "--prompt", "ACGT", "--generate", "6", "--print-tokens");
        assertEquals(0, fromHyx.code(), fromHyx.err());
        assertEquals(expected, fromHyx.out());
    }

    @Test
    void weightsMissingATensorAreNamedWithTheirFile(@TempDir Path dir) {
        Graph g = tinyGraph();
        Path w = dir.resolve("w.safetensors");
        writeWeights(w, g, "layers.2.mixer.filter.residues", null);
        String want = w + ": tensor \"layers.2.mixer.filter.residues\" is missing";
        refused(generate(TINY.toString(), "--weights", w.toString()), "hyenac run: " + want);
        refused(run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--weights", w.toString()), "hyenac compile: " + want);
        assertFalse(Files.exists(dir.resolve("x.hyx")));
        Path hyx = compile(dir, "tiny.hyx");
        refused(generate(hyx.toString(), "--weights", w.toString()), "hyenac run: " + want);
    }

    @Test
    void weightsOfTheWrongShapeAreNamedWithTheirFile(@TempDir Path dir) {
        Graph g = tinyGraph();
        Path w = dir.resolve("w.safetensors");
        writeWeights(w, g, null, "layers.0.pre_norm.scale");
        String want = w + ": tensor \"layers.0.pre_norm.scale\" has shape [63], but the model's layers.0.pre_norm.scale needs [64]";
        refused(generate(TINY.toString(), "--weights", w.toString()), "hyenac run: " + want);
        refused(run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--weights", w.toString()), "hyenac compile: " + want);
    }

    @Test
    void aNonFiniteWeightIsNamedWithItsIndexUnlessTheCheckIsSkipped(@TempDir Path dir) {
        Graph g = tinyGraph();
        WeightStore s = WeightStore.random(g, 1);
        List<TensorData> list = new ArrayList<>();
        for (Weight w : g.weights().values()) {
            float[] v = s.get(w.name());
            if (w.name().equals("layers.1.mlp.w2.weight")) v[2 * 64 + 9] = Float.POSITIVE_INFINITY;
            list.add(TensorData.of(w.name(), SafetensorsType.F32, w.shape().stream().mapToLong(Long::longValue).toArray(), v));
        }
        Path w = dir.resolve("inf.safetensors");
        SafeTensors.write(w, Map.of(), list);
        refused(generate(TINY.toString(), "--weights", w.toString()),
                "hyenac run: " + w + ": tensor \"layers.1.mlp.w2.weight\" holds Infinity at index 137 [2, 9]; every weight must be a finite number");
        refused(run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--weights", w.toString()), "holds Infinity at index 137");
        // unchecked, the weights load, and the infinity reaches the logits: generation stops there, with its own error
        CommandLineTest.Run unchecked = generate(TINY.toString(), "--weights", w.toString(), "--no-weight-check");
        refused(unchecked, "hyenac run: the model's logits are not finite");
        assertFalse(unchecked.err().contains("holds Infinity"), unchecked.err());
    }

    @Test
    void moreMemoryIsAskedForAsTheLauncherOrTheJarTakesIt() {
        assertEquals("run it as HYENAC_JAVA_OPTS=-Xmx15g ./hyenac … on a machine with that much free memory",
                Generation.moreMemory("hyenac run", (14L << 30) + 1));
        assertEquals("run it as java -Xmx2g -jar evo.jar … on a machine with that much free memory", Generation.moreMemory("java -jar evo.jar", 2L << 30));
    }

    @Test
    void optionMistakesAreUsageErrors(@TempDir Path dir) {
        assertEquals(2, run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--weights", "w", "--random-weights").code());
        assertEquals(2, run("compile", TINY.toString()).code(), "-o is required");
        assertEquals(2, run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--target", "gpu").code());
        assertEquals(2, run("run", TINY.toString(), "--prompt", "A", "--target", "gpu").code());
        CommandLineTest.Run arch = run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--arch", "90");
        assertEquals(2, arch.code());
        assertTrue(arch.err().contains("--arch takes a GPU architecture such as sm_90 or sm_80, not `90`"), arch.err());
        CommandLineTest.Run cpuArch = run("compile", TINY.toString(), "-o", dir.resolve("x.hyx").toString(), "--target", "cpu", "--arch", "sm_90");
        assertEquals(2, cpuArch.code());
        assertTrue(cpuArch.err().contains("--arch applies to --target cuda"), cpuArch.err());
        assertFalse(Files.exists(dir.resolve("x.hyx")));
    }

    @Test
    void anUnwritableOutputIsAUserError(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "");
        Path out = file.resolve("x.hyx");
        refused(run("compile", TINY.toString(), "-o", out.toString()), "hyenac compile: -o " + out + ": " + file + " is not a directory");
    }

    @Test
    void aSpecWithErrorsWritesNothing(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.hyena");
        Files.writeString(bad, "import \"std\"\nmodel m { vocab = 4 }\n");
        CommandLineTest.Run r = run("compile", bad.toString(), "-o", dir.resolve("x.hyx").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("error["), r.err());
        assertFalse(Files.exists(dir.resolve("x.hyx")));
    }

    // ---------------------------------------------------------------------------------------- helpers

    /** Writes sh2-tiny's weights, leaving out {@code skip} and giving {@code shrink} one element too few. */
    static void writeWeights(Path file, Graph g, String skip, String shrink) {
        WeightStore s = WeightStore.random(g, 1);
        List<TensorData> list = new ArrayList<>();
        for (Weight w : g.weights().values()) {
            if (w.name().equals(skip)) continue;
            long[] shape = w.shape().stream().mapToLong(Long::longValue).toArray();
            float[] v = s.get(w.name());
            if (w.name().equals(shrink)) {
                shape[shape.length - 1]--;
                v = java.util.Arrays.copyOf(v, v.length - 1);
            }
            list.add(TensorData.of(w.name(), SafetensorsType.F32, shape, v));
        }
        SafeTensors.write(file, Map.of(), list);
    }

    static byte[] flipAByte(byte[] b) {
        byte[] c = b.clone();
        c[c.length / 2] ^= 0x20;
        return c;
    }

    /**
     * Rewrites the zip with {@code edits} applied (an edit for an absent name adds that entry); with
     * {@code fixChecksums} the checksums entry is recomputed, as a careful forger would.
     */
    static void rewrite(Path zip, Map<String, UnaryOperator<byte[]>> edits, boolean fixChecksums) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) entries.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        edits.forEach((name, edit) -> entries.put(name, edit.apply(entries.getOrDefault(name, new byte[0]))));
        if (fixChecksums) {
            StringBuilder sums = new StringBuilder();
            entries.forEach((name, bytes) -> {
                if (!name.equals("checksums")) sums.append(sha256(bytes)).append("  ").append(name).append('\n');
            });
            entries.remove("checksums");
            entries.put("checksums", sums.toString().getBytes(StandardCharsets.UTF_8));
        }
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (var e : entries.entrySet()) {
                out.putNextEntry(new ZipEntry(e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
