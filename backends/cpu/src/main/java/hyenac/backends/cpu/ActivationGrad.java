package hyenac.backends.cpu;

/** dx = dy ⊙ act′(x) for the activations of {@link Activation}, in double. */
public final class ActivationGrad {
    private ActivationGrad() {}

    private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

    public static double derivative(Activation act, double x) {
        return switch (act) {
            case IDENTITY -> 1;
            case GELU -> 0.5 * Activation.erfc(-x / Math.sqrt(2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                yield s * (1 + x * (1 - s));
            }
            case RELU -> x > 0 ? 1 : 0;
        };
    }

    public static float[] apply(Activation act, float[] dy, float[] x) {
        if (dy.length != x.length) throw new IllegalArgumentException("dy and x differ in size: " + dy.length + " and " + x.length);
        float[] dx = new float[x.length];
        Par.forEach(x.length / 4096 + 1, 4096 * 30, chunk -> {
            int end = Math.min(x.length, (chunk + 1) * 4096);
            for (int i = chunk * 4096; i < end; i++) dx[i] = (float) (dy[i] * derivative(act, x[i]));
        });
        return dx;
    }
}
