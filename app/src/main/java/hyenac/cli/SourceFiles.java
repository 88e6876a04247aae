package hyenac.cli;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostics;
import hyenac.dsl.source.SourceFile;
import hyenac.dsl.source.Span;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Reading and writing the files commands work on, with problems reported as diagnostics. */
final class SourceFiles {
    private SourceFiles() {}

    /** The file as strict UTF-8 text, or null after a diagnostic. */
    static SourceFile read(Path path, Diagnostics diags) {
        Span at = Span.at(new SourceFile(path.toString(), ""), 0);
        try {
            byte[] bytes = Files.readAllBytes(path);
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return new SourceFile(path.toString(), text);
        } catch (CharacterCodingException e) {
            diags.report(Code.HY0104, at, path);
        } catch (NoSuchFileException e) {
            diags.report(Code.HY0102, at, path, "no such file");
        } catch (IOException | SecurityException e) {
            diags.report(Code.HY0102, at, path, Files.isDirectory(path) ? "it is a directory" : String.valueOf(e.getMessage()));
        }
        return null;
    }

    /** Replaces a file's contents all at once, so an interrupted write never leaves half a file. */
    static void writeAtomically(Path path, String text) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
