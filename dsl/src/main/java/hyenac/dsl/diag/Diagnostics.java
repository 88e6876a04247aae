package hyenac.dsl.diag;

import hyenac.dsl.source.Span;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;

/** Accumulates diagnostics, drops exact repeats and stops collecting after a cap. */
public final class Diagnostics {
    public static final int DEFAULT_LIMIT = 100;

    private final int limit;
    private final LinkedHashSet<Diagnostic> items = new LinkedHashSet<>();
    private int dropped;

    public Diagnostics() { this(DEFAULT_LIMIT); }
    public Diagnostics(int limit) { this.limit = limit; }

    public Diagnostic report(Code code, Span span, Object... args) {
        Diagnostic d = Diagnostic.of(code, span, args);
        add(d);
        return d;
    }

    public void add(Diagnostic d) {
        if (items.size() >= limit) {
            if (!items.contains(d)) dropped++;
            return;
        }
        items.add(d);
    }

    public void addAll(Diagnostics other) {
        other.items.forEach(this::add);
        dropped += other.dropped;
    }

    /** Drops the diagnostics a predicate selects (used for warnings the user allowed in a comment). */
    public void removeIf(java.util.function.Predicate<Diagnostic> which) {
        items.removeIf(which);
    }

    public boolean hasErrors() { return items.stream().anyMatch(Diagnostic::isError) || dropped > 0; }
    public int errorCount() { return (int) items.stream().filter(Diagnostic::isError).count(); }

    /** True once the cap is reached: further diagnostics are only counted, so extra work on them is wasted. */
    public boolean isFull() { return items.size() >= limit; }

    /** How many diagnostics the cap left out. */
    public int dropped() { return dropped; }

    /** In report order, sorted by file, then position, so output is deterministic. */
    public List<Diagnostic> all() {
        List<Diagnostic> list = new ArrayList<>(items);
        list.sort((a, b) -> {
            int c = a.span().file().name().compareTo(b.span().file().name());
            return c != 0 ? c : Integer.compare(a.span().start(), b.span().start());
        });
        return Collections.unmodifiableList(list);
    }
}
