package hyenac.dsl.source;

/** A half-open range of char offsets [start, end) in one source file. */
public record Span(SourceFile file, int start, int end) {
    public Span {
        if (start < 0 || end < start) throw new IllegalArgumentException("bad span " + start + ".." + end);
    }

    public static Span at(SourceFile file, int offset) { return new Span(file, offset, offset); }

    public int line() { return file.line(start); }
    public int column() { return file.column(start); }
    public int endLine() { return file.line(end); }
    public int endColumn() { return file.column(end); }
    public String text() { return file.text().substring(start, Math.min(end, file.text().length())); }

    public Span to(Span other) { return new Span(file, Math.min(start, other.start), Math.max(end, other.end)); }

    public boolean contains(int offset) { return offset >= start && offset <= end; }

    /** {@code file:line:col}, as diagnostics print it. */
    public String location() { return file.name() + ":" + line() + ":" + column(); }

    // Spans compare by position only: the file is identity, its text need not be compared.
    @Override public boolean equals(Object o) {
        return o instanceof Span s && s.file == file && s.start == start && s.end == end;
    }
    @Override public int hashCode() { return System.identityHashCode(file) * 31 * 31 + start * 31 + end; }
    @Override public String toString() { return location() + "-" + endLine() + ":" + endColumn(); }
}
