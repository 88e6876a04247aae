package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonParser;
import hyenac.backends.cpu.CpuExecutor;
import hyenac.ir.Graph;
import hyenac.runtime.weights.SafeTensors;
import hyenac.runtime.weights.SafeTensorsFile;
import hyenac.runtime.weights.WeightStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac embed}: its files hold the CPU executor's values at the named point, and load where users load them. */
class EmbedCommandTest {
    static final Path TINY = ArtifactCommandsTest.TINY;
    static final int WIDTH = 64;

    static CommandLineTest.Run run(String... args) { return CommandLineTest.run(args); }

    /** The value named {@code probe} for one sequence, [length, width], from the CPU executor on its own. */
    static float[] expected(Graph g, WeightStore w, String probe, String sequence) {
        long[] tokens = sequence.chars().mapToLong(c -> c).toArray();
        int value = g.probes().get(probe);
        return new CpuExecutor(g, w).run(1, tokens.length, tokens, Map.of(), List.of(value)).get(value);
    }

    static float[] mean(float[] rows, int width) {
        int length = rows.length / width;
        float[] out = new float[width];
        for (int c = 0; c < width; c++) {
            double s = 0;
            for (int t = 0; t < length; t++) s += rows[t * width + c];
            out[c] = (float) (s / length);
        }
        return out;
    }

