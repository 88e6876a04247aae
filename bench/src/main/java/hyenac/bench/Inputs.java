package hyenac.bench;

import java.util.SplittableRandom;

/** Inputs for timed runs: random normal numbers (never zeros, as the peer script has them) and DNA-like tokens. */
final class Inputs {
    /** The period of {@link #random}: drawing billions of normals would take longer than the benchmark. */
    static final int BLOCK = 1 << 20;

    private Inputs() {}

    /** {@code n} standard normal numbers: one seeded block of {@link #BLOCK}, repeated. */
    static float[] random(long n, long seed) {
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(n + " numbers do not fit one Java array; use a smaller shape");
        SplittableRandom rng = new SplittableRandom(seed);
        float[] block = new float[(int) Math.min(n, BLOCK)];
        for (int i = 0; i < block.length; i++) {
            double u = 1 - rng.nextDouble();
            block[i] = (float) (Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextDouble()));
        }
        float[] out = new float[(int) n];
        for (int i = 0; i < out.length; i += block.length) System.arraycopy(block, 0, out, i, Math.min(block.length, out.length - i));
        return out;
    }

    /** A prompt of {@code n} bytes of A, C, G and T, the same for the same length. */
    static long[] dna(int n) {
        return dna(1, n);
    }

    /** {@code batch} different prompts of {@code n} bases, [batch, n]; the first is {@link #dna(int)}'s. */
    static long[] dna(int batch, int n) {
        long[] t = new long[Math.multiplyExact(batch, n)];
        for (int b = 0; b < batch; b++) {
            SplittableRandom rng = new SplittableRandom(n + ((long) b << 32));
            for (int i = 0; i < n; i++) t[b * n + i] = "ACGT".charAt(rng.nextInt(4));
        }
        return t;
    }
}
