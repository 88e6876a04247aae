package hyenac.train;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.autodiff.ParametriseDecay;
import hyenac.runtime.weights.WeightStore;

/** A training graph's parameters: where they start, and the weights inference reads from them. */
public final class Parameters {
    private Parameters() {}

    /**
     * Seeded start: {@link WeightStore#random}'s scales, with Hyena-MR's decay rates log-spaced as savanna sets them and
     * the embedding scaled by 1/√width: it is also the unembedding, and logits of a normalised state then start near
     * unit size (a loss near ln vocab) instead of √width. Every weight is held in fp32 whatever the spec declares:
     * these arrays are the master weights the optimizer updates in place (a bf16 weight's floats would be a copy).
     */
    public static WeightStore initial(Graph training, long seed) {
        WeightStore w = WeightStore.random(training, seed, WeightStore.Options.defaults().storingFp32());
        float[] embedding = w.get("embedding.weight");
        double scale = 1 / Math.sqrt(training.weights().get("embedding.weight").shape().get(1));
        for (int i = 0; i < embedding.length; i++) embedding[i] = (float) (embedding[i] * scale);
        for (Node n : training.nodes()) {
            String decay = n.weights().get(ParametriseDecay.ROLE);
            if (decay == null || !n.op().equals("causal_conv")) continue;
            float[] rates = ParametriseDecay.initialLogRates(Math.toIntExact(n.intAttr("groups")));
            System.arraycopy(rates, 0, w.get(decay), 0, rates.length);
        }
        return w;
    }
}
