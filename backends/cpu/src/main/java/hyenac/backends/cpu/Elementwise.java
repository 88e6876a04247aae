package hyenac.backends.cpu;

/** Elementwise arithmetic on tensors of one shape (fp32, as stored: each result is one rounded operation). */
public final class Elementwise {
    private Elementwise() {}

    public static float[] add(float[] a, float[] b) {
        same(a, b);
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] + b[i];
        return y;
    }

    public static float[] sub(float[] a, float[] b) {
        same(a, b);
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] - b[i];
        return y;
    }

    public static float[] mul(float[] a, float[] b) {
        same(a, b);
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = a[i] * b[i];
        return y;
    }

    /** s·a, the product rounded once from double. */
    public static float[] scale(float[] a, double s) {
        float[] y = new float[a.length];
        for (int i = 0; i < a.length; i++) y[i] = (float) (s * a[i]);
        return y;
    }

    private static void same(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("elementwise operands differ in size: " + a.length + " and " + b.length);
    }
}
