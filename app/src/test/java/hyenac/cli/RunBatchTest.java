package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac run --prompts FILE --batch N}: one line a sequence, in order, what each prompt generates alone, and clean refusals. */
class RunBatchTest {
    static final Path TINY = ArtifactCommandsTest.TINY;
    static final List<String> PROMPTS = List.of("ACGTACGT", "GATTACA", "TTGACCAGTAGGCATTAG", "CCCGGG", "A");

    static CommandLineTest.Run run(String... args) { return CommandLineTest.run(args); }

    static Path prompts(Path dir, String text) throws IOException {
        return Files.writeString(dir.resolve("prompts.txt"), text);
    }

    @Test
    void everySequenceIsOneLineInTheFilesOrderWithStatisticsOnStderr(@TempDir Path dir) throws IOException {
        // CRLF line ends, and no newline after the last line
        Path file = prompts(dir, String.join("\r\n", PROMPTS));
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompts", file.toString(), "--batch", "3", "--generate", "8", "--ignore-eos");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(PROMPTS.size(), lines.size(), r.out());
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertTrue(lines.get(i).startsWith(PROMPTS.get(i)) && lines.get(i).length() > PROMPTS.get(i).length(), lines.get(i));
            String stats = "[sh2_tiny on cpu, sequence " + (i + 1) + " of 5: prompt " + PROMPTS.get(i).length() + " token";
            assertTrue(r.err().contains(stats), stats + " in\n" + r.err());
        }
        assertTrue(r.err().contains("8 tokens generated, then "), r.err());
        assertTrue(r.err().contains("[sh2_tiny on cpu: 5 sequences in batches of 3 (2 waves): 40 tokens generated in "), r.err());
        assertTrue(r.err().contains(" tokens/s in total (prefills included)]"), r.err());
    }

    /** Sequence i samples with --seed + i: alone with that seed (same weights) it generates the same tokens, greedy or sampled. */
    @Test
    void aSequenceInABatchGeneratesWhatItsPromptGeneratesAlone(@TempDir Path dir) throws IOException {
        Path hyx = ArtifactCommandsTest.compile(dir, "tiny.hyx", "--random-weights", "--seed", "3");
        Path file = prompts(dir, String.join("\n", PROMPTS) + "\n");
        for (String temperature : List.of("0", "0.8")) {
            CommandLineTest.Run batch = run("run", hyx.toString(), "--prompts", file.toString(), "--batch", "4", "--generate", "12",
                    "--temperature", temperature, "--seed", "10", "--json");
            assertEquals(0, batch.code(), batch.err());
            List<String> lines = batch.out().lines().toList();
            assertEquals(PROMPTS.size(), lines.size(), batch.out());
            for (int i = 0; i < PROMPTS.size(); i++) {
                JsonObject o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
                assertEquals(List.of("sequence", "prompt", "text", "tokens", "end"), List.copyOf(o.keySet()));
                assertEquals(i + 1, o.get("sequence").getAsInt());
                assertEquals(PROMPTS.get(i), o.get("prompt").getAsString());
                CommandLineTest.Run alone = run("run", hyx.toString(), "--prompt", PROMPTS.get(i), "--generate", "12", "--temperature", temperature,
                        "--seed", Integer.toString(10 + i), "--json");
                assertEquals(0, alone.code(), alone.err());
                JsonObject one = JsonParser.parseString(alone.out().strip()).getAsJsonObject();
                assertEquals(one.get("tokens"), o.get("tokens"), "sequence " + (i + 1) + " at temperature " + temperature);
                assertEquals(one.get("text"), o.get("text"));
                assertEquals(one.get("end"), o.get("end"));
            }
        }
    }

    /** Near-uniform sampling meets end-of-sequence within a few hundred tokens: those sequences stop, the others run on. */
    @Test
    void eachSequenceStopsAtItsOwnEnd(@TempDir Path dir) throws IOException {
        Path file = prompts(dir, "A\nC\nG\nT\n");
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompts", file.toString(), "--batch", "4", "--generate", "300",
                "--temperature", "1000", "--seed", "5", "--json");
        assertEquals(0, r.code(), r.err());
        int ended = 0;
        for (String line : r.out().lines().toList()) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            JsonArray tokens = o.getAsJsonArray("tokens");
            if (o.get("end").getAsString().equals("end_of_sequence")) {
                ended++;
                assertEquals(0, tokens.get(tokens.size() - 1).getAsLong(), "the end is the last token");
                assertFalse(o.get("text").getAsString().contains("\u0000"), "and not part of the text");
            } else {
                assertEquals("length", o.get("end").getAsString());
                assertEquals(300, tokens.size());
            }
        }
        assertTrue(ended > 0 && ended < 4, "a mix of ends is what this test needs: " + r.out());
        assertTrue(r.err().contains("; stopped at end-of-sequence]"), r.err());
    }

    @Test
    void newlinesInTheTextAreEscapedSoEachSequenceStaysOneLine(@TempDir Path dir) throws IOException {
        Path file = prompts(dir, "A\tB\nC\n");
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompts", file.toString(), "--batch", "2", "--generate", "400",
                "--temperature", "1000", "--seed", "2", "--ignore-eos", "--print-tokens");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), "a line of text and a line of tokens a sequence: " + r.out());
        assertTrue(lines.get(0).startsWith("A\tB") && lines.get(2).startsWith("C"), r.out());
        List<String> tokens = new ArrayList<>(List.of(lines.get(1).split(" ")));
        assertEquals("tokens:", tokens.removeFirst());
        assertEquals(400, tokens.size());
        assertTrue(tokens.contains("10") || List.of(lines.get(3).split(" ")).contains("10"), "a newline was generated: " + r.out());
        assertTrue((lines.get(0) + lines.get(2)).contains("\\x0a"), r.out());
    }

    @Test
    void badPromptFilesAndBatchesAreOneLine(@TempDir Path dir) throws IOException {
        String tiny = TINY.toString();
        Path empty = Files.writeString(dir.resolve("gap.txt"), "ACGT\n\nGG\n");
        assertRefused(1, "hyenac run: " + empty + ":2: the line is empty; every line is a prompt (remove the line, or give it text)",
                run("run", tiny, "--prompts", empty.toString()));
        Path none = Files.writeString(dir.resolve("none.txt"), "");
        assertRefused(1, "hyenac run: " + none + " holds no prompts; write one prompt a line", run("run", tiny, "--prompts", none.toString()));
        Path missing = dir.resolve("missing.txt");
        assertRefused(1, "hyenac run: " + missing + ": cannot read: no such file", run("run", tiny, "--prompts", missing.toString()));
        assertRefused(1, "hyenac run: " + dir + " is a directory, not a file of prompts", run("run", tiny, "--prompts", dir.toString()));
        Path ok = prompts(dir, "ACGT\n");
        assertRefused(2, "hyenac run: --batch must be at least 1 (the sequences decoded together), not 0",
                run("run", tiny, "--prompts", ok.toString(), "--batch", "0"));
        assertRefused(2, "hyenac run: give --prompt or --prompts, not both", run("run", tiny, "--prompt", "A", "--prompts", ok.toString()));
        assertRefused(2, "hyenac run: give --prompt TEXT, or --prompts FILE with one prompt a line", run("run", tiny, "--generate", "3"));
    }

    @Test
    void aPromptByteOutsideTheVocabularyNamesItsLine(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("small.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("vocab = 512", "vocab = 128"));
        Path file = prompts(dir, "ACGT\nAC\u00e9GT\n");
        CommandLineTest.Run r = run("run", spec.toString(), "--prompts", file.toString());
        assertEquals(1, r.code(), r.err());
        // the spec's own warning (HY0409, vocab below 256) comes first
        assertEquals("hyenac run: " + file + ":2: the prompt's byte 0xc3 (at byte 2) is token 195, outside sh2_tiny's vocabulary of 128 tokens; "
                + "the byte tokenizer needs vocab ≥ 256 (set `vocab = 256` or more in the spec), or keep the prompts to bytes below 128", r.err().strip().lines().toList().getLast());
        assertFalse(r.err().contains("random weights"), "refused before the weights: " + r.err());
    }

    static void assertRefused(int code, String line, CommandLineTest.Run r) {
        assertEquals(code, r.code(), r.err());
        assertEquals(line, r.err().strip());
        assertEquals("", r.out());
    }
}
