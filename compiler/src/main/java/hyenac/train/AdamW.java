package hyenac.train;

import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive.WeightRole;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * AdamW with decoupled weight decay (Loshchilov and Hutter): p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + ε), on fp32 master weights
 * updated in place. Each element's update is computed in double in a fixed order, so a run is bit-reproducible.
 * Decay applies to matrices only: norm scales, biases and filter parameters (taps, skips, decay rates, poles,
 * residues) keep theirs at 0 unless {@code decayAll}.
 */
public final class AdamW {
    public record Config(double beta1, double beta2, double eps, double weightDecay, boolean decayAll) {
        public static Config of(double weightDecay, boolean decayAll) { return new Config(0.9, 0.95, 1e-8, weightDecay, decayAll); }
    }

    private final Config config;
    private final Map<String, float[]> params;
    private final Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final Set<String> decayed = new LinkedHashSet<>();
    private long step;

    /** {@code params}: the master weights by name, in a fixed order; {@code graph}'s weight roles say which weights are matrices. */
    public AdamW(Config config, Map<String, float[]> params, Graph graph) {
        this.config = config;
        this.params = params;
        Set<String> exempt = new LinkedHashSet<>();
        for (Node n : graph.nodes()) {
            n.weights().forEach((role, name) -> {
                if (n.primitive().weight(role).orElseThrow().kind() != WeightRole.Kind.MATRIX) exempt.add(name);
            });
        }
        for (var e : params.entrySet()) {
            m.put(e.getKey(), new float[e.getValue().length]);
            v.put(e.getKey(), new float[e.getValue().length]);
            if (config.decayAll() || !exempt.contains(e.getKey())) decayed.add(e.getKey());
        }
    }

    public long step() { return step; }

    public boolean decays(String name) { return decayed.contains(name); }

    public Map<String, float[]> firstMoments() { return m; }

    public Map<String, float[]> secondMoments() { return v; }

    /** Restores a saved state (moments copied into place). */
    public void restore(long step, Map<String, float[]> first, Map<String, float[]> second) {
        this.step = step;
        for (String name : params.keySet()) {
            System.arraycopy(first.get(name), 0, m.get(name), 0, m.get(name).length);
            System.arraycopy(second.get(name), 0, v.get(name), 0, v.get(name).length);
        }
    }

    /** One update with learning rate {@code lr}; gradients are already clipped. A weight without a gradient counts as 0. */
    public void update(Map<String, float[]> grads, double lr) {
        step++;
        double b1 = config.beta1(), b2 = config.beta2();
        double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
        for (var e : params.entrySet()) {
            String name = e.getKey();
            float[] p = e.getValue(), g = grads.get(name), mm = m.get(name), vv = v.get(name);
            double shrink = decayed.contains(name) ? 1 - lr * config.weightDecay() : 1;
            for (int i = 0; i < p.length; i++) {
                double gi = g == null ? 0 : g[i];
                double mi = b1 * mm[i] + (1 - b1) * gi;
                double vi = b2 * vv[i] + (1 - b2) * gi * gi;
                mm[i] = (float) mi;
                vv[i] = (float) vi;
                p[i] = (float) (p[i] * shrink - lr * (mi / c1) / (Math.sqrt(vi / c2) + config.eps()));
            }
        }
    }

    /** The global L2 norm of the gradients, summed in double in the parameters' order. */
    public static double globalNorm(Map<String, float[]> params, Map<String, float[]> grads) {
        double sum = 0;
        for (String name : params.keySet()) {
            float[] g = grads.get(name);
            if (g != null) for (float x : g) sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    /** Scales every gradient by clip / norm when the norm exceeds {@code clip} (0: no clipping); returns the norm before. */
    public static double clip(Map<String, float[]> params, Map<String, float[]> grads, double clip) {
        double norm = globalNorm(params, grads);
        if (clip > 0 && norm > clip) {
            double s = clip / norm;
            for (float[] g : grads.values()) for (int i = 0; i < g.length; i++) g[i] = (float) (g[i] * s);
        }
        return norm;
    }
}
