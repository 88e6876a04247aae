package hyenac.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Our points beside peer_baselines.py's: for each of our operator points, every peer row of the same operator,
 * B and L (and D, but for the copy) that ran, and the ratios against the fastest of them. {@code oursOverPeer} is
 * our time over the peer's (below 1: we are faster); where the two moved different bytes (copies of other sizes)
 * it is the inverse ratio of the bandwidths instead.
 */
record Comparison(String ours, String peer, List<String> warnings, List<Row> rows, List<String> unmatched) {

    record Variant(String impl, String variant, double ms, Double gbps, Double tflops, double oursOverPeer) {}

    record Row(String op, long batch, long length, long width, double oursMs, Double oursGbps, Double oursTflops, Variant best,
               List<Variant> variants, Double paperKernelMs) {
        double speedup() { return 1 / best.oursOverPeer(); }
    }

    static Comparison of(JsonObject ours, JsonObject peer) {
        JsonObject env = peer.has("environment") ? peer.getAsJsonObject("environment") : new JsonObject();
        JsonObject machine = ours.has("machine") ? ours.getAsJsonObject("machine") : new JsonObject();
        String ourGpu = text(machine, "gpu"), peerGpu = text(env, "gpu");
        String ourLine = (ourGpu != null ? ourGpu : text(machine, "cpu")) + " (hyenac " + text(ours, "hyenac_version") + ", "
                + text(ours, "target") + " " + text(ours, "precision") + ", " + text(ours, "date_utc") + ")";
        JsonObject smi = env.has("nvidia_smi") && env.get("nvidia_smi").isJsonObject() ? env.getAsJsonObject("nvidia_smi") : new JsonObject();
        String peerLine = peerGpu + " (torch " + text(env, "torch") + ", CUDA " + text(env, "cuda_runtime") + ", driver "
                + text(smi, "driver_version") + ", " + text(env, "date_utc") + ")";
        List<String> warnings = new ArrayList<>();
        if (ourGpu == null || !ourGpu.equals(peerGpu)) {
            warnings.add("the two files come from different devices (" + (ourGpu == null ? "no GPU" : ourGpu) + " vs " + peerGpu
                    + "): the ratios compare machines, not implementations");
        }
        JsonArray results = peer.has("results") ? peer.getAsJsonArray("results") : new JsonArray();
        List<Row> rows = new ArrayList<>();
        List<String> unmatched = new ArrayList<>();
        for (JsonElement e : ours.getAsJsonArray("points")) {
            JsonObject p = e.getAsJsonObject();
            if (!"ok".equals(text(p, "status"))) continue;
            String op = text(p, "op");
            long b = p.get("B").getAsLong(), l = p.get("L").getAsLong(), d = p.get("D").getAsLong();
            double ms = p.get("median_ms").getAsDouble();
            Double gbps = number(p, "gb_per_s"), bytes = number(p, "min_bytes");
            List<Variant> variants = new ArrayList<>();
            Double paper = null;
            for (JsonElement re : results) {
                JsonObject r = re.getAsJsonObject();
                if (!op.equals(text(r, "op")) || !"ok".equals(text(r, "status")) || number(r, "ms") == null) continue;
                if (r.get("B").getAsLong() != b || r.get("L").getAsLong() != l) continue;
                if (!op.equals("copy") && r.has("D") && r.get("D").getAsLong() != d) continue;
                double peerMs = r.get("ms").getAsDouble();
                Double peerGbps = number(r, "gbps"), peerBytes = number(r, "min_bytes");
                boolean sameBytes = bytes == null || peerBytes == null || bytes.equals(peerBytes);
                double ratio = sameBytes || gbps == null || peerGbps == null ? ms / peerMs : peerGbps / gbps;
                variants.add(new Variant(text(r, "impl"), text(r, "variant"), peerMs, peerGbps, number(r, "tflops"), ratio));
                if (number(r, "sh2_kern_ms") != null) paper = number(r, "sh2_kern_ms");
            }
            if (variants.isEmpty()) {
                unmatched.add(op + " B=" + b + " L=" + l);
                continue;
            }
            // the fastest peer variant first: the one our ratio is highest against
            variants.sort(Comparator.comparingDouble(Variant::oursOverPeer).reversed());
            rows.add(new Row(op, b, l, d, ms, gbps, number(p, "tflops"), variants.getFirst(), variants, paper));
        }
        return new Comparison(ourLine, peerLine, warnings, rows, unmatched);
    }

