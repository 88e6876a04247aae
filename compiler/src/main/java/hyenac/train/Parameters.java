package hyenac.train;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.autodiff.ParametriseDecay;
import hyenac.runtime.weights.WeightStore;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/** A training graph's parameters: where they start, and the weights inference reads from them. */
public final class Parameters {
    private Parameters() {}

    /**
     * Seeded start: {@link WeightStore#random}'s draws, rescaled as savanna (GPT-NeoX) starts a model: linear weights
     * N(0, 2/(5·in)) ("small init"), and those writing straight into the residual stream (a mixer's and an MLP's output
     * projection) N(0, (2/(layers·√width))²), so that each block starts as a small change to the stream; the embedding
     * scaled by 1/√width (it is also the unembedding: logits of a normalised state then start near unit size, a loss
     * near ln vocab); Hyena-MR's decay rates log-spaced; Hyena-LI's pole rates where inference's random poles start.
     * Every weight is held in fp32 whatever the spec declares: these arrays are the master weights the optimizer
     * updates in place (a bf16 weight's floats would be a copy).
     */
    public static WeightStore initial(Graph training, long seed) {
        WeightStore w = WeightStore.random(training, seed, WeightStore.Options.defaults().storingFp32());
        long width = training.weights().get("embedding.weight").shape().get(1);
        scale(w.get("embedding.weight"), 1 / Math.sqrt(width));
        Set<Integer> residual = residualOperands(training);
        long layers = Math.max(1, training.weights().keySet().stream().filter(n -> n.startsWith("layers."))
                .map(n -> n.substring(0, n.indexOf('.', 7))).distinct().count());
        for (Node n : training.nodes()) {
            String decay = n.weights().get(ParametriseDecay.ROLE);
            if (decay != null && n.is(Primitive.CAUSAL_CONV)) {
                float[] rates = ParametriseDecay.initialLogRates(Math.toIntExact(n.intAttr("groups")));
                System.arraycopy(rates, 0, w.get(decay), 0, rates.length);
            }
            String rates = n.weights().get(ParametriseDecay.POLE_RATES);
            if (rates != null) {
                // the poles' start of inference's random weights, log λ = −exp(u), u uniform in [log 0.004, log 0.7]: ρ = u
                float[] rho = w.get(rates);
                SplittableRandom rng = new SplittableRandom(seed ^ rates.hashCode());
                for (int i = 0; i < rho.length; i++) rho[i] = (float) (Math.log(0.004) + rng.nextDouble() * (Math.log(0.7) - Math.log(0.004)));
            }
            if (!n.is(Primitive.LINEAR)) continue;
            String name = n.weights().get("weight");
            long in = training.weights().get(name).shape().get(1);
            // random() drew N(0, 1/in): rescale to the wanted deviation
            double std = residual.contains(n.results().getFirst()) ? 2 / (layers * Math.sqrt(width)) : Math.sqrt(2.0 / (5 * in));
            scale(w.get(name), std * Math.sqrt(in));
        }
        return w;
    }

    /** Values added to another by an {@code add}: in a pre-norm block, the branches written into the residual stream. */
    private static Set<Integer> residualOperands(Graph g) {
        Set<Integer> out = new HashSet<>();
        for (Node n : g.nodes()) if (n.is(Primitive.ADD)) out.addAll(n.operands());
        return out;
    }

    private static void scale(float[] values, double by) {
        for (int i = 0; i < values.length; i++) values[i] = (float) (values[i] * by);
    }
}
