package hyenac.ir.autodiff;

import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.Weight;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The filters' training-time parameters, which keep their decay a decay. Hyena-MR: checkpoints store the decayed
 * product, training learns its two factors: every causal_conv with {@code decay = true} gains a weight role
 * {@code decay} (PATH.decay, [groups]): the log decay rate ρ of each group, so the filter applied is
 * taps[g, j] · exp(−exp(ρ_g) · t_j), t = linspace(0, 1, len) over FIR positions j, and {@code weight} holds the undecayed
 * taps. {@link #effectiveTaps} gives the product. Hyena-LI: checkpoints store log λ, which a step of the optimizer could
 * push above 0 (a pole past 1: a filter growing along the sequence); training learns ρ = log(−log λ) instead, as
 * savanna's modal filter does: every modal_conv's {@code log_poles} role becomes {@code pole_rates} (PATH.pole_rates,
 * [channels, modes]) and log λ = −exp(ρ) ({@link #logPoles}).
 */
public final class ParametriseDecay {
    private ParametriseDecay() {}

    public static final String ROLE = "decay";
    /** Hyena-LI's trained role: ρ with log λ = −exp(ρ). */
    public static final String POLE_RATES = "pole_rates";
    public static final String LOG_POLES = "log_poles";

    public static Graph run(Graph g) {
        Graph.Builder b = g.toBuilder();
        b.nodes().clear();
        for (Node n : g.nodes()) {
            if (n.is(Primitive.CAUSAL_CONV) && n.boolAttr("decay") && !n.weights().containsKey(ROLE)) {
                String taps = n.weights().get("weight");
                String name = taps.substring(0, taps.lastIndexOf('.')) + "." + ROLE;
                b.weight(new Weight(name, DType.FP32, List.of(n.intAttr("groups")),
                        "[groups]: log decay rate ρ; the filter is weight[g, j]·exp(−exp(ρ[g])·j/(len − 1)), FIR positions j"));
                Map<String, String> weights = new LinkedHashMap<>(n.weights());
                weights.put(ROLE, name);
                n = new Node(n.id(), n.op(), n.attrs(), n.operands(), n.results(), weights, n.path(), n.origins());
            }
            if (n.is(Primitive.MODAL_CONV) && n.weights().containsKey(LOG_POLES)) {
                String poles = n.weights().get(LOG_POLES);
                Weight w = g.weights().get(poles);
                String name = ratesName(poles);
                b.removeWeight(poles).weight(new Weight(name, DType.FP32, w.shape(),
                        "[channels, modes]: ρ, the log of the poles' decay rates; log λ = −exp(ρ), so every pole stays below 1"));
                Map<String, String> weights = new LinkedHashMap<>(n.weights());
                weights.remove(LOG_POLES);
                weights.put(POLE_RATES, name);
                n = new Node(n.id(), n.op(), n.attrs(), n.operands(), n.results(), weights, n.path(), n.origins());
            }
            b.add(n);
        }
        return b.build();
    }

    /** PATH.pole_rates for PATH.log_poles. */
    public static String ratesName(String logPoles) { return logPoles.substring(0, logPoles.lastIndexOf('.')) + "." + POLE_RATES; }

    /** PATH.log_poles for PATH.pole_rates: the name inference reads. */
    public static String logPolesName(String rates) { return rates.substring(0, rates.lastIndexOf('.')) + "." + LOG_POLES; }

    /** log λ = −exp(ρ) of each pole. */
    public static float[] logPoles(float[] rates) {
        float[] out = new float[rates.length];
        for (int i = 0; i < rates.length; i++) out[i] = (float) -Math.exp(rates[i]);
        return out;
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