    /** The shape in a .npy header, checked as NumPy reads it; {@code data} receives the values after it. */
    static long[] npy(Path file, float[][] data) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, java.util.Arrays.copyOf(bytes, 8));
        int headerLength = ByteBuffer.wrap(bytes, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff;
        assertEquals(0, (10 + headerLength) % 64);
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        Matcher m = Pattern.compile("\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(([0-9, ]+)\\), \\} *\n").matcher(header);
        assertTrue(m.matches(), header);
        long[] shape = java.util.Arrays.stream(m.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        ByteBuffer b = ByteBuffer.wrap(bytes, 10 + headerLength, bytes.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[b.remaining() / 4];
        for (int i = 0; i < values.length; i++) values[i] = b.getFloat();
        assertEquals(java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y), values.length, "the data is the shape's size");
        data[0] = values;
        return shape;
    }

    static void assertClose(float[] want, float[] got, int from, String what) {
        for (int i = 0; i < want.length; i++) assertEquals(want[i], got[from + i], 1e-5 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
    }

    @Test
    void meanPooledNpyHoldsTheCpuExecutorsLayerOutput(@TempDir Path dir) throws Exception {
        Graph g = ScoreCommandTest.tiny();
        Path w = ScoreCommandTest.weights(dir, g);
        WeightStore held = WeightStore.random(g, 7);
        String[] seqs = {ScoreCommandTest.bases(12, 1), ScoreCommandTest.bases(20, 2), ScoreCommandTest.bases(12, 3)};
        Path fa = dir.resolve("in.fa");
        Files.writeString(fa, ">a\n" + seqs[0] + "\n>b\n" + seqs[1] + "\n>c\n" + seqs[2] + "\n");
        Path out = dir.resolve("e.npy");
        CommandLineTest.Run r = run("embed", TINY.toString(), "--fasta", fa.toString(), "--layer", "3", "--out", out.toString(), "--weights", w.toString(),
                "--target", "cpu", "--batch", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("[sh2_tiny on cpu: layers.3 of 3 sequences, mean-pooled, width 64, into " + out), r.err());
        float[][] data = new float[1][];
        assertArrayEquals(new long[] {3, WIDTH}, npy(out, data));
        for (int i = 0; i < 3; i++) assertClose(mean(expected(g, held, "layers.3", seqs[i]), WIDTH), data[0], i * WIDTH, "sequence " + i);
    }

    @Test
    void perPositionSafetensorsHoldEachSequenceWithItsName(@TempDir Path dir) throws IOException {
        Graph g = ScoreCommandTest.tiny();
        Path w = ScoreCommandTest.weights(dir, g);
        WeightStore held = WeightStore.random(g, 7);
        Path out = dir.resolve("q.safetensors");
        CommandLineTest.Run r = run("embed", TINY.toString(), "--text", "ACGTAC", "--text", "GATTACAGATTACA", "--layer", "2.mixer.q", "--pool", "none",
                "--out", out.toString(), "--weights", w.toString(), "--target", "cpu");
        assertEquals(0, r.code(), r.err());
        try (SafeTensorsFile f = SafeTensors.open(out)) {
            assertEquals(List.of("embeddings.0", "embeddings.1", "lengths"), f.names());
            assertEquals("layers.2.mixer.q", f.metadata().get("layer"));
            assertEquals("none", f.metadata().get("pool"));
            assertEquals("sh2_tiny", f.metadata().get("model"));
            assertEquals(JsonParser.parseString("[\"text-1\",\"text-2\"]"), JsonParser.parseString(f.metadata().get("names")));
            assertArrayEquals(new long[] {6, 14}, f.longs("lengths"));
            assertArrayEquals(new long[] {14, WIDTH}, f.info("embeddings.1").shape());
            assertClose(expected(g, held, "layers.2.mixer.q", "ACGTAC"), f.floats("embeddings.0"), 0, "text-1");
            assertClose(expected(g, held, "layers.2.mixer.q", "GATTACAGATTACA"), f.floats("embeddings.1"), 0, "text-2");
        }
    }

    @Test
    void perPositionNpyOfOneLengthIsSequencesByLengthByWidth(@TempDir Path dir) throws Exception {
        Graph g = ScoreCommandTest.tiny();
        Path w = ScoreCommandTest.weights(dir, g);
        WeightStore held = WeightStore.random(g, 7);
        Path out = dir.resolve("f.npy");
        CommandLineTest.Run r = run("embed", TINY.toString(), "--text", "ACGTACGT", "--text", "TTTTGGGG", "--layer", "final_norm", "--pool", "none",
                "--out", out.toString(), "--weights", w.toString(), "--target", "cpu", "--batch", "2");
        assertEquals(0, r.code(), r.err());
        float[][] data = new float[1][];
        assertArrayEquals(new long[] {2, 8, WIDTH}, npy(out, data));
        assertClose(expected(g, held, "final_norm", "ACGTACGT"), data[0], 0, "text-1");
        assertClose(expected(g, held, "final_norm", "TTTTGGGG"), data[0], 8 * WIDTH, "text-2");
    }

    @Test
    void numpyLoadsBothLayouts(@TempDir Path dir) throws Exception {
        Path pooled = dir.resolve("mean.npy"), each = dir.resolve("each.npy");
        assertEquals(0, run("embed", TINY.toString(), "--text", "ACGTA", "--text", "GG", "--layer", "0", "--out", pooled.toString(), "--target", "cpu").code());
        assertEquals(0, run("embed", TINY.toString(), "--text", "ACGTA", "--text", "GGCCA", "--layer", "0", "--pool", "none", "--out", each.toString(),
                "--target", "cpu").code());
        float[][] data = new float[1][];
        npy(pooled, data);
        String load = "import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape, repr(float(a.flat[-1])))";
        assertEquals("float32 (2, 64) " + (double) data[0][data[0].length - 1], python(load, pooled));
        npy(each, data);
        assertEquals("float32 (2, 5, 64) " + (double) data[0][data[0].length - 1], python(load, each));
    }

    @Test
    void aLayerNumberIsShortForItsPath(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        assertEquals(0, run("embed", TINY.toString(), "--text", "ACGT", "--layer", "4.m", "--out", a.toString(), "--target", "cpu").code());
        assertEquals(0, run("embed", TINY.toString(), "--text", "ACGT", "--layer", "layers.4.m", "--out", b.toString(), "--target", "cpu").code());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "the same value, and the same bytes each time");
        assertEquals(0, run("embed", TINY.toString(), "--text", "ACGT", "--layer", "embedding", "--out", a.toString(), "--target", "cpu").code());
    }

    @Test
    void anUnknownLayerListsEveryName(@TempDir Path dir) {
        Path out = dir.resolve("x.npy");
        CommandLineTest.Run r = run("embed", TINY.toString(), "--text", "ACGT", "--layer", "9", "--out", out.toString(), "--target", "cpu");
        assertEquals(1, r.code());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("hyenac embed: --layer 9: sh2_tiny has no value of that name; name one of: embedding; "), err);
        assertTrue(err.contains("N (the output of layer N) for N in 0–6"), err);
        assertTrue(err.contains("N.mixer.z, N.mixer.c, N.mixer.y for N in 0–2, 4–6") && err.contains("N.mixer.a for N in 3"), err);
        assertTrue(err.endsWith("; final_norm; logits"), err);
        assertTrue(!Files.exists(out));
        RunCommandTest.noTrace(r);
    }

    @Test
    void theOutputsNameSaysItsFormat(@TempDir Path dir) {
        CommandLineTest.Run r = run("embed", TINY.toString(), "--text", "ACGT", "--layer", "1", "--out", dir.resolve("e.txt").toString());
        assertEquals(2, r.code());
        assertEquals("hyenac embed: --out " + dir.resolve("e.txt") + ": name the file .safetensors or .npy; its name says which format to write",
                r.err().strip());
        r = run("embed", TINY.toString(), "--text", "ACGT", "--text", "ACGTA", "--layer", "1", "--pool", "none", "--out", dir.resolve("e.npy").toString(),
                "--target", "cpu");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--pool none into .npy writes one array [sequences, length, width], so every sequence needs one length, but --text 1"
                + " has 4 tokens and --text 2 5; write .safetensors"), r.err());
    }

    @Test
    void aSequenceTooLongForOneCpuPassIsOneLine(@TempDir Path dir) throws IOException {
        Path fa = dir.resolve("long.fa");
        Files.writeString(fa, ">long\n" + "A".repeat(1 << 17) + "\n");
        Path out = dir.resolve("e.npy");
        CommandLineTest.Run r = run("embed", ScoreCommandTest.wide(dir).toString(), "--fasta", fa.toString(), "--layer", "0", "--out", out.toString(),
                "--target", "cpu");
        assertEquals(1, r.code(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("hyenac embed: " + fa + ":1: record `long`: 131,072 tokens are too many for this model on the CPU")
                && last.endsWith("(embed runs each sequence in one pass, --batch at a time: shorten the sequences or lower --batch)"), r.err());
        assertTrue(!Files.exists(out));
        RunCommandTest.noTrace(r);
    }

    /** The output of python3 running {@code code} with {@code arg}; skips the test where python3 with NumPy is missing. */
    static String python(String code, Path arg) throws Exception {
        Process probe;
        try {
            probe = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no python3 here");
            return null;
        }
        assumeTrue(probe.waitFor(60, TimeUnit.SECONDS) && probe.exitValue() == 0, "no NumPy for python3 here");
        Process p = new ProcessBuilder("python3", "-c", code, arg.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 finished");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
