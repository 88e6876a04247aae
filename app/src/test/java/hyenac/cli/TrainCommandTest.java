package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `hyenac train` end to end at test size: tasks, files, checkpoints that `run` loads, resuming, and bad input. */
class TrainCommandTest {
    static final String SPEC = """
            import "std"

            model small {
              vocab = 256
              width = 16
              context = 64
              op se = hyena_se(len = 3, groups = 2)
              op mr = hyena_mr(len = 8, groups = 2)
              op li = hyena_li(modes = 4)
              op mha = attention(heads = 2)
              op mlp = gated_mlp(hidden = 24, act = silu)
              layers = [se, mr, li, mha]
            }
            """;

    static Path spec(Path dir, String text) throws Exception {
        Path f = dir.resolve("small.hyena");
        Files.writeString(f, text);
        return f;
    }

    static CommandLineTest.Run train(Path spec, String... more) {
        String[] args = new String[more.length + 2];
        args[0] = "train";
        args[1] = spec.toString();
        System.arraycopy(more, 0, args, 2, more.length);
        return CommandLineTest.run(args);
    }

    static List<JsonObject> log(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve("log.jsonl")).stream().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
    }

    static List<Double> losses(Path dir) throws Exception {
        return log(dir).stream().filter(o -> o.has("loss")).map(o -> o.get("loss").getAsDouble()).toList();
    }

    @Test
    void taskRunLogsCheckpointsAndItsWeightsRun(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        Path out = dir.resolve("run");
        CommandLineTest.Run r = train(s, "--task", "mqar", "--task-keys", "8", "--task-pairs", "2", "--steps", "4", "--batch", "2", "--seq-len", "12",
                "--eval-every", "2", "--eval-samples", "4", "--checkpoint-every", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 4/4  loss "), r.err());
        List<JsonObject> log = log(out);
        assertEquals(4, log.stream().filter(o -> o.has("loss")).count());
        assertEquals(2, log.stream().filter(o -> o.has("accuracy")).count(), "evaluated at steps 2 and 4");
        for (int step : new int[] {2, 4}) {
            assertTrue(Files.exists(out.resolve("step-" + step + ".safetensors")));
            assertTrue(Files.exists(out.resolve("step-" + step + ".optim.safetensors")));
        }
        assertFalse(Files.list(out).anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary files left");
        String svg = Files.readString(out.resolve("loss.svg"));
        assertEquals(2, svg.split("<circle class=\"accuracy\"", -1).length - 1, "the picture has both evaluations");
        assertTrue(svg.contains("<polyline class=\"loss\""), svg);
        CommandLineTest.Run gen = CommandLineTest.run("run", s.toString(), "--weights", out.resolve("step-4.safetensors").toString(), "--prompt", "AB",
                "--generate", "4", "--target", "cpu", "--ignore-eos");
        assertEquals(0, gen.code(), gen.err());
        assertTrue(gen.out().startsWith("AB"), gen.out());
    }

    @Test
    void profileSaysWhereAStepsTimeWent(@TempDir Path dir) throws Exception {
        CommandLineTest.Run r = train(spec(dir, SPEC), "--task", "mqar", "--task-keys", "8", "--task-pairs", "2", "--steps", "3", "--batch", "2",
                "--seq-len", "12", "--eval-samples", "2", "--profile", "--out", dir.resolve("p").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().matches("(?s).*profile of 3 steps: [0-9.]+ ms a step: forward [0-9.]+, backward [0-9.]+, optimizer.*"), r.err());
        assertTrue(r.err().contains("backward linear_grad_weight"), r.err());
        assertTrue(r.err().contains("forward  causal_attention"), r.err());
    }

    @Test
    void maxMinutesStopsEvaluatedAndSaved(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("t");
        CommandLineTest.Run r = train(spec(dir, SPEC), "--task", "recall", "--task-keys", "6", "--steps", "50", "--batch", "2", "--seq-len", "10",
                "--eval-samples", "2", "--max-minutes", "0.00001", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("hyenac train: stopped at --max-minutes after step 1 of 50; continue with --resume " + out), r.err());
        List<JsonObject> log = log(out);
        assertEquals(List.of(1L, 1L), log.stream().map(o -> o.get("step").getAsLong()).toList(), "one step, then its evaluation");
        assertTrue(log.get(1).has("accuracy") && log.get(1).get("seconds").getAsDouble() >= 0, log.toString());
        assertTrue(Files.exists(out.resolve("step-1.safetensors")));
        assertEquals(2, train(spec(dir, SPEC), "--task", "recall", "--steps", "5", "--max-minutes", "0", "--out", out.toString()).code());
    }

    @Test
    void aResumedRunRepeatsTheUninterruptedOneBitForBit(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        String[] common = {"--task", "recall", "--task-keys", "6", "--batch", "2", "--seq-len", "10", "--eval-samples", "2", "--lr", "3e-3"};
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        assertEquals(0, train(s, concat(common, "--steps", "6", "--out", whole.toString())).code());
        assertEquals(0, train(s, concat(common, "--steps", "6", "--checkpoint-every", "3", "--out", split.toString())).code());
        // drop what came after step 3, as if the run had stopped there
        for (String f : List.of("step-6.safetensors", "step-6.optim.safetensors")) Files.delete(split.resolve(f));
        CommandLineTest.Run r = train(s, concat(common, "--steps", "6", "--resume", split.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("resuming after step 3"), r.err());
        assertEquals(losses(whole), losses(split));
        assertEquals(6, losses(split).size());
        assertEquals(-1, Files.mismatch(whole.resolve("step-6.safetensors"), split.resolve("step-6.safetensors")), "the same weights");
        assertEquals(-1, Files.mismatch(whole.resolve("loss.svg"), split.resolve("loss.svg")), "the same picture, steps before the resume included");
    }

    @Test
    void fastaCorpusTrainsEndToEnd(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        StringBuilder fasta = new StringBuilder();
        for (int r = 0; r < 6; r++) {
            fasta.append(">record ").append(r).append(" some description\n");
            for (int line = 0; line < 4; line++) fasta.append("ACGTACGTTTGACCAacgtAACCGGTTACGT".substring(line, line + 24)).append('\n');
        }
        Path file = dir.resolve("genome.fa.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
            o.write(fasta.toString().getBytes(StandardCharsets.US_ASCII));
        }
        Path out = dir.resolve("dna");
        CommandLineTest.Run r = train(s, "--data", file.toString(), "--steps", "30", "--batch", "4", "--seq-len", "16", "--lr", "1e-2", "--out",
                out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("genome.fa.gz (FASTA, 581 tokens"), r.err());
        List<Double> losses = losses(out);
        double first = (losses.get(0) + losses.get(1)) / 2, last = (losses.get(28) + losses.get(29)) / 2;
        assertTrue(last < first / 2, "the loss falls: " + losses);
        assertTrue(log(out).getLast().has("val_loss"), "evaluated on the held-out split at the end");
        CommandLineTest.Run gen = CommandLineTest.run("run", s.toString(), "--weights", out.resolve("step-30.safetensors").toString(), "--prompt", "ACGT",
                "--generate", "8", "--target", "cpu");
        assertEquals(0, gen.code(), gen.err());
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        Path out = dir.resolve("o");
        CommandLineTest.Run r = train(s, "--task", "mqr", "--steps", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("hyenac train: no task named `mqr`; did you mean `mqar`? tasks: recall, noisy-recall, fuzzy-recall, mqar, selective-copy, compression, memorization\n", r.err().substring(r.err().indexOf("hyenac train: no")));

        Path empty = Files.writeString(dir.resolve("empty.txt"), "");
        r = train(s, "--data", empty.toString(), "--steps", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().endsWith("empty.txt: the text corpus is empty\n"), r.err());

        Path shortText = Files.writeString(dir.resolve("short.txt"), "hello world");
        r = train(s, "--data", shortText.toString(), "--steps", "1", "--seq-len", "8", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("the corpus has 11 tokens, too few for two sequences of --seq-len 8 (one held out) (17 tokens); use --seq-len 5 or less"),
                r.err());

        r = train(s, "--task", "mqar", "--task-pairs", "8", "--steps", "1", "--seq-len", "16", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("mqar with 8 pairs needs --seq-len of at least 31"), r.err());

        r = train(s, "--task", "selective-copy", "--task-tokens", "40", "--steps", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().endsWith("hyenac train: selective-copy of 40 tokens needs --seq-len of at least 81\n"), r.err());

        r = train(s, "--task", "noisy-recall", "--task-keys", "100", "--steps", "1", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().endsWith("noisy-recall with 100 keys needs token ids up to 301, beyond the model's vocab of 256; use fewer --task-keys\n"), r.err());

        r = train(s, "--steps", "1", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("give one of --data FILE and --task NAME"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }

    @Test
    void resumingFromAnotherSpecIsRefusedByName(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        Path out = dir.resolve("o");
        assertEquals(0, train(s, "--task", "recall", "--steps", "1", "--batch", "1", "--seq-len", "8", "--eval-samples", "1", "--out", out.toString()).code());
        Path other = Files.writeString(dir.resolve("other.hyena"), SPEC.replace("hidden = 24", "hidden = 20"));
        CommandLineTest.Run r = train(other, "--task", "recall", "--steps", "2", "--batch", "1", "--seq-len", "8", "--resume", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("step-1.optim.safetensors was written for another spec: its weights differ from this spec's (the checkpoint has "
                + "layers.0.mlp.w1.weight[24, 16] where the spec has layers.0.mlp.w1.weight[20, 16])"), r.err());
        r = train(s, "--task", "recall", "--steps", "1", "--batch", "1", "--seq-len", "8", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("already holds checkpoints; continue them with --resume"), r.err());
    }

    @Test
    void aNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws Exception {
        Path s = spec(dir, SPEC);
        Path out = dir.resolve("o");
        CommandLineTest.Run r = train(s, "--task", "recall", "--steps", "5", "--batch", "1", "--seq-len", "8", "--lr", "1e30", "--warmup", "0", "--clip", "0",
                "--weight-decay", "0", "--checkpoint-every", "1", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("hyenac train: the loss or the gradient is not finite at step 2"), r.err());
        assertTrue(r.err().contains("The last good checkpoint is " + out.resolve("step-1.safetensors")), r.err());
        assertTrue(Files.exists(out.resolve("step-1.safetensors")));
        assertFalse(Files.exists(out.resolve("step-2.safetensors")));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
