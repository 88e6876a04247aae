package hyenac.ir;

/** Where a node came from in the DSL: file and 1-based line/column range. The IR knows no syntax beyond this. */
public record Origin(String file, int line, int column, int endLine, int endColumn) {
    @Override public String toString() {
        return file + ":" + line + ":" + column;
    }
}
