package hyenac.dsl.check;

import hyenac.dsl.diag.Code;
import hyenac.dsl.diag.Diagnostic;
import hyenac.dsl.parse.SyntaxReader;
import hyenac.dsl.source.Span;
import java.math.BigInteger;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The limits that keep a check's time and memory bounded however a file is written: list and layer
 * counts, nesting depth, the applications one check may perform, and the size of one weight.
 */
final class Limits {
    /** Layers and list literals longer than this are refused rather than built. */
    static final int MAX_LIST = 100_000;
    static final int MAX_LAYERS = 4096;
    /**
     * Elements one weight may have: run, compile and build hold each weight in one Java array, and
     * JVMs refuse arrays near 2^31 - 1 long; this is the JDK's own safe bound (ArraysSupport.SOFT_MAX_ARRAY_LENGTH).
     */
    static final long MAX_WEIGHT_ELEMENTS = Integer.MAX_VALUE - 8;
    /** Operators applied inside one another deeper than this are refused: each level recurses. */
    static final int MAX_DEPTH = SyntaxReader.MAX_NESTING;
    /**
     * Operator applications one check may perform. A real model needs thousands; chains and fan-out
     * of operators (each applying the next twice) would otherwise take time exponential in the file.
     */
    static final int MAX_APPLICATIONS = 250_000;

    /** Work shared by the evaluators of one check, so that many small checks cannot add up either. */
    static final class Budget {
        private int applications;
        private boolean exhausted;
        private boolean tooDeep;
    }

    private final Budget budget;
    private final Reporter reporter;

    Limits(Budget budget, Reporter reporter) {
        this.budget = budget;
        this.reporter = reporter;
    }

    /** True once the check has performed too many applications: nothing more is applied. */
    boolean exhausted() {
        return budget.exhausted;
    }

    /** Counts one application; false (and exhausted from then on) when it is one too many. */
    boolean spendApplication() {
        if (++budget.applications <= MAX_APPLICATIONS) return true;
        budget.exhausted = true;
        return false;
    }

    /** True the first time only: every operator above a too-deep chain would repeat the report. */
    boolean firstTooDeep() {
        boolean first = !budget.tooDeep;
        budget.tooDeep = true;
        return first;
    }

    /** Where an oversized weight was reported: once per binding, not again for every layer that repeats it. */
    private record Oversized(Span site, String name, List<Long> shape) {}
    private final Set<Oversized> oversized = new HashSet<>();

    /** A weight too large to hold is refused here rather than when `run` allocates it. */
    void checkWeightSize(String name, List<Long> shape, Span at) {
        BigInteger n = BigInteger.ONE;
        for (long d : shape) {
            if (d < 0) return; // not known until a model gives the widths
            n = n.multiply(BigInteger.valueOf(d));
        }
        if (n.compareTo(BigInteger.valueOf(MAX_WEIGHT_ELEMENTS)) <= 0) return;
        Span site = Reporter.isLibrary(at) ? reporter.userSite() : at;
        if (!oversized.add(new Oversized(site, WeightNaming.withinLayer(name), shape))) return;
        reporter.report(Diagnostic.of(Code.HY0318, at, name, String.format(Locale.ROOT, "%,d", n), shape,
                        String.format(Locale.ROOT, "%,d", MAX_WEIGHT_ELEMENTS))
                .withNote("each weight is held in one array, and the JVM caps an array's length; make the sizes in its shape smaller"));
    }
}
