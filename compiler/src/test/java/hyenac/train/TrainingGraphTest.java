package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.ir.Graph;
import hyenac.ir.Primitive;
import hyenac.ir.Weight;
import hyenac.ir.autodiff.Autodiff;
import hyenac.ir.autodiff.Vjps;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
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
        // Hyena-LI trains its poles' rates, log λ = −exp(ρ): no pole can pass 1
        assertEquals(List.of(64L, 16L), g.weights().get("layers.2.mixer.filter.pole_rates").shape());
        assertTrue(!g.weights().containsKey("layers.2.mixer.filter.log_poles"));
    }

    @Test
    void checkpointsStoreWhatInferenceReads() {
        Graph g = GradCheck.training("li", "import \"std\"\nmodel m {\n vocab = 16\n width = 8\n context = 16\n"
                + " op li = hyena_li(modes = 2)\n op mr = hyena_mr(len = 4, groups = 2)\n op mlp = gated_mlp(hidden = 8)\n layers = [li, mr]\n}\n");
        var params = new java.util.LinkedHashMap<String, float[]>();
        var w = Parameters.initial(g, 1);
        g.weights().keySet().forEach(n -> params.put(n, w.get(n)));
        params.get("layers.0.mixer.filter.pole_rates")[0] = 3; // a rate the optimizer might reach
        var inference = Checkpoints.inferenceWeights(g, params);
        float[] logPoles = inference.get("layers.0.mixer.filter.log_poles");
        assertEquals((float) -Math.exp(3), logPoles[0]);
        for (float a : logPoles) assertTrue(a < 0, "every pole below 1");
        assertTrue(!inference.containsKey("layers.0.mixer.filter.pole_rates") && !inference.containsKey("layers.1.mixer.filter.decay"));
        float[] taps = inference.get("layers.1.mixer.filter.weight"), undecayed = params.get("layers.1.mixer.filter.weight");
        assertEquals(undecayed[0], taps[0], "tap 0 of the FIR has no decay yet");
        assertTrue(Math.abs(taps[3]) < Math.abs(undecayed[3]), "the last is decayed");
    }

    @Test
    void everyPrimitiveASpecCanWriteHasAVjp() {
        for (Primitive p : Primitive.values()) {
            if (p.form() != Primitive.Form.TRAINING) assertTrue(Vjps.of(p).isPresent(), p + " has no VJP: a model using it could not train");
        }
    }

    @Test
    void theTrainingPassesPrintTheDifferentiatedGraph() {
        StringWriter out = new StringWriter();
        Elaborated.Model model = Checker.check(List.of(Path.of("..", "samples", "sh2-tiny.hyena"))).models().getFirst();
        PrintWriter to = new PrintWriter(out);
        PassManager.training().verifyEach(true).printAfter(Set.of("differentiate"), to).run(ToGraph.of(model));
        to.flush();
        String text = out.toString();
        assertTrue(text.startsWith("// ----- IR after differentiate\n"), text.substring(0, 80));
        assertTrue(text.contains("= cross_entropy(") && text.contains("= causal_attention_grad(") && text.contains("= modal_conv_grad_params("), text);
        assertTrue(text.contains("[weight = layers.1.mixer.filter.weight, skip = layers.1.mixer.filter.skip, decay = layers.1.mixer.filter.decay]"));
        assertTrue(text.contains("pole_rates = layers.2.mixer.filter.pole_rates"), text);
    }
}
