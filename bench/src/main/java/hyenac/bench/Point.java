package hyenac.bench;

import com.google.gson.JsonObject;

/**
 * One timed point: an operator at [B, L, D], a model's forward pass or its decode step. {@code minBytes} and
 * {@code flops} are per repetition (null where not meaningful); {@code tokens} is how many tokens a repetition
 * handles. A point that could not run has {@code samples} null and says why in {@code status}.
 */
record Point(String op, String variant, long batch, long length, long width, Samples samples, Long minBytes, Double flops, long tokens,
             String note, String status) {

    static Point failed(String op, String variant, long batch, long length, long width, String status) {
        return new Point(op, variant, batch, length, width, null, null, null, 0, null, status);
    }

    boolean ok() { return samples != null; }

    Double gbPerS() { return ok() && minBytes != null ? minBytes / (samples.median() * 1e-3) / 1e9 : null; }

    Double tflops() { return ok() && flops != null ? flops / (samples.median() * 1e-3) / 1e12 : null; }

    Double tokensPerS() { return ok() && tokens > 0 ? tokens / (samples.median() * 1e-3) : null; }

    /** A decode point's tokens per second for one of its B sequences (a step makes one token for each); null for other points. */
    Double tokensPerSPerSequence() { return ok() && op.equals("decode") ? tokensPerS() / batch : null; }

    JsonObject json(Double copyGbps) {
        JsonObject o = new JsonObject();
        o.addProperty("op", op);
        o.addProperty("variant", variant);
        o.addProperty("B", batch);
        o.addProperty("L", length);
        o.addProperty("D", width);
        o.addProperty("status", ok() ? "ok" : status);
        if (ok()) {
            o.addProperty("median_ms", samples.median());
            o.addProperty("p10_ms", samples.percentile(10));
            o.addProperty("p90_ms", samples.percentile(90));
            o.addProperty("min_ms", samples.min());
            o.addProperty("mean_ms", samples.mean());
            o.addProperty("reps", samples.count());
            o.addProperty("tokens_per_s", tokensPerS());
            if (tokensPerSPerSequence() != null) o.addProperty("tokens_per_s_per_sequence", tokensPerSPerSequence());
        }
        o.addProperty("min_bytes", minBytes);
        o.addProperty("flops", flops);
        if (ok()) {
            o.addProperty("gb_per_s", gbPerS());
            o.addProperty("pct_copy", gbPerS() != null && copyGbps != null ? 100 * gbPerS() / copyGbps : null);
            o.addProperty("tflops", tflops());
        }
        if (note != null) o.addProperty("note", note);
        return o;
    }
}
