package hyenac.backends.codegen;

import hyenac.ir.Node;
import java.util.List;

/**
 * A generated kernel, ready for a compiler: {@code text} is the whole translation unit (a header comment
 * naming the graph nodes and DSL lines it implements, then {@code code}); {@code code} is what compiles,
 * the same for every node the kernel serves, and what caches key on.
 *
 * @param name   the kind of kernel, e.g. {@code rmsnorm}
 * @param entry  the symbol to launch, unique per distinct code
 * @param launch the grid and block as formulas over B and L
 * @param params the arguments in order
 * @param sites  each place in the graph the kernel runs, as the nodes it implements there
 */
public record KernelSource(String name, String entry, String dialect, String text, String code, Launch launch,
                           List<KernelParam> params, int sharedBytes, List<Site> sites) {
    public KernelSource {
        params = List.copyOf(params);
        sites = List.copyOf(sites);
    }

    /** The graph nodes one run of the kernel implements (a fused kernel: several). */
    public record Site(List<Node> nodes) {
        public Site { nodes = List.copyOf(nodes); }
    }

    /** Every node of every site, in order. */
    public List<Node> nodes() {
        return sites.stream().flatMap(s -> s.nodes().stream()).toList();
    }
}
