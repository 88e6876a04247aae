package hyenac.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a FASTA record is: the header's first word, the sequence lines joined without whitespace, bases as written. */
class FastaTest {
    static List<Fasta.Record> parse(String text) { return Fasta.parse("f.fa", text.getBytes(StandardCharsets.UTF_8)); }

    static String sequence(Fasta.Record r) { return new String(r.sequence(), StandardCharsets.US_ASCII); }

    @Test
    void recordsAreNamedByTheFirstWordAndJoinTheirLines() {
        List<Fasta.Record> r = parse("\n>chr1 Homo sapiens\r\nACGT acgt\r\n\tNNNN\n\n>chr2\nGATTACA");
        assertEquals(2, r.size());
        assertEquals("chr1", r.get(0).name());
        assertEquals("ACGTacgtNNNN", sequence(r.get(0)));
        assertEquals(2, r.get(0).line(), "the header's line");
        assertEquals("chr2", r.get(1).name());
        assertEquals("GATTACA", sequence(r.get(1)), "a last line without a newline");
        assertEquals(6, r.get(1).line());
    }

    @Test
    void namesMayRepeatAndKeepTheirOrder() {
        List<Fasta.Record> r = parse(">x\nA\n>x\nC\n>a\nG\n");
        assertEquals(List.of("x", "x", "a"), r.stream().map(Fasta.Record::name).toList());
    }

    @Test
    void mistakesNameTheLine() {
        assertEquals("f.fa:2: sequence data before the first header; a FASTA record starts with a line `>NAME`, then its sequence lines",
                assertThrows(Fasta.BadFastaException.class, () -> parse("\nACGT\n")).getMessage());
        assertEquals("f.fa:1: a header line needs a name right after `>` (e.g. `>seq1`)",
                assertThrows(Fasta.BadFastaException.class, () -> parse("> seq\nACGT\n")).getMessage());
        assertEquals("f.fa:1: record `a` has no sequence; give it sequence lines after its header, or remove it",
                assertThrows(Fasta.BadFastaException.class, () -> parse(">a\n\n")).getMessage());
        assertEquals("f.fa:2:4: byte 0x00 is not a sequence character; FASTA sequences are letters (A, C, G, T, N, …) on the lines after a `>NAME` header",
                assertThrows(Fasta.BadFastaException.class, () -> parse(">a\nACG\0T\n")).getMessage());
    }

    @Test
    void gzipIsReadAsItsContent(@TempDir Path dir) throws IOException {
        Path gz = dir.resolve("x.fa.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(">g\nACGT\nTT\n".getBytes(StandardCharsets.US_ASCII));
        }
        List<Fasta.Record> r = Fasta.read(gz);
        assertEquals("g", r.getFirst().name());
        assertEquals("ACGTTT", sequence(r.getFirst()));
        Path dirAsFile = dir.resolve("d");
        Files.createDirectory(dirAsFile);
        assertEquals(dirAsFile + ": is a directory, not a FASTA file", assertThrows(Fasta.BadFastaException.class, () -> Fasta.read(dirAsFile)).getMessage());
    }
}
