package hyenac.train;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.autodiff.ParametriseDecay;
import hyenac.runtime.weights.WeightStore;

/** A training graph's parameters: where they start, and the weights inference reads from them. */
public final class Parameters {
    private Parameters() {}

    /** Seeded start: {@link WeightStore#random}'s scales, with Hyena-MR's decay rates log-spaced as savanna sets them. */
    public static WeightStore initial(Graph training, long seed) {
        WeightStore w = WeightStore.random(training, seed);
        for (Node n : training.nodes()) {
            String decay = n.weights().get(ParametriseDecay.ROLE);
            if (decay == null || !n.op().equals("causal_conv")) continue;
            float[] rates = ParametriseDecay.initialLogRates(Math.toIntExact(n.intAttr("groups")));
            System.arraycopy(rates, 0, w.get(decay), 0, rates.length);
        }
        return w;
    }
}
