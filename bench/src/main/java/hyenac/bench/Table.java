package hyenac.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Plain-text tables: columns padded to their widest cell. */
final class Table {
    private Table() {}

    static String render(List<Point> points, Double copyGbps) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("op", "B", "L", "D", "median ms", "p10 ms", "p90 ms", "tokens/s", "per seq", "GB/s", "%copy", "TFLOP/s", "status"));
        for (Point p : points) {
            if (!p.ok()) {
                rows.add(List.of(p.op(), "" + p.batch(), "" + p.length(), "" + p.width(), "", "", "", "", "", "", "", "", p.status()));
                continue;
            }
            Double gb = p.gbPerS();
            rows.add(List.of(p.op(), "" + p.batch(), "" + p.length(), "" + p.width(), f("%.4f", p.samples().median()),
                    f("%.4f", p.samples().percentile(10)), f("%.4f", p.samples().percentile(90)), num(p.tokensPerS()),
                    num(p.tokensPerSPerSequence()), num(gb),
                    gb == null || copyGbps == null ? "" : f("%.1f", 100 * gb / copyGbps), num(p.tflops()), "ok"));
        }
        return render(rows);
    }

    /** Three significant digits at most, no exponent: 2871, 35.2, 0.0412. */
    static String num(Double v) {
        if (v == null) return "";
        double a = Math.abs(v);
        return a >= 100 ? f("%.0f", v) : a >= 10 ? f("%.1f", v) : a >= 1 ? f("%.2f", v) : a >= 1e-4 ? f("%.4f", v) : f("%.2e", v);
    }

    static String f(String format, Double v) { return v == null ? "" : String.format(Locale.ROOT, format, v); }

    static String render(List<List<String>> rows) {
        int[] w = new int[rows.getFirst().size()];
        for (List<String> r : rows) for (int i = 0; i < r.size(); i++) w[i] = Math.max(w[i], r.get(i).length());
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            List<String> r = rows.get(k);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.size(); i++) line.append(i == 0 ? "" : "  ").append(String.format("%-" + w[i] + "s", r.get(i)));
            sb.append(line.toString().stripTrailing()).append('\n');
            if (k == 0) {
                StringBuilder rule = new StringBuilder();
                for (int i = 0; i < w.length; i++) rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
                sb.append(rule).append('\n');
            }
        }
        return sb.toString();
    }

    static String markdown(List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < rows.size(); k++) {
            sb.append("| ").append(String.join(" | ", rows.get(k).stream().map(c -> c.replace("|", "/")).toList())).append(" |\n");
            if (k == 0) sb.append("|").append("---|".repeat(rows.getFirst().size())).append('\n');
        }
        return sb.toString();
    }
}
