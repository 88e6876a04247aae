package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.compiler.Compilation;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac score} as a user meets it, its numbers checked against the CPU executor's logits. */
class ScoreCommandTest {
    static final Path TINY = ArtifactCommandsTest.TINY;

    static CommandLineTest.Run run(String... args) { return CommandLineTest.run(args); }

    static Graph tiny() {
        Compilation.Result c = Compilation.compile(TINY, null);
        assertTrue(c.ok(), c.checked().diagnostics().all().toString());
        return c.graph();
    }

    /** sh2-tiny's seeded weights in a file, so that the test and the command read the same numbers. */
    static Path weights(Path dir, Graph g) {
        Path file = dir.resolve("tiny.safetensors");
        WeightStore.random(g, 7).save(file, g, Map.of());
        return file;
    }

    /** Random bases, as a FASTA record's sequence. */
    static String bases(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append("ACGT".charAt(r.nextInt(4)));
        return b.toString();
    }

    /** Per-position rows of a --per-position TSV: name → log-probabilities of positions 1 … n−1, in order. */
    static Map<String, List<Double>> perPosition(String tsv) {
        List<String> lines = tsv.lines().toList();
        assertEquals("name\tposition\ttoken\tlog_prob", lines.getFirst());
        Map<String, List<Double>> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            List<Double> seq = out.computeIfAbsent(f[0], k -> new ArrayList<>());
            assertEquals(seq.size() + 1, Integer.parseInt(f[1]), "positions count from 1: the first token is not scored");
            seq.add(Double.parseDouble(f[3]));
        }
        return out;
    }

    /** Rows of a per-sequence TSV: name → [length, scored tokens, score]. */
    static Map<String, double[]> perSequence(String tsv, String scoreColumn) {
        List<String> lines = tsv.lines().toList();
        assertEquals("name\tlength\tscored_tokens\t" + scoreColumn, lines.getFirst());
        Map<String, double[]> out = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            out.put(f[0], new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3])});
        }
        return out;
    }

    /** log softmax(logits at t − 1)[x_t] for t ≥ 1, from the CPU executor's logits of one parallel pass, in double. */
    static double[] expected(Graph g, WeightStore w, byte[] sequence) {
        int n = sequence.length, logits = g.outputs().getFirst();
        long[] tokens = new long[n];
        for (int i = 0; i < n; i++) tokens[i] = sequence[i] & 0xff;
        float[] all = new CpuExecutor(g, w).run(1, n, tokens, Map.of(), List.of(logits)).get(logits);
        int vocab = all.length / n;
        double[] out = new double[n - 1];
        for (int t = 1; t < n; t++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < vocab; v++) max = Math.max(max, all[(t - 1) * vocab + v]);
            for (int v = 0; v < vocab; v++) sum += Math.exp(all[(t - 1) * vocab + v] - max);
            out[t - 1] = all[(t - 1) * vocab + (int) tokens[t]] - max - Math.log(sum);
        }
        return out;
    }

    static void noTrace(CommandLineTest.Run r) { RunCommandTest.noTrace(r); }

    @Test
    void scoresAreTheLogSoftmaxOfTheCpuExecutorsLogits(@TempDir Path dir) throws IOException {
        Graph g = tiny();
        Path w = weights(dir, g);
        Path fa = dir.resolve("seqs.fa");
        // a record over several lines with blanks and CRLF, lowercase kept as its own tokens
        Files.writeString(fa, ">ref some description\nACGTTGCA\r\n  GGATCCAA \n\n>alt\nACGTTGCAGGATCCTA\n>low\nacgtNNacgt\n");
        CommandLineTest.Run positions = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu",
                "--per-position");
        assertEquals(0, positions.code(), positions.err());
        CommandLineTest.Run sums = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu");
        assertEquals(0, sums.code(), sums.err());
        assertTrue(sums.err().contains("[sh2_tiny on cpu: 3 sequences, 39 tokens scored (the first of each has no prediction), "), sums.err());

        WeightStore held = WeightStore.random(g, 7);  // what the file holds: sh2-tiny is fp32
        Map<String, String> records = Map.of("ref", "ACGTTGCAGGATCCAA", "alt", "ACGTTGCAGGATCCTA", "low", "acgtNNacgt");
        Map<String, List<Double>> got = perPosition(positions.out());
        Map<String, double[]> totals = perSequence(sums.out(), "log_likelihood");
        assertEquals(List.of("ref", "alt", "low"), List.copyOf(got.keySet()), "input order");
        assertEquals(List.of("ref", "alt", "low"), List.copyOf(totals.keySet()), "input order");
        for (var e : records.entrySet()) {
            double[] want = expected(g, held, e.getValue().getBytes(StandardCharsets.US_ASCII));
            List<Double> each = got.get(e.getKey());
            assertEquals(want.length, each.size(), e.getKey());
            double sum = 0;
            for (int t = 0; t < want.length; t++) {
                assertEquals(want[t], each.get(t), 2e-6, e.getKey() + " position " + (t + 1));
                sum += want[t];
            }
            double[] row = totals.get(e.getKey());
            assertEquals(e.getValue().length(), (int) row[0]);
            assertEquals(e.getValue().length() - 1, (int) row[1]);
            assertEquals(sum, row[2], 1e-5, e.getKey() + " total");
        }
        // the token column shows each scored base
        assertTrue(positions.out().contains("low\t1\tc\t") && positions.out().contains("low\t4\tN\t"), positions.out());
    }

    @Test
    void sequencesLongerThanAChunkGoThroughTheRecurrentStateToTheSameNumbers(@TempDir Path dir) throws IOException {
        Graph g = tiny();
        Path w = weights(dir, g);
        Path fa = dir.resolve("long.fa");
        // two of one length (a batch of two through the steps) and one of another; past MR's 128 taps
        Files.writeString(fa, ">a\n" + bases(300, 1) + "\n>b\n" + bases(300, 2) + "\n>c\n" + bases(170, 3) + "\n");
        String[] common = {"score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu", "--per-position", "--batch", "2"};
        CommandLineTest.Run whole = run(concat(common, "--chunk", "300"));
        assertEquals(0, whole.code(), whole.err());
        assertFalse(whole.err().contains("recurrent steps"), whole.err());
        Map<String, List<Double>> one = perPosition(whole.out());
        for (String chunk : new String[] {"1", "37", "129"}) {
            CommandLineTest.Run chunked = run(concat(common, "--chunk", chunk));
            assertEquals(0, chunked.code(), chunked.err());
            assertTrue(chunked.err().contains("; past " + chunk + " tokens, recurrent steps"), chunked.err());
            Map<String, List<Double>> got = perPosition(chunked.out());
            assertEquals(one.keySet(), got.keySet());
            for (String name : one.keySet()) {
                for (int t = 0; t < one.get(name).size(); t++) {
                    assertEquals(one.get(name).get(t), got.get(name).get(t), 1e-4, name + " position " + (t + 1) + " with --chunk " + chunk);
                }
            }
        }
    }

    @Test
    void pastTheContextTheDefaultChunkIsTheContext(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("short.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("context = 4096", "context = 64"));
        Compilation.Result c = Compilation.compile(spec, null);
        assertTrue(c.ok());
        Path w = weights(dir, c.graph());
        Path fa = dir.resolve("one.fa");
        Files.writeString(fa, ">x\n" + bases(150, 4) + "\n");
        CommandLineTest.Run byContext = run("score", spec.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu", "--per-position");
        assertEquals(0, byContext.code(), byContext.err());
        assertTrue(byContext.err().contains("hyenac score: warning: the longest sequence's tokens reach 150 tokens, past the model's context of 64"),
                byContext.err());
        assertTrue(byContext.err().contains("; past 64 tokens, recurrent steps"), byContext.err());
        CommandLineTest.Run onePass = run("score", spec.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu",
                "--per-position", "--chunk", "150");
        assertEquals(0, onePass.code(), onePass.err());
        List<Double> a = perPosition(byContext.out()).get("x"), b = perPosition(onePass.out()).get("x");
        assertEquals(149, a.size());
        for (int t = 0; t < a.size(); t++) assertEquals(b.get(t), a.get(t), 1e-4, "position " + (t + 1));
    }

    @Test
    void batchesOfOneLengthKeepTheNumbersAndTheInputOrder(@TempDir Path dir) throws IOException {
        Path w = weights(dir, tiny());
        Path fa = dir.resolve("mixed.fa");
        StringBuilder b = new StringBuilder();
        int[] lengths = {10, 20, 10, 20, 10};
        for (int i = 0; i < lengths.length; i++) b.append(">s").append(i + 1).append('\n').append(bases(lengths[i], 10 + i)).append('\n');
        Files.writeString(fa, b);
        CommandLineTest.Run single = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu");
        CommandLineTest.Run batched = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu",
                "--batch", "2");
        assertEquals(0, single.code(), single.err());
        assertEquals(0, batched.code(), batched.err());
        Map<String, double[]> one = perSequence(single.out(), "log_likelihood"), two = perSequence(batched.out(), "log_likelihood");
        assertEquals(List.of("s1", "s2", "s3", "s4", "s5"), List.copyOf(two.keySet()));
        for (String name : one.keySet()) assertEquals(one.get(name)[2], two.get(name)[2], 1e-5, name);
    }

    @Test
    void jsonHasTheSameNumbersIndexedByPosition(@TempDir Path dir) {
        Path w = weights(dir, tiny());
        String[] args = {"score", TINY.toString(), "--text", "ACGTACGGT", "--text", "TTGCA", "--weights", w.toString(), "--target", "cpu", "--per-position"};
        CommandLineTest.Run tsv = run(args);
        CommandLineTest.Run json = run(concat(args, "--format", "json", "--reduce", "mean"));
        assertEquals(0, json.code(), json.err());
        JsonObject root = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals("sh2_tiny", root.get("model").getAsString());
        assertEquals("mean", root.get("reduce").getAsString());
        assertEquals("not scored: it has no prediction", root.get("first_token").getAsString());
        Map<String, List<Double>> rows = perPosition(tsv.out());
        JsonArray seqs = root.getAsJsonArray("sequences");
        assertEquals(2, seqs.size());
        for (int i = 0; i < 2; i++) {
            JsonObject s = seqs.get(i).getAsJsonObject();
            String name = "text-" + (i + 1);
            assertEquals(name, s.get("name").getAsString());
            JsonArray p = s.getAsJsonArray("log_probs");
            assertEquals(s.get("length").getAsInt(), p.size());
            assertTrue(p.get(0).isJsonNull(), "position 0 has no prediction");
            double sum = 0;
            for (int t = 1; t < p.size(); t++) {
                assertEquals(rows.get(name).get(t - 1), p.get(t).getAsDouble(), 1e-6);
                sum += p.get(t).getAsDouble();
            }
            assertEquals(p.size() - 1, s.get("scored_tokens").getAsInt());
            assertEquals(sum / (p.size() - 1), s.get("mean_log_likelihood").getAsDouble(), 1e-9);
        }
    }

    @Test
    void meanIsTheSumOverTheScoredTokens(@TempDir Path dir) {
        Path w = weights(dir, tiny());
        String[] args = {"score", TINY.toString(), "--text", "ACGTACGGTA", "--weights", w.toString(), "--target", "cpu"};
        double sum = perSequence(run(args).out(), "log_likelihood").get("text-1")[2];
        double mean = perSequence(run(concat(args, "--reduce", "mean")).out(), "mean_log_likelihood").get("text-1")[2];
        assertEquals(sum / 9, mean, 1e-6);
    }

    @Test
    void badFastaIsOneLineNamingTheFileAndLine(@TempDir Path dir) throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("ACGT\n>x\nAC\n", ":1: sequence data before the first header; a FASTA record starts with a line `>NAME`");
        cases.put(">a\nACGT\n>\nACGT\n", ":3: a header line needs a name right after `>` (e.g. `>seq1`)");
        cases.put(">a\nACGT\n>b\n\n>c\nAA\n", ":3: record `b` has no sequence; give it sequence lines after its header, or remove it");
        cases.put(">a\nAC\nGG\u00e9T\n", ":3:3: byte 0xc3 is not a sequence character");
        cases.put("\n\n", ": no FASTA records; a record is a line `>NAME` followed by its sequence lines");
        int i = 0;
        for (var e : cases.entrySet()) {
            Path fa = dir.resolve("bad" + i++ + ".fa");
            Files.writeString(fa, e.getKey());
            CommandLineTest.Run r = run("score", TINY.toString(), "--fasta", fa.toString(), "--target", "cpu");
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("hyenac score: " + fa + e.getValue()), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
            assertFalse(r.err().contains("random weights"), "refused before the weights: " + r.err());
            noTrace(r);
        }
        Path missing = dir.resolve("missing.fa");
        CommandLineTest.Run r = run("score", TINY.toString(), "--fasta", missing.toString(), "--target", "cpu");
        assertEquals(1, r.code());
        assertEquals("hyenac score: " + missing + ": no such file", r.err().strip());
    }

    @Test
    void aSequenceOfOneTokenHasNothingToScore(@TempDir Path dir) throws IOException {
        CommandLineTest.Run r = run("score", TINY.toString(), "--text", "ACGT", "--text", "A", "--target", "cpu");
        assertEquals(1, r.code());
        assertEquals("hyenac score: --text 2 has 1 token; hyenac score needs at least 2 (the first token has no prediction)", r.err().strip());
        Path fa = dir.resolve("one.fa");
        Files.writeString(fa, ">ok\nACGT\n>single\nG\n");
        r = run("score", TINY.toString(), "--fasta", fa.toString(), "--target", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().strip().startsWith("hyenac score: " + fa + ":3: record `single` has 1 token;"), r.err());
    }

    @Test
    void aByteOutsideASmallVocabularyIsNamedWithItsRecord(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("small.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("vocab = 512", "vocab = 96"));
        Path fa = dir.resolve("x.fa");
        Files.writeString(fa, ">x\nACGTacgt\n");
        CommandLineTest.Run r = run("score", spec.toString(), "--fasta", fa.toString(), "--target", "cpu");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("hyenac score: " + fa + ":1: record `x`: byte 0x61 (at position 4) is token 97, outside sh2_tiny's vocabulary of 96"),
                r.err());
    }

    @Test
    void outIsWrittenWholeAndNeverOverAnInput(@TempDir Path dir) throws IOException {
        Path w = weights(dir, tiny());
        Path fa = dir.resolve("in.fa");
        Files.writeString(fa, ">a\nACGTAC\n");
        Path out = dir.resolve("scores.tsv");
        CommandLineTest.Run toFile = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu", "-o", out.toString());
        assertEquals(0, toFile.code(), toFile.err());
        assertEquals("", toFile.out());
        CommandLineTest.Run toStdout = run("score", TINY.toString(), "--fasta", fa.toString(), "--weights", w.toString(), "--target", "cpu");
        assertEquals(toStdout.out(), Files.readString(out));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("in.fa", "scores.tsv", "tiny.safetensors"), files.map(p -> p.getFileName().toString()).sorted().toList(), "no temporary left");
        }
        CommandLineTest.Run over = run("score", TINY.toString(), "--fasta", fa.toString(), "--target", "cpu", "-o", fa.toString());
        assertEquals(1, over.code());
        assertTrue(over.err().contains("--out " + fa + " is the FASTA input; writing it would destroy what is read"), over.err());
        assertEquals(">a\nACGTAC\n", Files.readString(fa));
    }

    @Test
    void usageMistakesExitTwo() {
        CommandLineTest.Run r = run("score", TINY.toString(), "--text", "ACGT", "--batch", "0");
        assertEquals(2, r.code());
        assertEquals("hyenac score: --batch and --chunk must be at least 1", r.err().strip());
        assertEquals(2, run("score", TINY.toString(), "--text", "ACGT", "--chunk", "0").code());
        assertEquals(2, run("score", TINY.toString()).code(), "no sequences");
        r = run("score", TINY.toString(), "--text", "ACGT", "--fasta", "x.fa");
        assertEquals(2, r.code(), "both --fasta and --text");
        assertTrue(r.err().contains("mutually exclusive"), r.err());
        assertEquals(2, run("score", TINY.toString(), "--text", "ACGT", "--reduce", "max").code());
    }

    @Test
    void anArtifactScoresAsItsSpec(@TempDir Path dir) {
        Path hyx = dir.resolve("tiny.hyx");
        CommandLineTest.Run made = run("compile", TINY.toString(), "-o", hyx.toString(), "--random-weights", "--seed", "3", "--target", "cpu");
        assertEquals(0, made.code(), made.err());
        CommandLineTest.Run fromHyx = run("score", hyx.toString(), "--text", "ACGTTGCATT", "--target", "cpu", "--per-position");
        CommandLineTest.Run fromSpec = run("score", TINY.toString(), "--text", "ACGTTGCATT", "--target", "cpu", "--per-position", "--seed", "3");
        assertEquals(0, fromHyx.code(), fromHyx.err());
        assertFalse(fromHyx.err().contains("random weights"), "the artifact's weights are used: " + fromHyx.err());
        assertEquals(fromSpec.out(), fromHyx.out());
    }

    /** Weightless layers of width 16,384: 131,072 tokens make an activation of 2^31 elements, past one array. */
    static Path wide(Path dir) throws IOException {
        return Files.writeString(dir.resolve("wide.hyena"), """
                op pass() (x) { out x }
                block plain(mixer: op) (x) { out mixer(x) }
                model wide {
                  vocab = 256
                  width = 16384
                  context = 131072
                  block = plain
                  layers = [pass]
                }
                """);
    }

    @Test
    void aPassTooLargeForTheCpuNamesTheOptionsThatSizeIt(@TempDir Path dir) throws IOException {
        Path fa = dir.resolve("long.fa");
        Files.writeString(fa, ">long\n" + "A".repeat(1 << 17) + "\n");
        CommandLineTest.Run r = run("score", wide(dir).toString(), "--fasta", fa.toString(), "--target", "cpu");
        assertEquals(1, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("hyenac score: 131,072 tokens are too many for this model on the CPU") && last.contains("use at most 131,071 tokens")
                && last.endsWith(" (a pass holds --batch sequences of up to --chunk tokens; lower either)"), r.err());
        noTrace(r);
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
