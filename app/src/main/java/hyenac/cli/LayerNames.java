package hyenac.cli;

import hyenac.ir.Graph;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values {@code embed --layer} names: the graph's probes, the model paths the spec binds ({@code embedding},
 * {@code layers.3} the output of layer 3, {@code layers.3.mixer.q}, {@code final_norm}, {@code logits}). {@code N} and
 * {@code N.POINT} are short for {@code layers.N} and {@code layers.N.POINT}.
 */
final class LayerNames {
    private static final Pattern LAYER = Pattern.compile("layers\\.(\\d+)(?:\\.(.+))?");

    private LayerNames() {}

    /** The probe's full name that {@code asked} means, or null when the model has none of that name. */
    static String resolve(Graph g, String asked) {
        String name = !asked.isEmpty() && Character.isDigit(asked.charAt(0)) ? "layers." + asked : asked;
        return g.probes().containsKey(name) ? name : null;
    }

    /**
     * Every name, compactly: the names outside the layers, and for each point inside them the layers that have it, e.g.
     * "embedding; N (the output of layer N) for N in 0–6; N.h, N.m, N.r for N in 0–6; N.mixer.a for N in 3; final_norm; logits".
     */
    static String valid(Graph g) {
        // a point's layers, by point ("" for the layer's output), in the order the probes first name them
        Map<String, TreeSet<Integer>> points = new LinkedHashMap<>();
        int firstInLayers = g.probes().entrySet().stream().filter(e -> LAYER.matcher(e.getKey()).matches())
                .mapToInt(Map.Entry::getValue).min().orElse(Integer.MAX_VALUE);
        // the names outside the layers, in the order the model computes them: before the layers (embedding) or after
        List<String> before = new ArrayList<>(), after = new ArrayList<>();
        g.probes().entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            Matcher m = LAYER.matcher(e.getKey());
            if (!m.matches()) (e.getValue() < firstInLayers ? before : after).add(e.getKey());
        });
        for (String name : g.probes().keySet()) {
            Matcher m = LAYER.matcher(name);
            if (m.matches()) points.computeIfAbsent(m.group(2) == null ? "" : m.group(2), k -> new TreeSet<>()).add(Integer.parseInt(m.group(1)));
        }
        // points that share the same layers are listed together
        Map<TreeSet<Integer>, List<String>> byLayers = new LinkedHashMap<>();
        points.forEach((point, layers) -> byLayers.computeIfAbsent(layers, k -> new ArrayList<>()).add(point));
        List<String> parts = new ArrayList<>(before);
        byLayers.forEach((layers, names) -> {
            List<String> spelled = new ArrayList<>();
            for (String p : names) spelled.add(p.isEmpty() ? "N (the output of layer N)" : "N." + p);
            parts.add(String.join(", ", spelled) + " for N in " + ranges(layers));
        });
        parts.addAll(after);
        return String.join("; ", parts);
    }

    /** 0, 1, 2, 4, 5, 6 as "0–2, 4–6". */
    static String ranges(TreeSet<Integer> values) {
        List<String> out = new ArrayList<>();
        Integer start = null, last = null;
        for (int v : values) {
            if (last != null && v == last + 1) {
                last = v;
                continue;
            }
            if (start != null) out.add(start.equals(last) ? String.valueOf(start) : start + "–" + last);
            start = v;
            last = v;
        }
        if (start != null) out.add(start.equals(last) ? String.valueOf(start) : start + "–" + last);
        return String.join(", ", out);
    }
}
