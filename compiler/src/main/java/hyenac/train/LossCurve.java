package hyenac.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The loss-curve picture of a run, an SVG written with no library: the training loss per step (averaged into at most
 * {@link #MAX_POINTS} points, so a long run stays a small file) on the left axis and the evaluations on their own:
 * a task's accuracy on a right axis from 0 to 1, a corpus's held-out loss on the loss axis.
 */
public final class LossCurve {
    static final int MAX_POINTS = 600;
    private static final int WIDTH = 720, HEIGHT = 400, LEFT = 64, RIGHT = 64, TOP = 40, BOTTOM = 48;

    private final String title;
    private final String metric;
    private final List<double[]> losses = new ArrayList<>(), evaluations = new ArrayList<>();

    /** {@code metric}: "accuracy" (a right axis of 0 to 1) or "val_loss" (drawn on the loss axis). */
    public LossCurve(String title, String metric) {
        this.title = title;
        this.metric = metric;
    }

    public void loss(long step, double loss) { if (Double.isFinite(loss)) losses.add(new double[] {step, loss}); }

    public void evaluation(long step, double value) { if (Double.isFinite(value)) evaluations.add(new double[] {step, value}); }

    /** Writes the picture to a temporary file, then renames it over {@code file}: a reader never sees half of one. */
    public void write(Path file) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, svg(), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new TrainException(file + ": cannot write the loss curve: " + e.getMessage());
        }
    }

    String svg() {
        List<double[]> curve = averaged(losses);
        boolean accuracy = metric.equals("accuracy");
        double maxStep = 1, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] p : curve) {
            maxStep = Math.max(maxStep, p[0]);
            lo = Math.min(lo, p[1]);
            hi = Math.max(hi, p[1]);
        }
        for (double[] p : evaluations) {
            maxStep = Math.max(maxStep, p[0]);
            if (!accuracy) {
                lo = Math.min(lo, p[1]);
                hi = Math.max(hi, p[1]);
            }
        }
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        double[] lossTicks = ticks(lo >= 0 && lo < 0.25 * hi ? 0 : lo, hi); // from 0 unless that squashes the curve
        double y0 = lossTicks[0], y1 = lossTicks[lossTicks.length - 1];
        double[] stepTicks = ticks(0, maxStep);
        double x1 = stepTicks[stepTicks.length - 1];
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">\n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>\n", LEFT, escape(title)));
        // grid and axes
        for (double t : lossTicks) {
            double y = y(t, y0, y1);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", LEFT, y, WIDTH - RIGHT, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#1f77b4\">%s</text>\n", LEFT - 6, y + 4, label(t)));
        }
        for (double t : stepTicks) {
            double x = x(t, x1);
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x, HEIGHT - BOTTOM + 18, label(t)));
        }
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#808080\"/>\n", LEFT, TOP,
                WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">step</text>\n", (WIDTH + LEFT - RIGHT) / 2, HEIGHT - 10));
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" fill=\"#1f77b4\" transform=\"rotate(-90 14 %d)\" text-anchor=\"middle\">training loss</text>\n",
                (HEIGHT + TOP - BOTTOM) / 2, (HEIGHT + TOP - BOTTOM) / 2));
        if (accuracy) {
            for (double t : new double[] {0, 0.25, 0.5, 0.75, 1}) {
                s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" fill=\"#d62728\">%s</text>\n", WIDTH - RIGHT + 6, y(t, 0, 1) + 4, label(t)));
            }
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#d62728\" transform=\"rotate(90 %d %d)\" text-anchor=\"middle\">test accuracy</text>\n",
                    WIDTH - 14, (HEIGHT + TOP - BOTTOM) / 2, WIDTH - 14, (HEIGHT + TOP - BOTTOM) / 2));
        }
        // the curves
        s.append(polyline(curve, x1, y0, y1, "#1f77b4", "loss"));
        double e0 = accuracy ? 0 : y0, e1 = accuracy ? 1 : y1;
        s.append(polyline(evaluations, x1, e0, e1, "#d62728", metric));
        for (double[] p : evaluations) {
            s.append(String.format(Locale.ROOT, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"><title>step %d: %s %s</title></circle>\n",
                    metric, x(p[0], x1), y(p[1], e0, e1), (long) p[0], metric, label(p[1])));
        }
        if (!evaluations.isEmpty()) {
            double[] last = evaluations.getLast();
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" text-anchor=\"end\" fill=\"#d62728\">%s %s at step %d</text>\n", WIDTH - RIGHT,
                    accuracy ? "test accuracy" : "held-out loss", label(last[1]), (long) last[0]));
        }
        return s.append("</svg>\n").toString();
    }

    private String polyline(List<double[]> points, double x1, double y0, double y1, String colour, String cls) {
        if (points.isEmpty()) return "";
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", cls, colour));
        for (int i = 0; i < points.size(); i++) {
            s.append(String.format(Locale.ROOT, "%s%.1f,%.1f", i == 0 ? "" : " ", x(points.get(i)[0], x1), y(points.get(i)[1], y0, y1)));
        }
        return s.append("\"/>\n").toString();
    }

    /** At most MAX_POINTS points: consecutive steps averaged in equal buckets. */
    static List<double[]> averaged(List<double[]> points) {
        if (points.size() <= MAX_POINTS) return points;
        List<double[]> out = new ArrayList<>();
        for (int b = 0; b < MAX_POINTS; b++) {
            int from = (int) ((long) b * points.size() / MAX_POINTS), to = (int) ((long) (b + 1) * points.size() / MAX_POINTS);
            double step = 0, value = 0;
            for (int i = from; i < to; i++) {
                step += points.get(i)[0];
                value += points.get(i)[1];
            }
            out.add(new double[] {step / (to - from), value / (to - from)});
        }
        return out;
    }

    private static double x(double step, double x1) { return LEFT + (WIDTH - LEFT - RIGHT) * step / x1; }

    private static double y(double v, double y0, double y1) { return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (v - y0) / (y1 - y0); }

    /** Round tick values from below lo to above hi: 1, 2 or 5 times a power of ten apart. */
    static double[] ticks(double lo, double hi) {
        if (hi <= lo) hi = lo + 1;
        double raw = (hi - lo) / 5, power = Math.pow(10, Math.floor(Math.log10(raw))), step = power;
        for (double m : new double[] {1, 2, 5, 10}) {
            step = m * power;
            if (step >= raw) break;
        }
        double first = Math.floor(lo / step) * step, last = Math.ceil(hi / step) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = first + i * step;
        return out;
    }

    private static String label(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e7) return Long.toString((long) v);
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
