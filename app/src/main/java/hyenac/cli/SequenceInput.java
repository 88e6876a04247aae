package hyenac.cli;

import hyenac.runtime.text.ByteTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The sequences {@code score} and {@code embed} read: FASTA records, or texts on the command line, as byte tokens. */
final class SequenceInput {
    @ArgGroup(exclusive = true, multiplicity = "1") Source source;

    static final class Source {
        @Option(names = "--fasta", paramLabel = "FILE", description = "FASTA records (plain or .gz); each record's name is its header's first word")
        Path fasta;

        @Option(names = "--text", paramLabel = "TEXT", description = "a sequence given here; repeat for more (named text-1, text-2, …)")
        List<String> texts;
    }

    /** One sequence: its name, its tokens, and where it came from for messages ("file.fa:12", "--text 2"). */
    record Sequence(String name, long[] tokens, String where) {}

    /**
     * The sequences, each checked to have at least {@code minTokens} tokens (why: {@code because}), all within the
     * model's vocabulary; null after saying what is wrong, where and how to fix it on {@code err}.
     */
    List<Sequence> read(String command, long vocab, String modelName, int minTokens, String because, PrintWriter err) {
        List<Sequence> sequences = new ArrayList<>();
        if (source.fasta != null) {
            List<Fasta.Record> records;
            try {
                records = Fasta.read(source.fasta);
            } catch (Fasta.BadFastaException e) {
                err.println(command + ": " + e.getMessage());
                return null;
            }
            for (Fasta.Record r : records) {
                long[] tokens = new long[r.sequence().length];
                for (int i = 0; i < tokens.length; i++) tokens[i] = r.sequence()[i] & 0xff;
                sequences.add(new Sequence(r.name(), tokens, source.fasta + ":" + r.line() + ": record `" + r.name() + "`"));
            }
        } else {
            for (int i = 0; i < source.texts.size(); i++) {
                sequences.add(new Sequence("text-" + (i + 1), ByteTokenizer.encode(source.texts.get(i)), "--text " + (i + 1)));
            }
        }
        for (Sequence s : sequences) {
            if (s.tokens().length < minTokens) {
                err.printf(Locale.ROOT, "%s: %s has %d token%s; %s needs at least %d (%s)%n", command, s.where(), s.tokens().length,
                        s.tokens().length == 1 ? "" : "s", command, minTokens, because);
                return null;
            }
            for (int i = 0; i < s.tokens().length; i++) {
                long t = s.tokens()[i];
                if (t >= vocab) {
                    err.printf(Locale.ROOT, "%s: %s: byte 0x%02x (at position %d) is token %d, outside %s's vocabulary of %d tokens; the byte"
                            + " tokenizer needs vocab ≥ 256 (set `vocab = 256` or more in the spec), or keep to bytes below %d%n",
                            command, s.where(), t, i, t, modelName, vocab, vocab);
                    return null;
                }
            }
        }
        return sequences;
    }

    /** The inputs a command reads, for refusing an output that is one of them. */
    Map<String, Path> files() {
        Map<String, Path> files = new LinkedHashMap<>();
        if (source.fasta != null) files.put("the FASTA input", source.fasta);
        return files;
    }

    /**
     * Batches of at most {@code batch} sequences of one length, as indices into {@code sequences}: lengths in the order
     * they first appear, sequences in input order within each.
     */
    static List<int[]> batches(List<Sequence> sequences, int batch) {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < sequences.size(); i++) byLength.computeIfAbsent(sequences.get(i).tokens().length, k -> new ArrayList<>()).add(i);
        List<int[]> out = new ArrayList<>();
        for (List<Integer> same : byLength.values()) {
            for (int from = 0; from < same.size(); from += batch) {
                out.add(same.subList(from, Math.min(same.size(), from + batch)).stream().mapToInt(Integer::intValue).toArray());
            }
        }
        return out;
    }
}
