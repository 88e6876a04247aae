package hyenac.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.Graph;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizerTest {
    @Test
    void adamWMatchesItsDefinitionStepByStep() {
        Graph g = GradCheck.training("lin", "block bare(mixer: op) (x) {\n out mixer(x)\n}\nop p() (x) {\n op l = linear(features = width, bias = true)\n out l(x)\n}\n"
                + "model m {\n vocab = 256\n width = 2\n context = 8\n block = bare\n op o = p()\n layers = [o]\n}\n");
        Map<String, float[]> params = new LinkedHashMap<>();
        params.put("layers.0.mixer.l.weight", new float[] {1, -2, 0.5f, 0});
        params.put("layers.0.mixer.l.bias", new float[] {1, 1});
        AdamW opt = new AdamW(AdamW.Config.of(0.1, false), params, g);
        assertTrue(opt.decays("layers.0.mixer.l.weight"));
        assertFalse(opt.decays("layers.0.mixer.l.bias"), "biases keep no decay");
        double[] p = {1, -2, 0.5, 0}, m = new double[4], v = new double[4];
        double[][] grads = {{0.5, -1, 2, 0}, {-0.25, 0.5, 1, 3}};
        double lr = 0.01;
        for (int t = 1; t <= 2; t++) {
            Map<String, float[]> gr = Map.of("layers.0.mixer.l.weight", floats(grads[t - 1]), "layers.0.mixer.l.bias", new float[] {1, -1});
            opt.update(gr, lr);
            for (int i = 0; i < 4; i++) {
                double mi = 0.9 * m[i] + 0.1 * (float) grads[t - 1][i], vi = 0.95 * v[i] + 0.05 * (float) grads[t - 1][i] * (float) grads[t - 1][i];
                m[i] = (float) mi; // the moments are kept in fp32, the update uses them before rounding
                v[i] = (float) vi;
                double mh = mi / (1 - Math.pow(0.9, t)), vh = vi / (1 - Math.pow(0.95, t));
                p[i] = (float) (p[i] * (1 - lr * 0.1) - lr * mh / (Math.sqrt(vh) + 1e-8));
                assertEquals((float) p[i], params.get("layers.0.mixer.l.weight")[i], 0, "step " + t + " element " + i);
            }
        }
        // the bias moved by Adam alone: two steps of ±lr·1 (m̂/√v̂ = ±1)
        assertEquals(1 - 2 * lr, params.get("layers.0.mixer.l.bias")[0], 1e-6);
        assertEquals(1 + 2 * lr, params.get("layers.0.mixer.l.bias")[1], 1e-6);
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        Map<String, float[]> params = new LinkedHashMap<>(Map.of("a", new float[2], "b", new float[1]));
        Map<String, float[]> grads = new LinkedHashMap<>(Map.of("a", new float[] {3, 0}, "b", new float[] {4}));
        assertEquals(5, AdamW.clip(params, grads, 1), 1e-12);
        assertEquals(0.6f, grads.get("a")[0], 1e-7);
        assertEquals(0.8f, grads.get("b")[0], 1e-7);
        assertEquals(1, AdamW.globalNorm(params, grads), 1e-6);
        assertEquals(1, AdamW.clip(params, grads, 2), 1e-6, "under the bound: unchanged");
        assertEquals(0.6f, grads.get("a")[0], 1e-7);
    }

    @Test
    void warmUpThenCosine() {
        Schedule s = new Schedule(1e-3, 10, 110, 0.1);
        assertEquals(1e-4, s.at(1), 1e-12);
        assertEquals(1e-3, s.at(10), 1e-12);
        assertEquals(0.55e-3, s.at(60), 1e-12, "half way down the cosine");
        assertEquals(1e-4, s.at(110), 1e-12);
        assertTrue(s.at(11) < 1e-3 && s.at(11) > 0.999e-3);
        assertEquals(1e-3, new Schedule(1e-3, 0, 1, 0.1).at(1) * 10, 1e-2, "one step, no warm-up: the minimum");
    }

    private static float[] floats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }
}
