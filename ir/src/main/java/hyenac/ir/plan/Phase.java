package hyenac.ir.plan;

import java.util.Locale;

/** What a plan runs: a parallel pass over whole sequences, a prompt that then builds the decode states, or one decode step. */
public enum Phase {
    PARALLEL, PREFILL, STEP;

    public String spelling() { return name().toLowerCase(Locale.ROOT); }
}
