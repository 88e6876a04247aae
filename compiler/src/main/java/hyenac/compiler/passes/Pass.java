package hyenac.compiler.passes;

import hyenac.ir.Graph;

/** One named transformation of the graph; returns a new graph (the IR is immutable). */
public interface Pass {
    /** VerbNoun, as {@code --print-after} spells it in kebab-case. */
    String name();

    Graph run(Graph g);
}
