package hyenac.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * FASTA records for scoring and embedding: a line {@code >NAME description} starts a record (its name is the first
 * word), the sequence lines after it are concatenated with whitespace dropped, and blank lines are ignored. Bases are
 * kept as written (case included: the byte tokenizer tells {@code A} from {@code a}). Plain or gzip. Anything else is
 * a {@link BadFastaException} naming the file, the line and the fix.
 */
final class Fasta {
    /** One record: its name, its sequence's bytes, and the line of its header. */
    record Record(String name, byte[] sequence, int line) {}

    /** A file that is not FASTA as described above; the message starts with the file and line. */
    static final class BadFastaException extends RuntimeException {
        BadFastaException(String message) { super(message); }
    }

    private Fasta() {}

    static List<Record> read(Path file) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new BadFastaException(file + ": is a directory, not a FASTA file");
            bytes = Files.readAllBytes(file);
            if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
                try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
                    bytes = in.readAllBytes();
                }
            }
        } catch (NoSuchFileException e) {
            throw new BadFastaException(file + ": no such file");
        } catch (ZipException e) {
            throw new BadFastaException(file + ": not a valid gzip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new BadFastaException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), bytes);
    }

    /** The records of {@code bytes}, read from {@code file} (for messages). */
    static List<Record> parse(String file, byte[] bytes) {
        List<Record> records = new ArrayList<>();
        String name = null;
        int headerLine = 0;
        ByteArrayOutputStream sequence = new ByteArrayOutputStream();
        int line = 0;
        for (int start = 0; start < bytes.length; ) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') end++;
            line++;
            int first = start;
            while (first < end && blank(bytes[first])) first++;
            if (first < end && bytes[first] == '>') {
                if (name != null) records.add(finish(file, name, headerLine, sequence));
                name = header(file, line, bytes, first + 1, end);
                headerLine = line;
            } else if (first < end) {
                if (name == null) {
                    throw new BadFastaException(file + ":" + line + ": sequence data before the first header; a FASTA record starts with a line"
                            + " `>NAME`, then its sequence lines");
                }
                for (int i = first; i < end; i++) {
                    int b = bytes[i] & 0xff;
                    if (blank(bytes[i])) continue;
                    if (b < 0x21 || b > 0x7e) {
                        throw new BadFastaException(String.format(Locale.ROOT, "%s:%d:%d: byte 0x%02x is not a sequence character; FASTA sequences"
                                + " are letters (A, C, G, T, N, …) on the lines after a `>NAME` header", file, line, i - start + 1, b));
                    }
                    sequence.write(b);
                }
            }
            start = end + 1;
        }
        if (name != null) records.add(finish(file, name, headerLine, sequence));
        if (records.isEmpty()) throw new BadFastaException(file + ": no FASTA records; a record is a line `>NAME` followed by its sequence lines");
        return records;
    }

    private static boolean blank(byte b) { return b == ' ' || b == '\t' || b == '\r'; }

    /** The name of a header line: its first word after '>'. */
    private static String header(String file, int line, byte[] bytes, int from, int end) {
        int to = from;
        while (to < end && !blank(bytes[to])) to++;
        if (to == from) throw new BadFastaException(file + ":" + line + ": a header line needs a name right after `>` (e.g. `>seq1`)");
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }

    private static Record finish(String file, String name, int headerLine, ByteArrayOutputStream sequence) {
        if (sequence.size() == 0) {
            throw new BadFastaException(file + ":" + headerLine + ": record `" + name + "` has no sequence; give it sequence lines after its header, or"
                    + " remove it");
        }
        Record r = new Record(name, sequence.toByteArray(), headerLine);
        sequence.reset();
        return r;
    }
}
