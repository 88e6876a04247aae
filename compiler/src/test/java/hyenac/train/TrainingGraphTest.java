package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.cli.Main;
import hyenac.ir.Graph;
import hyenac.ir.Ops;
import hyenac.ir.Weight;
import hyenac.ir.autodiff.Autodiff;
import hyenac.ir.autodiff.Vjps;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The training graph's shape: what it outputs, how it prints, which primitives have VJPs. */
class TrainingGraphTest {
    @Test
    void outputsTheLossThenTheGradientOfEveryWeight() throws Exception {
        Graph g = GradCheck.training("sh2-tiny", Files.readString(Path.of("..", "samples", "sh2-tiny.hyena")));
        assertEquals(3, g.inputs().size(), "tokens, targets, mask");
        assertEquals(g.probes().get(Autodiff.LOSS), g.outputs().getFirst());
        List<String> weights = g.weights().values().stream().map(Weight::name).toList();
        assertEquals(weights.size() + 1, g.outputs().size());
        for (String w : weights) {
            int grad = g.probes().get(Autodiff.GRAD + w);
            assertEquals(g.weights().get(w).shape(), g.value(grad).type().dims().stream().map(d -> d.size()).toList(), w);
        }
        // Hyena-MR trains its decay: one rate per group
        assertEquals(List.of(4L), g.weights().get("layers.1.mixer.filter.decay").shape());
    }

    @Test
    void everyForwardPrimitiveHasAVjp() {
        List<String> forward = List.of("embedding", "unembed", "linear", "causal_conv", "modal_conv", "rmsnorm", "deinterleave", "split",
                "concat", "causal_attention", "add", "sub", "mul", "scale", "neg", "identity", "gelu", "silu", "relu");
        for (String op : forward) {
            assertTrue(Ops.ALL.containsKey(op), op);
            assertTrue(Vjps.of(op).isPresent(), op + " has no VJP");
        }
    }

    @Test
    void graphPrintsTheTrainingPasses() {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new String[] {"graph", "../samples/sh2-tiny.hyena", "--train", "--verify", "--print-after=differentiate"},
                new PrintWriter(out), new PrintWriter(err));
        assertEquals(0, code, err.toString());
        String text = out.toString();
        assertTrue(text.startsWith("// ----- IR after differentiate\n"), text.substring(0, 80));
        assertTrue(text.contains("= cross_entropy(") && text.contains("= causal_attention_grad(") && text.contains("= modal_conv_grad_params("), text);
        assertTrue(text.contains("[weight = layers.1.mixer.filter.weight, skip = layers.1.mixer.filter.skip, decay = layers.1.mixer.filter.decay]"));
    }
}
