package hyenac.compiler.passes;

import hyenac.ir.Graph;

/** Hyena-MR's decay as a learnt factor of its filter ({@link hyenac.ir.autodiff.ParametriseDecay}); training only. */
public final class ParametriseDecay implements Pass {
    @Override public String name() { return "ParametriseDecay"; }

    @Override public Graph run(Graph g) { return hyenac.ir.autodiff.ParametriseDecay.run(g); }
}
