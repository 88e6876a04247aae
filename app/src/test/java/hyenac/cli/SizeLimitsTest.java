package hyenac.cli;

import static hyenac.cli.CommandLineTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.cli.CommandLineTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sizes past what one array holds are said in words, at check time where the spec decides them, never as an overflow. */
class SizeLimitsTest {
    @Test
    void aWeightTooLargeToHoldIsAnErrorAtCheckTime(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("big.hyena"), """
                import "std"
                model big {
                  vocab = 512
                  width = 1048576
                  context = 64
                  op li = hyena_li(modes = 4)
                  op mlp = gated_mlp(hidden = 4194304)
                  layers = [li, li]
                }
                """);
        Run check = run("check", f.toString());
        assertEquals(1, check.code(), check.err());
        assertTrue(check.err().contains(f + ":7:12: error[HY0318]: weight `layers.0.mlp.w1.weight` has 4,398,046,511,104 elements"
                + " (shape [4194304, 1048576]), more than the 2,147,483,639 one weight can hold"), check.err());
        assertTrue(check.err().contains(f + ":6:11: error[HY0318]: weight `layers.0.mixer.proj_in.weight`"), check.err());
        assertFalse(check.err().contains("layers.1."), "one error per binding, not per layer: " + check.err());

        for (String command : new String[] {"explain", "run"}) {
            Run r = command.equals("run") ? run("run", f.toString(), "--prompt", "AC", "--target", "cpu") : run(command, f.toString());
            assertEquals(1, r.code(), command + ": " + r.err());
            assertTrue(r.err().contains("error[HY0318]"), command + ": " + r.err());
            assertFalse(r.err().contains("Exception"), command + ": " + r.err());
        }
    }

    @Test
    void aPromptTooLongForOneActivationIsRefusedWithTheLongestThatFits(@TempDir Path dir) throws Exception {
        // Weightless layers: small weights, yet 131,072 tokens × width 16,384 is 2^31 elements per activation.
        Path f = Files.writeString(dir.resolve("wide.hyena"), """
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
        assertEquals(0, run("check", f.toString()).code());
        Run r = run("run", f.toString(), "--prompt", "A".repeat(1 << 17), "--generate", "1", "--target", "cpu");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("131,072 tokens are too many for this model on the CPU: its widest activation (width 16,384)"
                + " would have 2,147,483,648 elements, more than the 2,147,483,639 one array can hold; use at most 131,071 tokens"), r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("internal error"), r.err());
    }
}