    /** Header, warnings, then one row per point against the fastest peer variant. */
    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("ours: ").append(ours).append('\n').append("peer: ").append(peer).append('\n');
        for (String w : warnings) sb.append("WARNING: ").append(w).append('\n');
        sb.append(Table.render(table()));
        if (!unmatched.isEmpty()) sb.append("no peer point for: ").append(String.join(", ", unmatched)).append('\n');
        return sb.toString();
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("Ours: ").append(ours).append(".  \nPeer: ").append(peer).append(".\n\n");
        for (String w : warnings) sb.append("**Warning:** ").append(w).append("\n\n");
        sb.append(Table.markdown(table()));
        return sb.toString();
    }

    private List<List<String>> table() {
        List<List<String>> t = new ArrayList<>();
        t.add(List.of("op", "B", "L", "ours ms", "peer ms", "fastest peer", "ours/peer", "speed-up", "ours GB/s", "peer GB/s", "ours TFLOP/s",
                "peer TFLOP/s", "paper kernel ms", "ours/paper"));
        for (Row r : rows) {
            Variant v = r.best();
            t.add(List.of(r.op(), "" + r.batch(), "" + r.length(), Table.f("%.4f", r.oursMs()), Table.f("%.4f", v.ms()),
                    v.impl() == null ? String.valueOf(v.variant()) : v.impl(), Table.f("%.3f", v.oursOverPeer()), Table.num(r.speedup()) + "x",
                    Table.num(r.oursGbps()), Table.num(v.gbps()), Table.num(r.oursTflops()), Table.num(v.tflops()),
                    Table.f("%.3f", r.paperKernelMs()), r.paperKernelMs() == null ? "" : Table.f("%.3f", r.oursMs() / r.paperKernelMs())));
        }
        return t;
    }

    /**
     * The Hyena cores' points as issue-level records: {@code op}, {@code B}, {@code L}, {@code D}, {@code ms} (ours),
     * {@code peer_ms} and {@code peer_impl} (the fastest correct peer variant), {@code gbps}, {@code copy_gbps} (our
     * report's copy point), the fraction of it, and {@code gpu} (ours; the peer's beside it, to see that they agree).
     */
    static com.google.gson.JsonArray cores(JsonObject ours, JsonObject peer) {
        Comparison c = of(ours, peer);
        JsonObject machine = ours.has("machine") ? ours.getAsJsonObject("machine") : new JsonObject();
        JsonObject env = peer.has("environment") ? peer.getAsJsonObject("environment") : new JsonObject();
        Double copy = ours.has("copy_gbps") && !ours.get("copy_gbps").isJsonNull() ? ours.get("copy_gbps").getAsDouble() : null;
        com.google.gson.JsonArray out = new com.google.gson.JsonArray();
        for (Row r : c.rows()) {
            if (!r.op().startsWith("hyena_")) continue;
            JsonObject o = new JsonObject();
            o.addProperty("op", r.op());
            o.addProperty("B", r.batch());
            o.addProperty("L", r.length());
            o.addProperty("D", r.width());
            o.addProperty("ms", r.oursMs());
            o.addProperty("peer_ms", r.best().ms());
            o.addProperty("peer_impl", r.best().impl());
            o.addProperty("gbps", r.oursGbps());
            o.addProperty("copy_gbps", copy);
            o.addProperty("copy_fraction", copy == null || r.oursGbps() == null ? null : r.oursGbps() / copy);
            o.addProperty("gpu", text(machine, "gpu"));
            o.addProperty("peer_gpu", text(env, "gpu"));
            out.add(o);
        }
        return out;
    }

    JsonObject json() {
        JsonObject o = new JsonObject();
        o.addProperty("ours", ours);
        o.addProperty("peer", peer);
        JsonArray w = new JsonArray();
        warnings.forEach(w::add);
        o.add("warnings", w);
        o.addProperty("ratio", "ours_over_peer: our median ms / the peer's (below 1: ours is faster); speedup = 1 / ours_over_peer");
        JsonArray a = new JsonArray();
        for (Row r : rows) {
            JsonObject j = new JsonObject();
            j.addProperty("op", r.op());
            j.addProperty("B", r.batch());
            j.addProperty("L", r.length());
            j.addProperty("D", r.width());
            j.addProperty("ours_ms", r.oursMs());
            j.addProperty("ours_gb_per_s", r.oursGbps());
            j.addProperty("ours_tflops", r.oursTflops());
            j.addProperty("peer_best_impl", r.best().impl());
            j.addProperty("peer_best_ms", r.best().ms());
            j.addProperty("ours_over_peer", r.best().oursOverPeer());
            j.addProperty("speedup", r.speedup());
            j.addProperty("paper_kernel_ms", r.paperKernelMs());
            JsonArray vs = new JsonArray();
            for (Variant v : r.variants()) {
                JsonObject x = new JsonObject();
                x.addProperty("impl", v.impl());
                x.addProperty("variant", v.variant());
                x.addProperty("ms", v.ms());
                x.addProperty("gbps", v.gbps());
                x.addProperty("tflops", v.tflops());
                x.addProperty("ours_over_peer", v.oursOverPeer());
                vs.add(x);
            }
            j.add("peer_variants", vs);
            a.add(j);
        }
        o.add("rows", a);
        JsonArray u = new JsonArray();
        unmatched.forEach(u::add);
        o.add("unmatched", u);
        return o;
    }

    private static String text(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() ? null : e.isJsonPrimitive() ? e.getAsString() : e.toString();
    }

    private static Double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e == null || e.isJsonNull() || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() ? null : e.getAsDouble();
    }
}
