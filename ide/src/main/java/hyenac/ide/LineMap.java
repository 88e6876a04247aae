package hyenac.ide;

import hyenac.dsl.source.SourceFile;
import java.util.Arrays;
import org.eclipse.lsp4j.Position;
import org.eclipse.lsp4j.Range;

/**
 * Converts between char offsets and LSP positions. Both count UTF-16 code units (the front end's spans
 * do, and so does LSP's default encoding), so a column is just an offset minus its line start; the
 * only work is the line table. Lines end at \n, \r\n or a lone \r, as LSP defines them.
 */
final class LineMap {
    private final String text;
    private final int[] starts;

    LineMap(String text) {
        this.text = text;
        this.starts = SourceFile.lineStarts(text);
    }

    int lineCount() { return starts.length; }

    /** 0-based line of an offset (clamped into the text). */
    int line(int offset) {
        int o = Math.max(0, Math.min(offset, text.length()));
        int i = Arrays.binarySearch(starts, o);
        return i >= 0 ? i : -i - 2;
    }

    Position position(int offset) {
        int o = Math.max(0, Math.min(offset, text.length()));
        int line = line(o);
        return new Position(line, o - starts[line]);
    }

    Range range(int start, int end) { return new Range(position(start), position(Math.max(start, end))); }

    /** The offset of a position; a character past the line's end means the end (LSP says so), likewise lines. */
    int offset(Position p) {
        if (p.getLine() < 0) return 0;
        if (p.getLine() >= starts.length) return text.length();
        int start = starts[p.getLine()];
        return Math.min(start + Math.max(0, p.getCharacter()), lineEnd(p.getLine()));
    }

    int lineStart(int line) { return starts[line]; }

    /** The offset just before the line terminator of a 0-based line. */
    int lineEnd(int line) {
        if (line + 1 >= starts.length) return text.length();
        int end = starts[line + 1] - 1; // the terminator's (last) char
        if (text.charAt(end) == '\n' && end > starts[line] && text.charAt(end - 1) == '\r') end--;
        return end;
    }

    /** Where the document ends, as a position. */
    Position end() { return position(text.length()); }
}
