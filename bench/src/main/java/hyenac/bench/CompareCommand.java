package hyenac.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import hyenac.runtime.text.JsonErrors;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "compare", header = "Our/peer time ratios from benchmark JSON files.",
        mixinStandardHelpOptions = true, description = "Our/peer ratios per operator point: the JSON of `hyenac bench --json` (one file or several, "
        + "their points together) beside the JSON of bench/peer/peer_baselines.py --json (the last file), matched by operator, "
        + "B, L and D, against the fastest peer variant.")
final class CompareCommand implements Callable<Integer> {

    @Parameters(arity = "2..*", paramLabel = "OURS.json... PEER.json") List<Path> files;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the comparison as JSON") Path json;

    @Option(names = "--markdown", paramLabel = "FILE", description = "also write the table as Markdown (for a note)") Path markdown;

    @Option(names = "--cores", paramLabel = "FILE", description = "also write the Hyena cores' points as a JSON list of records "
            + "(op, L, ms, peer_ms, copy_gbps, gpu, ...), e.g. bench/results/h100-conv-cores.json") Path cores;

    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        Path peer = files.getLast();
        JsonObject o = null;
        for (Path f : files.subList(0, files.size() - 1)) {
            JsonObject one = read(f, err);
            if (one == null) return 1;
            o = o == null ? one : merged(o, one);
        }
        int code = print(o, peer, markdown, spec.commandLine().getOut(), err);
        if (code == 0 && json != null) Files.writeString(json, BenchCommand.gson(Comparison.of(o, read(peer, err)).json()) + "\n");
        if (code == 0 && cores != null) {
            Files.writeString(cores, new com.google.gson.GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create()
                    .toJson(Comparison.cores(o, read(peer, err))) + "\n");
        }
        return code;
    }

    /** Prints the comparison of our report with the peer file (and writes Markdown); 1 when nothing matches or a file is bad. */
    static int print(JsonObject ours, Path peerFile, Path markdown, PrintWriter out, PrintWriter err) throws IOException {
        JsonObject peer = read(peerFile, err);
        if (peer == null) return 1;
        if (!ours.has("points") || !peer.has("results")) {
            err.println("hyenac bench compare: expected hyenac bench's JSON (\"points\") and peer_baselines.py's (\"results\")");
            return 1;
        }
        Comparison c = Comparison.of(ours, peer);
        out.print(c.text());
        if (markdown != null) Files.writeString(markdown, c.markdown());
        if (c.rows().isEmpty()) {
            err.println("hyenac bench compare: no point of ours is in " + peerFile + " (same operator, B, L and D)");
            return 1;
        }
        return 0;
    }

    /** {@code first} with the points of {@code more} after its own (the machine and settings are the first's). */
    static JsonObject merged(JsonObject first, JsonObject more) {
        JsonObject m = first.deepCopy();
        if (m.has("points") && more.has("points")) m.getAsJsonArray("points").addAll(more.getAsJsonArray("points"));
        return m;
    }

    static JsonObject read(Path file, PrintWriter err) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            err.println("hyenac bench compare: cannot read " + file + ": " + (e instanceof java.nio.file.NoSuchFileException ? "it does not exist" : e.getMessage()));
            return null;
        } catch (RuntimeException e) {
            err.println("hyenac bench compare: " + file + " is not benchmark JSON: " + JsonErrors.reason(e));
            return null;
        }
    }
}
