package hyenac.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.compiler.Compilation;
import hyenac.dsl.check.Checker;
import hyenac.dsl.check.Elaborated;
import hyenac.ir.Graph;
import hyenac.ir.Weight;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results file of scripts/bench-train.sh: for each design trained (a spec and the run directory `hyenac train` wrote)
 * its parameters, steps, time, final test accuracy, the time it first reached 95 %, and tokens/s, with the machine and
 * the shared settings; prints the README's table.
 * Usage: TrainReport OUT.json RUNS_DIR "SETTINGS" NAME=SPEC... where RUNS_DIR/NAME holds the run, RUNS_DIR/NAME.wall the
 * seconds its process took, RUNS_DIR/NAME.load the load average before and after it, and SETTINGS the options every run
 * shared.
 */
public final class TrainReport {
    private TrainReport() {}

    /** The accuracy a design must reach to count as having solved the task. */
    static final double SOLVED = 0.95;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]), runs = Path.of(args[1]);
        String settings = args[2];
        Map<String, Path> designs = new LinkedHashMap<>();
        for (int i = 3; i < args.length; i++) designs.put(args[i].substring(0, args[i].indexOf('=')), Path.of(args[i].substring(args[i].indexOf('=') + 1)));

        JsonArray results = new JsonArray();
        List<String> table = new ArrayList<>();
        table.add("| design | layers | parameters | steps | minutes | test accuracy | 95 % after | tokens/s |");
        table.add("|---|---|---|---|---|---|---|---|");
        for (var e : designs.entrySet()) {
            JsonObject r = design(e.getKey(), e.getValue(), runs);
            results.add(r);
            table.add(String.format(Locale.ROOT, "| %s | `%s` | %,d | %d | %.1f | %.1f %% | %s | %,.0f |", e.getKey(), r.get("layers").getAsString(),
                    r.get("parameters").getAsLong(), r.get("steps").getAsLong(), r.get("train_seconds").getAsDouble() / 60,
                    100 * r.get("final_accuracy").getAsDouble(),
                    r.get("seconds_to_95").isJsonNull() ? "not reached" : String.format(Locale.ROOT, "%.1f min", r.get("seconds_to_95").getAsDouble() / 60),
                    r.get("tokens_per_s").getAsDouble()));
        }
        JsonObject result = new JsonObject();
        result.addProperty("benchmark", "hyenac train --task mqar on the CPU: designs at one time budget, accuracy on a fresh test set");
        result.add("machine", FrontendBench.machine());
        result.addProperty("settings", settings);
        result.add("designs", results);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(result) + "\n");
        table.forEach(System.out::println);
    }

    private static JsonObject design(String name, Path spec, Path runs) throws Exception {
        Checker.Result checked = Checker.check(List.of(spec));
        if (!checked.ok()) throw new IllegalStateException(spec + " does not check: " + checked.diagnostics().all());
        Elaborated.Model model = checked.models().getFirst();
        Graph training = Compilation.lowerForTraining(model);
        long parameters = training.weights().values().stream().mapToLong(Weight::elements).sum();
        JsonObject r = new JsonObject();
        r.addProperty("design", name);
        r.addProperty("spec", spec.toString());
        r.addProperty("model", model.name());
        r.addProperty("layers", layers(spec));
        r.addProperty("width", model.width());
        r.addProperty("parameters", parameters);
        long steps = 0;
        double tokensPerSecond = 0, trainSeconds = 0, accuracy = Double.NaN, firstSolved = Double.NaN;
        JsonArray evaluations = new JsonArray();
        for (String line : Files.readAllLines(runs.resolve(name).resolve("log.jsonl"))) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            trainSeconds = Math.max(trainSeconds, o.get("seconds").getAsDouble());
            if (o.has("loss")) {
                steps = o.get("step").getAsLong();
                tokensPerSecond = o.get("tokens_per_s").getAsDouble();
            }
            if (o.has("accuracy")) {
                accuracy = o.get("accuracy").getAsDouble();
                if (accuracy >= SOLVED && Double.isNaN(firstSolved)) firstSolved = o.get("seconds").getAsDouble();
                JsonObject ev = new JsonObject();
                ev.addProperty("step", o.get("step").getAsLong());
                ev.addProperty("seconds", o.get("seconds").getAsDouble());
                ev.addProperty("accuracy", accuracy);
                evaluations.add(ev);
            }
        }
        r.addProperty("steps", steps);
        r.addProperty("train_seconds", trainSeconds);
        r.addProperty("wall_seconds", Double.parseDouble(Files.readString(runs.resolve(name + ".wall")).trim()));
        Path load = runs.resolve(name + ".load");
        if (Files.exists(load)) { // the 1-minute load average before and after the run: the machine's other work
            List<String> l = Files.readAllLines(load);
            r.addProperty("load_average_before", Double.parseDouble(l.get(0).trim()));
            if (l.size() > 1) r.addProperty("load_average_after", Double.parseDouble(l.get(1).trim()));
        }
        r.addProperty("final_accuracy", accuracy);
        if (Double.isNaN(firstSolved)) r.add("seconds_to_95", com.google.gson.JsonNull.INSTANCE);
        else r.addProperty("seconds_to_95", firstSolved);
        r.addProperty("tokens_per_s", tokensPerSecond);
        r.add("evaluations", evaluations);
        return r;
    }

    /** The spec's `layers = …` as written. */
    private static String layers(Path spec) throws Exception {
        return Files.readAllLines(spec).stream().map(String::trim).filter(l -> l.startsWith("layers = ")).map(l -> l.substring(9)).findFirst()
                .orElse("?");
    }
}
