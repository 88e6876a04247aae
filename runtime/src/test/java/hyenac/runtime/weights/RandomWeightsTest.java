package hyenac.runtime.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.DType;
import hyenac.ir.Graph;
import hyenac.ir.Weight;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RandomWeightsTest {
    /** Weights only: a projection spanning several of random's parallel blocks, a norm scale, a bias, modal poles. */
    static Graph weights() {
        Graph.Builder b = new Graph.Builder();
        b.weight(new Weight("layers.0.mixer.proj_in.weight", DType.FP32, List.of(3000L, 1024L), "row-major"));
        b.weight(new Weight("layers.0.pre_norm.scale", DType.FP32, List.of(64L), "row-major"));
        b.weight(new Weight("layers.0.mixer.proj_out.bias", DType.FP32, List.of(64L), "row-major"));
        b.weight(new Weight("layers.1.mixer.filter.log_poles", DType.FP32, List.of(64L, 16L), "row-major"));
        return b.build();
    }

    @Test
    void drawsFollowTheRulesAndTheSeed() {
        Graph g = weights();
        WeightStore a = WeightStore.random(g, 3), again = WeightStore.random(g, 3), other = WeightStore.random(g, 4);
        for (String name : g.weights().keySet()) {
            assertArrayEquals(a.get(name), again.get(name), name);
            assertEquals(g.weights().get(name).elements(), a.get(name).length, name);
        }
        assertFalse(Arrays.equals(a.get("layers.0.mixer.proj_in.weight"), other.get("layers.0.mixer.proj_in.weight")));
        float[] w = a.get("layers.0.mixer.proj_in.weight");
        double sum = 0, squares = 0;
        for (float x : w) {
            sum += x;
            squares += (double) x * x;
        }
        // linear weights are N(0, 1/fan-in)
        assertEquals(0, sum / w.length, 1e-3);
        assertEquals(1.0 / 1024, squares / w.length, 0.02 / 1024);
        for (float x : a.get("layers.0.pre_norm.scale")) assertEquals(1f, x);
        for (float x : a.get("layers.0.mixer.proj_out.bias")) assertEquals(0f, x);
        for (float x : a.get("layers.1.mixer.filter.log_poles")) assertTrue(x > -0.7 && x < -0.004, "log λ is -λ' for λ' in [0.004, 0.7]: " + x);
    }
}
