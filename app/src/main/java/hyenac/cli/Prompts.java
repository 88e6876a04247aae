package hyenac.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The prompts of {@code --prompts FILE}: one a line, as the bytes the byte tokenizer reads. */
final class Prompts {
    /** A file that holds no usable prompts; the message names the file (and line) and what to do. */
    static final class Problem extends Exception {
        Problem(String message) { super(message); }
    }

    private Prompts() {}

    /**
     * Every line of {@code file} as tokens (one per byte), in order. A line ends at {@code \n}, a {@code \r} before it
     * is dropped (a CRLF file), and a last newline ends the last line rather than starting an empty one.
     */
    static List<long[]> read(Path file) throws Problem {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) throw new Problem(file + " is a directory, not a file of prompts");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Problem(file + ": cannot read: no such file");
        } catch (AccessDeniedException e) {
            throw new Problem(file + ": cannot read: permission denied");
        } catch (IOException e) {
            throw new Problem(file + ": cannot read: " + e.getMessage());
        }
        List<long[]> prompts = new ArrayList<>();
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') end++;
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            if (stop == start) {
                throw new Problem(String.format(Locale.ROOT, "%s:%d: the line is empty; every line is a prompt (remove the line, or give it text)",
                        file, prompts.size() + 1));
            }
            long[] tokens = new long[stop - start];
            for (int i = 0; i < tokens.length; i++) tokens[i] = bytes[start + i] & 0xff;
            prompts.add(tokens);
            start = end + 1;
        }
        if (prompts.isEmpty()) throw new Problem(file + " holds no prompts; write one prompt a line");
        return prompts;
    }
}
