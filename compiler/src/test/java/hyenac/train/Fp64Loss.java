package hyenac.train;

import hyenac.backends.cpu.Activation;
import hyenac.backends.cpu.Rope;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.Primitive;
import hyenac.ir.autodiff.Autodiff;
import hyenac.ir.autodiff.ParametriseDecay;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The loss of a training graph computed entirely in fp64, straight from the definitions (SEMANTICS.md): the reference
 * that gradient checks difference, free of the fp32 kernels' rounding. Direct sums only; test sizes.
 */
final class Fp64Loss {
    private Fp64Loss() {}

    static double loss(Graph g, Function<String, double[]> weights, int batch, int length, long[] tokens, long[] targets, float[] mask) {
        int rows = batch * length;
        Map<Integer, double[]> v = new HashMap<>();
        for (Node n : g.slice(Set.of(), List.of(g.probes().get(Autodiff.LOSS)))) {
            List<double[]> in = n.operands().stream().map(v::get).toList();
            double[] x = in.getFirst();
            int c = n.op().equals("embedding") ? 0 : width(g, n.operands().getFirst());
            int out = width(g, n.results().getFirst());
            Function<String, double[]> w = role -> n.weights().containsKey(role) ? weights.apply(n.weights().get(role)) : null;
            double[][] r = switch (n.primitive()) {
                case EMBEDDING -> {
                    double[] e = w.apply("weight"), y = new double[rows * out];
                    for (int i = 0; i < rows; i++) System.arraycopy(e, (int) tokens[i] * out, y, i * out, out);
                    yield new double[][] {y};
                }
                case UNEMBED, LINEAR -> {
                    double[] wt = w.apply("weight"), b = w.apply("bias"), y = new double[rows * out];
                    for (int i = 0; i < rows; i++) {
                        for (int o = 0; o < out; o++) {
                            double acc = b == null ? 0 : b[o];
                            for (int k = 0; k < c; k++) acc += x[i * c + k] * wt[o * c + k];
                            y[i * out + o] = acc;
                        }
                    }
                    yield new double[][] {y};
                }
                case CAUSAL_CONV -> {
                    int len = (int) n.intAttr("len"), groups = (int) n.intAttr("groups");
                    boolean xcorr = "xcorr".equals(n.stringAttr("taps"));
                    double[] stored = w.apply("weight"), rates = w.apply(ParametriseDecay.ROLE), h = new double[groups * len];
                    for (int gr = 0; gr < groups; gr++) {
                        for (int j = 0; j < len; j++) {
                            double tap = stored[gr * len + (xcorr ? len - 1 - j : j)];
                            if (rates != null) tap *= Math.exp(-Math.exp(rates[gr]) * ParametriseDecay.position(j, len));
                            h[gr * len + j] = tap;
                        }
                    }
                    yield new double[][] {conv(x, batch, length, c, h, groups, len, w.apply("skip"))};
                }
                case MODAL_CONV -> {
                    int modes = (int) n.intAttr("modes");
                    double[] a = w.apply(ParametriseDecay.LOG_POLES), rates = w.apply(ParametriseDecay.POLE_RATES), res = w.apply("residues");
                    double[] h = new double[c * length];
                    if (rates != null) {
                        a = new double[rates.length];
                        for (int i = 0; i < rates.length; i++) a[i] = -Math.exp(rates[i]);
                    }
                    for (int ch = 0; ch < c; ch++) {
                        for (int t = 0; t < length; t++) {
                            for (int m = 0; m < modes; m++) h[ch * length + t] += res[ch * modes + m] * Math.exp(a[ch * modes + m] * t);
                        }
                    }
                    yield new double[][] {conv(x, batch, length, c, h, c, length, w.apply("skip"))};
                }
                case RMSNORM -> {
                    double[] s = w.apply("scale"), y = new double[x.length];
                    for (int i = 0; i < rows; i++) {
                        double ss = 0;
                        for (int k = 0; k < c; k++) ss += x[i * c + k] * x[i * c + k];
                        double d = Math.sqrt(ss / c) + n.floatAttr("eps");
                        for (int k = 0; k < c; k++) y[i * c + k] = s[k] * x[i * c + k] / d;
                    }
                    yield new double[][] {y};
                }
                case DEINTERLEAVE, SPLIT -> {
                    int parts = n.results().size(), pw = c / parts;
                    double[][] y = new double[parts][rows * pw];
                    for (int i = 0; i < rows; i++) {
                        for (int j = 0; j < parts; j++) {
                            for (int k = 0; k < pw; k++) {
                                y[j][i * pw + k] = x[i * c + (n.is(Primitive.SPLIT) ? j * pw + k : k * parts + j)];
                            }
                        }
                    }
                    yield y;
                }
                case CONCAT -> {
                    double[] y = new double[rows * out];
                    int at = 0;
                    for (int p = 0; p < in.size(); p++) {
                        int pw = in.get(p).length / rows;
                        for (int i = 0; i < rows; i++) System.arraycopy(in.get(p), i * pw, y, i * out + at, pw);
                        at += pw;
                    }
                    yield new double[][] {y};
                }
                case ADD, SUB, MUL -> {
                    double[] b = in.get(1), y = new double[x.length];
                    for (int i = 0; i < y.length; i++) {
                        y[i] = switch (n.primitive()) {
                            case ADD -> x[i] + b[i];
                            case SUB -> x[i] - b[i];
                            default -> x[i] * b[i];
                        };
                    }
                    yield new double[][] {y};
                }
                case SCALE, NEG, IDENTITY, GELU, SILU, RELU -> {
                    double[] y = new double[x.length];
                    for (int i = 0; i < y.length; i++) {
                        y[i] = switch (n.primitive()) {
                            case SCALE -> n.floatAttr("by") * x[i];
                            case NEG -> -x[i];
                            default -> Activation.of(n.primitive()).apply(x[i]);
                        };
                    }
                    yield new double[][] {y};
                }
                case CAUSAL_ATTENTION -> new double[][] {attention(n, in.get(0), in.get(1), in.get(2), batch, length, c)};
                case CROSS_ENTROPY -> {
                    double total = 0, weight = 0;
                    for (int i = 0; i < rows; i++) {
                        if (mask[i] == 0) continue;
                        double max = Double.NEGATIVE_INFINITY, sum = 0;
                        for (int k = 0; k < c; k++) max = Math.max(max, x[i * c + k]);
                        for (int k = 0; k < c; k++) sum += Math.exp(x[i * c + k] - max);
                        total += mask[i] * (max + Math.log(sum) - x[i * c + (int) targets[i]]);
                        weight += mask[i];
                    }
                    yield new double[][] {{total / weight}};
                }
                default -> throw new IllegalArgumentException("no fp64 reference for " + n.op());
            };
            for (int i = 0; i < r.length; i++) v.put(n.results().get(i), r[i]);
        }
        return v.get(g.probes().get(Autodiff.LOSS))[0];
    }

