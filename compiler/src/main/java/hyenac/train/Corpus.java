package hyenac.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;

/**
 * A byte-level corpus: a text file (its bytes are the tokens) or FASTA (each record's sequence, header and line breaks
 * dropped, bases kept as written, soft-masked lowercase included), plain or gzip. The file is streamed once into a
 * packed token file (records separated by the end-of-sequence token 0), which is memory-mapped: a corpus larger than
 * memory works. Sequences are consecutive windows of seqLen + 1 tokens; every twentieth (or the last, for fewer than 20)
 * is held out for validation; the others are visited in a fresh seeded shuffle each epoch.
 */
public final class Corpus implements TrainingData {
    public static final int SEPARATOR = 0;
    private static final int HELD_OUT_EVERY = 20;
    /** Held-out sequences evaluated at most: evaluation stays cheap however large the corpus. */
    private static final int MAX_EVAL_SEQUENCES = 64;

    private final Path file;
    private final boolean fasta;
    private final MemorySegment tokens;
    private final long count;
    private final int seqLen;
    private final long seed;
    private final long[] train, heldOut;
    private long epoch = -1;
    private int[] order;

    private Corpus(Path file, boolean fasta, MemorySegment tokens, long count, int seqLen, long seed) {
        this.file = file;
        this.fasta = fasta;
        this.tokens = tokens;
        this.count = count;
        this.seqLen = seqLen;
        this.seed = seed;
        long windows = (count - 1) / seqLen;
        List<Long> t = new ArrayList<>(), h = new ArrayList<>();
        for (long w = 0; w < windows; w++) {
            boolean hold = windows >= HELD_OUT_EVERY ? w % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 : w == windows - 1;
            (hold ? h : t).add(w);
        }
        this.train = t.stream().mapToLong(Long::longValue).toArray();
        this.heldOut = h.stream().mapToLong(Long::longValue).toArray();
    }

    /** Opens and packs {@code file}; a missing, empty or too short corpus is a {@link TrainException} naming the fix. */
    public static Corpus open(Path file, int seqLen, long seed) {
        if (!Files.isRegularFile(file)) throw new TrainException(file + ": " + (Files.exists(file) ? "not a file" : "no such file"));
        try {
            boolean gz = gzip(file);
            boolean fasta = looksLikeFasta(file, gz);
            Path packed = Files.createTempFile("hyenac-corpus", ".tokens");
            packed.toFile().deleteOnExit();
            long count;
            try (InputStream in = open(file, gz); OutputStream out = new BufferedOutputStream(Files.newOutputStream(packed), 1 << 16)) {
                count = fasta ? packFasta(in, out) : in.transferTo(out);
            }
            String kind = fasta ? "FASTA" : "text";
            if (count == 0) throw new TrainException(file + ": the " + kind + " corpus is empty" + (fasta ? " (no sequence lines)" : ""));
            long needed = 2L * seqLen + 1;
            if (count < needed) {
                throw new TrainException(String.format(Locale.ROOT, "%s: the corpus has %,d tokens, too few for two sequences of --seq-len %d (one held out)"
                        + " (%,d tokens); use --seq-len %d or less, or more data", file, count, seqLen, needed, Math.max(1, (count - 1) / 2)));
            }
            MemorySegment tokens;
            try (FileChannel ch = FileChannel.open(packed, StandardOpenOption.READ)) {
                tokens = ch.map(FileChannel.MapMode.READ_ONLY, 0, count, Arena.ofAuto());
            }
            return new Corpus(file, fasta, tokens, count, seqLen, seed);
        } catch (NoSuchFileException e) {
            throw new TrainException(file + ": no such file");
        } catch (java.util.zip.ZipException e) {
            throw new TrainException(file + ": not a valid gzip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new TrainException(file + ": cannot read: " + e.getMessage());
        }
    }

    public long tokens() { return count; }

    public int trainSequences() { return train.length; }

    public int heldOutSequences() { return heldOut.length; }

    @Override public Batch train(long step, int batch, int length) {
        long[][] seqs = new long[batch][];
        float[][] masks = new float[batch][length];
        for (int b = 0; b < batch; b++) {
            long example = (step - 1) * batch + b;
            seqs[b] = window(train[shuffled(example / train.length, (int) (example % train.length))], length);
            java.util.Arrays.fill(masks[b], 1);
        }
        return Batch.ofSequences(seqs, masks);
    }

    @Override public List<Batch> evaluation(int batch, int length) {
        List<Batch> out = new ArrayList<>();
        int n = Math.min(heldOut.length, MAX_EVAL_SEQUENCES);
        for (int from = 0; from < n; from += batch) {
            int size = Math.min(batch, n - from);
            long[][] seqs = new long[size][];
            float[][] masks = new float[size][length];
            for (int b = 0; b < size; b++) {
                seqs[b] = window(heldOut[from + b], length);
                java.util.Arrays.fill(masks[b], 1);
            }
            out.add(Batch.ofSequences(seqs, masks));
        }
        return out;
    }

    @Override public boolean reportsAccuracy() { return false; }

    @Override public String describe() {
        return String.format(Locale.ROOT, "%s (%s, %,d tokens, %,d sequences + %,d held out)", file.getFileName(), fasta ? "FASTA" : "text", count,
                train.length, heldOut.length);
    }

    private long[] window(long w, int length) {
        if (length != seqLen) throw new IllegalArgumentException("the corpus was cut for --seq-len " + seqLen);
        long[] seq = new long[length + 1];
        for (int i = 0; i <= length; i++) seq[i] = Byte.toUnsignedInt(tokens.get(ValueLayout.JAVA_BYTE, w * seqLen + i));
        return seq;
    }

    /** The training sequence at a position of an epoch: a seeded Fisher-Yates permutation per epoch. */
    private int shuffled(long e, int position) {
        if (e != epoch) {
            order = new int[train.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + e);
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            epoch = e;
        }
        return order[position];
    }

    private static boolean gzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }

    private static InputStream open(Path file, boolean gz) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        return gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
    }

    /** FASTA by its name (.fa, .fasta, .fna, .ffn, .faa, .frn, optionally .gz) or by a first non-blank byte '>'. */
    private static boolean looksLikeFasta(Path file, boolean gz) throws IOException {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT).replaceAll("\\.gz$", "");
        if (name.matches(".*\\.(fa|fasta|fna|ffn|faa|frn)$")) return true;
        try (InputStream in = open(file, gz)) {
            int c;
            while ((c = in.read()) == ' ' || c == '\n' || c == '\r' || c == '\t') { /* skip blanks */ }
            return c == '>';
        }
    }

    /** Sequence bytes of each record (whitespace dropped), records separated by {@link #SEPARATOR}; returns the count. */
    private static long packFasta(InputStream in, OutputStream out) throws IOException {
        long n = 0;
        boolean header = false, lineStart = true, inRecord = false;
        int c;
        while ((c = in.read()) >= 0) {
            if (lineStart && c == '>') {
                if (inRecord) {
                    out.write(SEPARATOR);
                    n++;
                }
                inRecord = false;
                header = true;
            }
            if (c == '\n') {
                header = false;
                lineStart = true;
                continue;
            }
            lineStart = false;
            if (header || c == '\r' || c == ' ' || c == '\t') continue;
            out.write(c);
            n++;
            inRecord = true;
        }
        return n;
    }
}
