package hyenac.runtime.text;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy (temperature 0), or sampling with temperature, top-k and
 * top-p (nucleus) filtering, from a seeded generator so runs repeat.
 */
public final class Sampler {
    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom random;

    /** @param topK 0 for no limit; @param topP 1 for no limit */
    public Sampler(double temperature, int topK, double topP, long seed) {
        if (temperature < 0 || Double.isNaN(temperature)) throw new IllegalArgumentException("temperature must be ≥ 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be ≥ 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() { return new Sampler(0, 0, 1, 0); }

    /** The index of the largest logit (the first one on ties, as argmax does). */
    public static int argmax(float[] logits, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) if (logits[offset + i] > logits[offset + best]) best = i;
        return best;
    }

    public int next(float[] logits, int offset, int length) {
        if (temperature == 0) return argmax(logits, offset, length);
        int[] order = byLogitDescending(logits, offset, length);
        int keep = topK > 0 ? Math.min(topK, length) : length;
        double max = logits[offset + order[0]] / temperature;
        double[] p = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(logits[offset + order[i]] / temperature - max);
            sum += p[i];
        }
        // Nucleus: the smallest prefix (by probability) whose mass reaches top-p.
        double mass = 0;
        int nucleus = keep;
        for (int i = 0; i < keep; i++) {
            mass += p[i] / sum;
            if (mass >= topP) {
                nucleus = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < nucleus; i++) total += p[i];
        double u = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            u -= p[i];
            if (u <= 0) return order[i];
        }
        return order[nucleus - 1];
    }

    /**
     * Token ids from the largest logit down, ties in id order (as a stable sort by {@link Float#compare} has them):
     * sorted as primitive keys, the logit's order in the high half and the id in the low, since a batch samples this
     * once per sequence per step.
     */
    static int[] byLogitDescending(float[] logits, int offset, int length) {
        long[] keys = new long[length];
        for (int i = 0; i < length; i++) {
            int bits = Float.floatToIntBits(logits[offset + i]);
            int ordered = bits ^ ((bits >> 31) & 0x7fffffff);  // ascending as Float.compare is, -0.0 below 0.0
            keys[i] = ((long) ~ordered << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[length];
        for (int i = 0; i < length; i++) order[i] = (int) keys[i];
        return order;
    }
}
