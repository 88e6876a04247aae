package hyenac.ir.fusion;

import java.util.List;

/** The registry of fusion patterns. A new pattern is a class and a line here, not a change to the pass. */
public final class Patterns {
    private Patterns() {}

    /**
     * In priority order: an earlier pattern claims its nodes first. The Hyena core (and its decode step) needs the
     * deinterleave and the products an elementwise chain would also take; the norm's residual add likewise; a decode
     * step's GEMV its gate's activation and product (the norm keeps its add: it reads the whole row, which no GEMV
     * block holds).
     */
    public static final List<Pattern> STANDARD = List.of(new FuseHyenaCore(), new FuseHyenaStep(), new FuseNormResidual(), new FuseGemv(),
            new FuseElementwise());
}
