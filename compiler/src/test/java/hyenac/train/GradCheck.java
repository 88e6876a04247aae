package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.cpu.GradientExecutor;
import hyenac.compiler.ToGraph;
import hyenac.compiler.passes.PassManager;
import hyenac.dsl.check.Checker;
import hyenac.dsl.source.SourceFile;
import hyenac.ir.Graph;
import hyenac.runtime.weights.WeightStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Gradient checks by central differences in fp64: for each weight tensor p and a random direction u, the directional
 * derivative ⟨g, u⟩ of the gradient the training graph computes on the CPU (fp32) against
 * (L(p + h·u) − L(p − h·u)) / 2h with L the loss computed in fp64 by {@link Fp64Loss}.
 */
final class GradCheck {
    private GradCheck() {}

    record Outcome(String weight, double analytic, double numeric) {
        double relError() { return Math.abs(analytic - numeric) / Math.max(Math.abs(analytic), Math.abs(numeric)); }

        @Override public String toString() {
            return String.format("%s: analytic %.6e, numeric %.6e, relative error %.2e", weight, analytic, numeric, relError());
        }
    }

    static Graph training(String name, String spec) {
        Checker.Result r = Checker.checkSource(new SourceFile(name, spec), null);
        assertTrue(r.ok(), () -> name + ": " + r.diagnostics());
        return PassManager.training().verifyEach(true).run(ToGraph.of(r.models().getFirst()));
    }

    /**
     * Checks every named weight with its own random direction; the step is ε times the tensor's RMS (at least
     * ε·0.5), so each perturbation is small relative to what it perturbs.
     */
    static List<Outcome> check(Graph g, WeightStore w, Collection<String> names, int batch, int length, long seed, double eps) {
        SplittableRandom rng = new SplittableRandom(seed);
        int vocab = Math.toIntExact(g.weights().get("embedding.weight").shape().get(0));
        int rows = batch * length;
        long[] tokens = new long[rows], targets = new long[rows];
        float[] mask = new float[rows];
        for (int i = 0; i < rows; i++) {
            tokens[i] = rng.nextInt(vocab);
            targets[i] = rng.nextInt(vocab);
            mask[i] = i % 3 == 2 ? 0 : 1;
        }
        GradientExecutor ex = new GradientExecutor(g, w);
        GradientExecutor.Result result = ex.run(batch, length, tokens, targets, mask);
        // the fp64 reference and the fp32 kernels compute the same function
        double reference = Fp64Loss.loss(g, n -> toDouble(w.get(n)), batch, length, tokens, targets, mask);
        assertTrue(Math.abs(reference - result.loss()) <= 1e-5 * Math.abs(reference), "fp64 loss " + reference + ", CPU loss " + result.loss());
        List<Outcome> out = new ArrayList<>();
        for (String name : names) {
            float[] p = w.get(name);
            float[] grad = result.grads().get(name);
            assertNotNull(grad, "no gradient for " + name);
            double sumSq = 0;
            for (float x : p) sumSq += (double) x * x;
            double step = eps * Math.max(Math.sqrt(sumSq / p.length), 0.5);
            double[] u = new double[p.length];
            double analytic = 0;
            for (int i = 0; i < p.length; i++) {
                u[i] = rng.nextGaussian();
                analytic += grad[i] * u[i];
            }
            double[] base = toDouble(p), plus = base.clone(), minus = base.clone();
            for (int i = 0; i < p.length; i++) {
                plus[i] += step * u[i];
                minus[i] -= step * u[i];
            }
            double lp = Fp64Loss.loss(g, n -> n.equals(name) ? plus : toDouble(w.get(n)), batch, length, tokens, targets, mask);
            double lm = Fp64Loss.loss(g, n -> n.equals(name) ? minus : toDouble(w.get(n)), batch, length, tokens, targets, mask);
            double numeric = (lp - lm) / (2 * step);
            out.add(new Outcome(name, analytic, numeric));
        }
        return out;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
