package hyenac.compiler.artifact;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import hyenac.ir.DType;
import hyenac.ir.Origin;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Arg;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Kernel;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Site;
import hyenac.ir.plan.Size;
import hyenac.ir.plan.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A kernel plan as JSON, as a .hyx stores it: every field, in a fixed order, so the same plan writes the same bytes
 * and reads back equal. Size formulas are numbers, symbols ({@code "B"}, {@code "L"}, {@code "C"}) or arrays
 * {@code ["mul", a, b]}, {@code ["add", a, b]}, {@code ["ceildiv", a, n]}, {@code ["fft", a]}.
 */
public final class PlanJson {
    private PlanJson() {}

    public static String write(Plan p) {
        JsonObject o = new JsonObject();
        o.addProperty("phase", p.phase().spelling());
        o.add("given", ints(p.given().stream().sorted().toList()));
        o.add("wanted", ints(p.wanted()));
        JsonArray buffers = new JsonArray();
        for (Buffer b : p.buffers()) {
            JsonObject j = new JsonObject();
            j.addProperty("kind", b.kind().name().toLowerCase(Locale.ROOT));
            j.addProperty("name", b.name());
            j.addProperty("element", b.element().spelling());
            j.add("elements", size(b.elements()));
            j.addProperty("slot", b.slot());
            buffers.add(j);
        }
        o.add("buffers", buffers);
        JsonArray slots = new JsonArray();
        p.slots().forEach(s -> slots.add(size(s)));
        o.add("slots", slots);
        JsonArray kernels = new JsonArray();
        for (Kernel k : p.kernels()) {
            JsonObject j = new JsonObject();
            j.addProperty("entry", k.entry());
            j.addProperty("name", k.name());
            j.addProperty("dialect", k.dialect());
            JsonArray params = new JsonArray();
            for (Kernel.Param q : k.params()) {
                JsonObject pj = new JsonObject();
                pj.addProperty("name", q.name());
                pj.addProperty("type", q.type().name().toLowerCase(Locale.ROOT));
                pj.add("element", q.element() == null ? JsonNull.INSTANCE : new JsonPrimitive(q.element().spelling()));
                pj.addProperty("readOnly", q.readOnly());
                params.add(pj);
            }
            j.add("params", params);
            JsonArray grid = new JsonArray();
            k.grid().forEach(s -> grid.add(size(s)));
            j.add("grid", grid);
            j.add("block", ints(k.block()));
            j.addProperty("code", k.code());
            kernels.add(j);
        }
        o.add("kernels", kernels);
        JsonArray steps = new JsonArray();
        for (Step s : p.steps()) steps.add(step(s));
        o.add("steps", steps);
        JsonObject constants = new JsonObject();
        p.constants().forEach((name, values) -> {
            JsonArray a = new JsonArray();
            for (float f : values) a.add(f);
            constants.add(name, a);
        });
        o.add("constants", constants);
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o) + "\n";
    }

    /** @throws IllegalArgumentException naming what is malformed */
    public static Plan read(String json) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            Phase phase = Phase.valueOf(o.get("phase").getAsString().toUpperCase(Locale.ROOT));
            List<Buffer> buffers = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("buffers")) {
                JsonObject j = e.getAsJsonObject();
                buffers.add(new Buffer(buffers.size(), Buffer.Kind.valueOf(j.get("kind").getAsString().toUpperCase(Locale.ROOT)), j.get("name").getAsString(),
                        DType.of(j.get("element").getAsString()), size(j.get("elements")), j.get("slot").getAsInt()));
            }
            List<Size> slots = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("slots")) slots.add(size(e));
            List<Kernel> kernels = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("kernels")) {
                JsonObject j = e.getAsJsonObject();
                List<Kernel.Param> params = new ArrayList<>();
                for (JsonElement pe : j.getAsJsonArray("params")) {
                    JsonObject pj = pe.getAsJsonObject();
                    params.add(new Kernel.Param(pj.get("name").getAsString(), Kernel.Param.Type.valueOf(pj.get("type").getAsString().toUpperCase(Locale.ROOT)),
                            absent(pj, "element") ? null : DType.of(pj.get("element").getAsString()), pj.get("readOnly").getAsBoolean()));
                }
                List<Size> grid = new ArrayList<>();
                for (JsonElement g : j.getAsJsonArray("grid")) grid.add(size(g));
                kernels.add(new Kernel(j.get("entry").getAsString(), j.get("name").getAsString(), j.get("dialect").getAsString(), j.get("code").getAsString(),
                        params, grid, intList(j.getAsJsonArray("block"))));
            }
            List<Step> steps = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("steps")) steps.add(step(e.getAsJsonObject()));
            Map<String, float[]> constants = new LinkedHashMap<>();
            for (var e : o.getAsJsonObject("constants").entrySet()) {
                JsonArray a = e.getValue().getAsJsonArray();
                float[] f = new float[a.size()];
                for (int i = 0; i < f.length; i++) f[i] = a.get(i).getAsFloat();
                constants.put(e.getKey(), f);
            }
            return new Plan(phase, new LinkedHashSet<>(intList(o.getAsJsonArray("given"))), intList(o.getAsJsonArray("wanted")), buffers, slots, kernels,
                    steps, constants);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a kernel plan: " + e.getMessage(), e);
        }
    }

    private static JsonObject step(Step s) {
        JsonObject j = new JsonObject();
        switch (s) {
            case Step.Launch l -> {
                j.addProperty("op", "launch");
                j.addProperty("kernel", l.kernel());
                JsonArray args = new JsonArray();
                for (Arg a : l.args()) {
                    JsonObject aj = new JsonObject();
                    switch (a) {
                        case Arg.Buf b -> aj.addProperty("buffer", b.buffer());
                        case Arg.Int i -> aj.add("int", size(i.value()));
                        case Arg.Real r -> aj.addProperty("real", r.value());
                    }
                    args.add(aj);
                }
                j.add("args", args);
                j.addProperty("once", l.once());
            }
            case Step.Gemm g -> {
                j.addProperty("op", "gemm");
                j.add("m", size(g.m()));
                j.addProperty("n", g.n());
                j.addProperty("k", g.k());
                j.addProperty("x", g.x());
                j.addProperty("w", g.w());
                j.addProperty("bias", g.bias());
                j.addProperty("y", g.y());
            }
            case Step.Fft f -> {
                j.addProperty("op", f.forward() ? "fft" : "ifft");
                j.addProperty("in", f.in());
                j.addProperty("out", f.out());
                j.add("n", size(f.n()));
                j.add("batch", size(f.batch()));
                j.addProperty("once", f.once());
            }
            case Step.Copy c -> {
                j.addProperty("op", "copy");
                j.addProperty("dst", c.dst());
                j.add("dstOffset", size(c.dstOffset()));
                j.add("dstStride", size(c.dstStride()));
                j.addProperty("src", c.src());
                j.add("srcOffset", size(c.srcOffset()));
                j.add("srcStride", size(c.srcStride()));
                j.add("bytes", size(c.bytes()));
                j.add("count", size(c.count()));
            }
        }
        Site site = s.site();
        JsonObject sj = new JsonObject();
        sj.add("nodes", ints(site.nodes()));
        sj.addProperty("ops", site.ops());
        sj.addProperty("path", site.path());
        JsonArray origins = new JsonArray();
        for (Origin or : site.origins()) {
            JsonArray oa = new JsonArray();
            oa.add(or.file());
            oa.add(or.line());
            oa.add(or.column());
            oa.add(or.endLine());
            oa.add(or.endColumn());
            origins.add(oa);
        }
        sj.add("origins", origins);
        sj.add("algorithm", site.algorithm() == null ? JsonNull.INSTANCE : new JsonPrimitive(site.algorithm().spelling()));
        j.add("site", sj);
        return j;
    }

    private static Step step(JsonObject j) {
        JsonObject sj = j.getAsJsonObject("site");
        List<Origin> origins = new ArrayList<>();
        for (JsonElement e : sj.getAsJsonArray("origins")) {
            JsonArray a = e.getAsJsonArray();
            origins.add(new Origin(a.get(0).getAsString(), a.get(1).getAsInt(), a.get(2).getAsInt(), a.get(3).getAsInt(), a.get(4).getAsInt()));
        }
        Site site = new Site(intList(sj.getAsJsonArray("nodes")), sj.get("ops").getAsString(), sj.get("path").getAsString(), origins,
                absent(sj, "algorithm") ? null : Algorithm.valueOf(sj.get("algorithm").getAsString().toUpperCase(Locale.ROOT)));
        String op = j.get("op").getAsString();
        return switch (op) {
            case "launch" -> {
                List<Arg> args = new ArrayList<>();
                for (JsonElement e : j.getAsJsonArray("args")) {
                    JsonObject a = e.getAsJsonObject();
                    if (a.has("buffer")) args.add(new Arg.Buf(a.get("buffer").getAsInt()));
                    else if (a.has("int")) args.add(new Arg.Int(size(a.get("int"))));
                    else args.add(new Arg.Real(a.get("real").getAsDouble()));
                }
                yield new Step.Launch(j.get("kernel").getAsString(), args, j.get("once").getAsBoolean(), site);
            }
            case "gemm" -> new Step.Gemm(size(j.get("m")), j.get("n").getAsLong(), j.get("k").getAsLong(), j.get("x").getAsInt(), j.get("w").getAsInt(),
                    j.get("bias").getAsInt(), j.get("y").getAsInt(), site);
            case "fft", "ifft" -> new Step.Fft(j.get("in").getAsInt(), j.get("out").getAsInt(), size(j.get("n")), size(j.get("batch")), op.equals("fft"),
                    j.get("once").getAsBoolean(), site);
            case "copy" -> new Step.Copy(j.get("dst").getAsInt(), size(j.get("dstOffset")), size(j.get("dstStride")), j.get("src").getAsInt(),
                    size(j.get("srcOffset")), size(j.get("srcStride")), size(j.get("bytes")), size(j.get("count")), site);
            default -> throw new IllegalArgumentException("unknown step `" + op + "`");
        };
    }

    static JsonElement size(Size s) {
        return switch (s) {
            case Size.Const c -> new JsonPrimitive(c.value());
            case Size.Sym y -> new JsonPrimitive(y.name());
            case Size.Mul m -> tuple("mul", size(m.a()), size(m.b()));
            case Size.Add a -> tuple("add", size(a.a()), size(a.b()));
            case Size.CeilDiv c -> tuple("ceildiv", size(c.a()), new JsonPrimitive(c.by()));
            case Size.FftLength f -> tuple("fft", size(f.length()));
        };
    }

    static Size size(JsonElement e) {
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            return p.isNumber() ? new Size.Const(p.getAsLong()) : new Size.Sym(p.getAsString());
        }
        JsonArray a = e.getAsJsonArray();
        return switch (a.get(0).getAsString()) {
            case "mul" -> new Size.Mul(size(a.get(1)), size(a.get(2)));
            case "add" -> new Size.Add(size(a.get(1)), size(a.get(2)));
            case "ceildiv" -> new Size.CeilDiv(size(a.get(1)), a.get(2).getAsLong());
            case "fft" -> new Size.FftLength(size(a.get(1)));
            default -> throw new IllegalArgumentException("unknown size formula `" + a.get(0).getAsString() + "`");
        };
    }

    /** Gson leaves nulls out when it writes: an absent field and a null one both mean "none". */
    private static boolean absent(JsonObject o, String key) { return !o.has(key) || o.get(key).isJsonNull(); }

    private static JsonArray tuple(String op, JsonElement... parts) {
        JsonArray a = new JsonArray();
        a.add(op);
        for (JsonElement p : parts) a.add(p);
        return a;
    }

    private static JsonArray ints(List<Integer> xs) {
        JsonArray a = new JsonArray();
        xs.forEach(a::add);
        return a;
    }

    private static List<Integer> intList(JsonArray a) {
        List<Integer> out = new ArrayList<>();
        for (JsonElement e : a) out.add(e.getAsInt());
        return out;
    }
}