    private static int width(Graph g, int value) { return Math.toIntExact(g.value(value).type().channels()); }

    /** y[t, c] = Σ_j h[g, j]·x[t − j, c] + skip[c]·x[t, c], h in FIR order. */
    private static double[] conv(double[] x, int batch, int length, int c, double[] h, int groups, int len, double[] skip) {
        double[] y = new double[x.length];
        int per = c / groups;
        for (int b = 0; b < batch; b++) {
            for (int ch = 0; ch < c; ch++) {
                int base = b * length * c + ch;
                for (int t = 0; t < length; t++) {
                    double acc = skip == null ? 0 : skip[ch] * x[base + t * c];
                    for (int j = 0; j <= Math.min(len - 1, t); j++) acc += h[(ch / per) * len + j] * x[base + (t - j) * c];
                    y[base + t * c] = acc;
                }
            }
        }
        return y;
    }

    private static double[] attention(Node n, double[] q, double[] k, double[] v, int batch, int length, int width) {
        int heads = (int) n.intAttr("heads"), d = width / heads;
        if ("rope".equals(n.attrs().get("rope"))) {
            float[] inv = Rope.invFreqBf16(n.floatAttr("rope.base"), d);
            q = rotate(q, inv, n.floatAttr("rope.scale"), batch, length, heads, d);
            k = rotate(k, inv, n.floatAttr("rope.scale"), batch, length, heads, d);
        }
        double[] y = new double[q.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < length; t++) {
                    int qo = (b * length + t) * width + h * d;
                    double[] p = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= t; j++) {
                        int ko = (b * length + j) * width + h * d;
                        for (int e = 0; e < d; e++) p[j] += q[qo + e] * k[ko + e];
                        p[j] /= Math.sqrt(d);
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j <= t; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int j = 0; j <= t; j++) {
                        int vo = (b * length + j) * width + h * d;
                        for (int e = 0; e < d; e++) y[qo + e] += p[j] / sum * v[vo + e];
                    }
                }
            }
        }
        return y;
    }

    private static double[] rotate(double[] x, float[] inv, double scale, int batch, int length, int heads, int d) {
        double[] y = new double[x.length];
        int half = d / 2;
        for (int bt = 0; bt < batch * length; bt++) {
            int t = bt % length;
            for (int h = 0; h < heads; h++) {
                int o = bt * heads * d + h * d;
                for (int i = 0; i < half; i++) {
                    double th = t / scale * inv[i], x0 = x[o + i], x1 = x[o + half + i];
                    y[o + i] = x0 * Math.cos(th) - x1 * Math.sin(th);
                    y[o + half + i] = x0 * Math.sin(th) + x1 * Math.cos(th);
                }
            }
        }
        return y;
    }
}
