package hyenac.ir.autodiff;

import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Weight;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hyena-MR's training-time filter: checkpoints store the decayed product, training learns its two factors.
 * Every causal_conv with {@code decay = true} gains a weight role {@code decay} (PATH.decay, [groups]): the log
 * decay rate ρ of each group, so the filter applied is taps[g, j] · exp(−exp(ρ_g) · t_j), t = linspace(0, 1, len)
 * over FIR positions j, and {@code weight} holds the undecayed taps. {@link #effectiveTaps} gives the product.
 */
public final class ParametriseDecay {
    private ParametriseDecay() {}

    public static final String ROLE = "decay";

    public static Graph run(Graph g) {
        Graph.Builder b = g.toBuilder();
        b.nodes().clear();
        for (Node n : g.nodes()) {
            if (n.op().equals("causal_conv") && n.boolAttr("decay") && !n.weights().containsKey(ROLE)) {
                String taps = n.weights().get("weight");
                String name = taps.substring(0, taps.lastIndexOf('.')) + "." + ROLE;
                b.weight(new Weight(name, DType.FP32, List.of(n.intAttr("groups")),
                        "[groups]: log decay rate ρ; the filter is weight[g, j]·exp(−exp(ρ[g])·j/(len − 1)), FIR positions j"));
                Map<String, String> weights = new LinkedHashMap<>(n.weights());
                weights.put(ROLE, name);
                n = new Node(n.id(), n.op(), n.attrs(), n.operands(), n.results(), weights, n.path(), n.origins());
            }
            b.add(n);
        }
        return b.build();
    }

    /** The decay rates' start, savanna's: rates log-spaced over [1e-2, 1e2] across the groups. */
    public static float[] initialLogRates(int groups) {
        float[] out = new float[groups];
        double lo = Math.log(1e-2), hi = Math.log(1e2);
        for (int g = 0; g < groups; g++) out[g] = (float) (groups == 1 ? lo : lo + (hi - lo) * g / (groups - 1));
        return out;
    }

    /** t_j = j/(len − 1), the position of FIR tap j in [0, 1]. */
    public static double position(int j, int len) { return len == 1 ? 0 : (double) j / (len - 1); }

    /**
     * The filter a decayed convolution applies, in the stored tap order: taps [groups, len] times the decay of
     * each tap's FIR position ({@code xcorr}: stored index i is FIR position len − 1 − i).
     */
    public static float[] effectiveTaps(float[] taps, float[] logRates, int groups, int len, boolean xcorr) {
        float[] out = new float[taps.length];
        for (int g = 0; g < groups; g++) {
            double rate = Math.exp(logRates[g]);
            for (int i = 0; i < len; i++) {
                int j = xcorr ? len - 1 - i : i;
                out[g * len + i] = (float) (taps[g * len + i] * Math.exp(-rate * position(j, len)));
            }
        }
        return out;
    }
}
