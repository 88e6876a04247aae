package hyenac.compiler.passes;

import hyenac.ir.Graph;
import hyenac.ir.autodiff.Autodiff;

/** The training graph: the loss of the forward graph and the gradient of every weight ({@link Autodiff}). */
public final class Differentiate implements Pass {
    @Override public String name() { return "Differentiate"; }

    @Override public Graph run(Graph g) { return Autodiff.differentiate(g); }
}
