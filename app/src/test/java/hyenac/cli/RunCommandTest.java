package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hyenac run} as a user meets it: what goes to stdout and stderr, and every bad option or prompt refused cleanly. */
class RunCommandTest {
    static final Path TINY = ArtifactCommandsTest.TINY;

    static CommandLineTest.Run run(String... args) { return CommandLineTest.run(args); }

    static void noTrace(CommandLineTest.Run r) {
        assertFalse(r.err().contains("    at ") || r.err().contains("Exception") || r.err().contains("internal error"), r.err());
    }

    @Test
    void textGoesToStdoutAndTheStatisticsToStderr() {
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompt", "ACGT", "--generate", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("ACGT") && r.out().endsWith("\n") && r.out().lines().count() == 1, r.out());
        String stats = r.err().lines().filter(l -> l.startsWith("[sh2_tiny on cpu:")).findFirst().orElseThrow(() -> new AssertionError(r.err()));
        assertTrue(stats.contains("prompt 4 tokens, first token after ") && stats.contains("(prefill, and the first run's warm-up)")
                && stats.contains("8 tokens generated, then ") && stats.contains(" tokens/s"), stats);
    }

    @Test
    void aNanTemperatureIsAUsageErrorNotACrash() {
        for (String bad : new String[] {"NaN", "Infinity", "-1"}) {
            CommandLineTest.Run r = run("run", TINY.toString(), "--prompt", "A", "--temperature", bad);
            assertEquals(2, r.code(), bad + ": " + r.err());
            assertTrue(r.err().contains("--temperature a finite number ≥ 0"), r.err());
            noTrace(r);
        }
    }

    @Test
    void anEmptyPromptIsRefusedBeforeAnyWeightsAreMade() {
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompt", "");
        assertEquals(1, r.code());
        assertEquals("hyenac run: the prompt is empty; give --prompt some text", r.err().strip());
    }

    @Test
    void aPromptByteOutsideASmallVocabularyIsNamed(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("small.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("vocab = 512", "vocab = 128"));
        CommandLineTest.Run r = run("run", spec.toString(), "--prompt", "AC\u00e9GT", "--generate", "2");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("hyenac run: the prompt's byte 0xc3 (at byte 2) is token 195, outside sh2_tiny's vocabulary of 128 tokens; "
                + "the byte tokenizer needs vocab ≥ 256"), r.err());
        assertFalse(r.err().contains("random weights"), "refused before the weights: " + r.err());
        noTrace(r);
        assertEquals(0, run("run", spec.toString(), "--prompt", "ACGT", "--generate", "2").code(), "bytes below the vocabulary run");
    }

    @Test
    void aDirectoryAsWeightsIsSaidToBeOne(@TempDir Path dir) {
        CommandLineTest.Run r = run("run", TINY.toString(), "--prompt", "A", "--weights", dir.toString());
        assertEquals(1, r.code());
        assertEquals("hyenac run: " + dir + " is a directory, not a .safetensors file", r.err().strip());
    }

    /** Near-uniform sampling over 512 tokens meets end-of-sequence (token 0) and control bytes within a few thousand tokens. */
    @Test
    void endOfSequenceStopsUnprintedAndControlBytesAreEscapedUnlessRaw() {
        String[] sampling = {"--prompt", "A", "--generate", "4000", "--temperature", "1000", "--seed", "3", "--print-tokens"};
        CommandLineTest.Run r = run(concat(new String[] {"run", TINY.toString()}, sampling));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("; stopped at end-of-sequence]"), r.err());
        String text = r.out().lines().findFirst().orElseThrow();
        String tokens = r.out().lines().filter(l -> l.startsWith("tokens: ")).findFirst().orElseThrow();
        assertTrue(tokens.endsWith(" 0"), "the last token is the end: " + tokens);
        assertTrue(text.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f), "no raw control byte: " + text);
        assertTrue(text.matches("(?s).*\\\\x[01][0-9a-f].*"), "control bytes shown as \\xNN: " + text);

        CommandLineTest.Run raw = run(concat(new String[] {"run", TINY.toString(), "--raw"}, sampling));
        assertEquals(0, raw.code(), raw.err());
        assertTrue(raw.out().chars().anyMatch(c -> c > 0 && c < 0x20 && c != '\n' && c != '\t'), "--raw passes control bytes: " + raw.out());
        assertFalse(raw.out().contains("\u0000"), "the end is not printed even raw");
    }

    @Test
    void goingPastTheContextOfAModelWithAttentionWarns(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("short.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("context = 4096", "context = 8"));
        CommandLineTest.Run r = run("run", spec.toString(), "--prompt", "ACGT", "--generate", "6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("hyenac run: warning: the prompt and the generated tokens reach 10 tokens, past the model's context of 8: "
                + "its attention layers will see positions it was not trained for"), r.err());
        assertFalse(run("run", spec.toString(), "--prompt", "ACGT", "--generate", "4").err().contains("warning"), "within the context");
    }

    @Test
    void goingPastTheContextOfAPureConvolutionModelIsFine(@TempDir Path dir) throws IOException {
        Path spec = dir.resolve("conv.hyena");
        Files.writeString(spec, Files.readString(TINY).replace("context = 4096", "context = 8").replace("[se, mr, li, mha, se, mr, li]", "[se, mr, li]"));
        CommandLineTest.Run r = run("run", spec.toString(), "--prompt", "ACGT", "--generate", "6");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("past the model's context"), r.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
