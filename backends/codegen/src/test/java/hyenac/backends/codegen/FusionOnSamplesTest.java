package hyenac.backends.codegen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.codegen.kernels.HyenaCore;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.fusion.FuseKernels;
import hyenac.ir.fusion.Group;
import hyenac.ir.plan.Algorithm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The fusion pass on every sample: what fuses per layer kind, and the rules every grouping keeps. */
class FusionOnSamplesTest {
    static List<Group> parallel(Graph g) { return FuseKernels.standard().run(g); }

    static Map<String, Integer> counts(List<Group> groups) {
        Map<String, Integer> out = new TreeMap<>();
        for (Group gr : groups) out.merge(gr.kind(), 1, Integer::sum);
        return out;
    }

    /** Layers per mixer as the model wrote them (the graph keeps each layer's operator name). */
    static Map<String, Integer> layers(Graph g) {
        Map<String, Integer> out = new TreeMap<>();
        g.attrs().forEach((k, v) -> { if (k.matches("layers\\.\\d+\\.mixer")) out.merge((String) v, 1, Integer::sum); });
        return out;
    }

    @Test
    void evo2ModelsFusePerLayerKind() {
        for (String sample : List.of("evo2-1b.hyena", "evo2-7b.hyena", "evo2-40b.hyena", "evo2-7b-1m.hyena", "evo2-40b-1m.hyena")) {
            Graph g = Samples.graph(sample);
            Map<String, Integer> layers = layers(g);
            int n = layers.values().stream().mapToInt(Integer::intValue).sum();
            Map<String, Integer> want = new TreeMap<>(Map.of(
                    "norm_residual", 2 * n,                              // r = x + m with post_norm; the block's last add with the next norm
                    "hyena_core", layers.get("hyena_se") + layers.get("hyena_mr") + layers.get("hyena_li"), // gate-conv-gate of every Hyena mixer
                    "elementwise", 1));                                  // layer 0's gelu(w1 x) * w2 x
            Map<String, Integer> got = counts(parallel(g));
            got.remove("single");
            assertEquals(want, got, sample + " " + layers);
        }
    }

    @Test
    void theSmallSamplesFuseAsExpected() {
        assertEquals(Map.of("elementwise", 1, "hyena_core", 6, "norm_residual", 14, "single", 46), counts(parallel(Samples.graph("sh2-tiny.hyena"))),
                "SE, MR and LI: the gate-conv-gate core with its featurizer, LI's modal convolution included");
        assertEquals(Map.of("elementwise", 7, "norm_residual", 14, "single", 52), counts(parallel(Samples.graph("transformer-tiny.hyena"))),
                "every SiLU-gated MLP; no Hyena core");
        assertEquals(Map.of("elementwise", 8, "hyena_core", 7, "norm_residual", 8, "single", 45), counts(parallel(Samples.graph("custom-ops.hyena"))),
                "parallel blocks: one norm per layer, with both adds; the LI layers' cores fuse too, every core with its featurizer");
    }

    @Test
    void eachLayerKindGroupsItsNodes() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<Group> groups = parallel(g);
        assertEquals(List.of("causal_conv", "deinterleave", "mul", "causal_conv", "mul"), ops(only(groups, "hyena_core", "layers.0.")), "SE");
        assertEquals(List.of("causal_conv", "deinterleave", "mul", "causal_conv", "mul"), ops(only(groups, "hyena_core", "layers.1.")), "MR");
        Group li = only(groups, "hyena_core", "layers.2.");
        assertEquals(List.of("causal_conv", "deinterleave", "mul", "modal_conv", "mul"), ops(li), "LI");
        assertEquals(1, li.materialised().size(), "y alone: z, q, k, v, k * v and the convolution stay inside");
        assertEquals("layers.2.mixer.featurizer", li.nodes().getFirst().path());
        assertEquals(li.nodes().getFirst().operands(), li.inputs(), "the input projection's output, not z");
        Group prefill = only(FuseKernels.standard().run(g, g.nodes(), List.of(), FuseKernels.Mode.PREFILL), "elementwise", "layers.2.mixer");
        assertEquals(List.of("deinterleave", "mul"), ops(prefill), "a prefill keeps k * v for the modal state: LI's core does not fuse there");
        assertEquals(List.of("gelu", "mul"), ops(only(groups, "elementwise", "layers.0.mlp")));
        Group post = only(groups, "norm_residual", "layers.3.post_norm");
        assertEquals(List.of("add", "rmsnorm"), ops(post));
        assertEquals(2, post.materialised().size(), "r and its norm");
        Group last = groups.get(groups.size() - 2);
        assertEquals(List.of("add", "rmsnorm"), ops(last));
        assertEquals(List.of(last.nodes().getLast().results().getFirst()), last.materialised(), "the final sum is read by the final norm only");

        Group custom = only(parallel(Samples.graph("custom-ops.hyena")), "hyena_core", "layers.0.");
        assertEquals(List.of("causal_conv", "deinterleave", "silu", "mul", "causal_conv", "mul"), ops(custom), "the SiLU-gated core of the custom operator");
    }

    @Test
    void everyGroupingKeepsTheScheduleAndMaterialisesWhatIsReadElsewhere() {
        for (Path sample : Samples.all()) {
            Graph g = Samples.graph(sample);
            Set<Integer> probes = new HashSet<>(g.probes().values());
            for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                checkRules(g, FuseKernels.standard().run(g, g.nodes(), List.of(), mode), Set.of(), sample + " " + mode);
                checkRules(g, FuseKernels.standard().run(g, g.nodes(), probes, mode), probes, sample + " " + mode + " with every probe kept");
            }
        }
        checkRules(Synthetic.graph(), parallel(Synthetic.graph()), Set.of(), "synthetic");
    }

    @Test
    void keepingTheProbesKeepsTheCoresIntermediatesSoNoCoreFuses() {
        Graph g = Samples.graph("sh2-tiny.hyena");
        List<Group> kept = FuseKernels.standard().run(g, g.nodes(), g.probes().values(), FuseKernels.Mode.PARALLEL);
        assertEquals(0, counts(kept).getOrDefault("hyena_core", 0), "q and c are probes (layers.N.mixer.q, .c)");
        assertTrue(kept.size() > parallel(g).size());
    }

    @Test
    void kernelsAllHoldsOneKernelPerFusedGroupNamingItsNodes() {
        for (String sample : List.of("sh2-tiny.hyena", "custom-ops.hyena")) {
            Graph g = Samples.graph(sample);
            CudaKernels cuda = new CudaKernels();
            for (Precision p : Precision.values()) {
                List<KernelSource> all = cuda.all(g, p, Samples.everyGroup(g));
                for (FuseKernels.Mode mode : FuseKernels.Mode.values()) {
                    for (Group gr : FuseKernels.standard().run(g, g.nodes(), List.of(), mode)) {
                        List<KernelSource> ks = cuda.forGroup(g, gr, p);
                        // one kernel, but a modal core through library FFTs: its five kernels around the FFTs, or by the scan: its
                        // three; a featurizer that the core's kernels do not compute runs first, by its own kernel, the rest after it
                        boolean apart = cuda.featurizerApart(g, gr, p, null);
                        Group kernelled = apart ? HyenaCore.withoutFeaturizer(gr) : gr;
                        if (gr.fused()) {
                            int core = cuda.throughLibraryFfts(g, kernelled, p, null) ? 5 : cuda.byScan(g, kernelled, p, null) ? 3 : 1;
                            assertEquals((apart ? 1 : 0) + core, ks.size(), gr.toString());
                        }
                        for (KernelSource k : ks.subList(apart ? 1 : 0, ks.size())) held(all, k, gr.fused() ? kernelled : null, sample + ": all() lacks the kernel of " + gr);
                        // a modal core by the scan: its three kernels, computing the featurizer where the group holds it, which all() holds too
                        if (gr.fused() && cuda.throughLibraryFfts(g, kernelled, p, null)) {
                            Group byScan = cuda.featurizerApart(g, gr, p, Algorithm.SCAN) ? HyenaCore.withoutFeaturizer(gr) : gr;
                            List<KernelSource> scan = cuda.scanCore(g, byScan, p);
                            assertEquals(List.of("scan_states", "scan_carry", "scan_core"), scan.stream().map(KernelSource::name).toList());
                            for (KernelSource k : scan) held(all, k, byScan, sample + ": all() lacks the scan's kernel of " + gr);
                        }
                    }
                }
            }
        }
    }

    /** {@code all} holds kernel {@code k}, naming the nodes of {@code site} among its sites where that is a fused group. */
    private static void held(List<KernelSource> all, KernelSource k, Group site, String lacks) {
        KernelSource merged = all.stream().filter(m -> m.code().equals(k.code())).findFirst().orElse(null);
        assertTrue(merged != null, lacks);
        if (site != null) assertTrue(merged.sites().contains(new KernelSource.Site(site.nodes())), merged.entry() + " names " + site);
    }

    private static void checkRules(Graph g, List<Group> groups, Set<Integer> kept, String what) {
        Set<Node> seen = new HashSet<>();
        Set<Integer> available = new HashSet<>(g.inputs());
        for (Group gr : groups) {
            Set<Integer> produced = new HashSet<>();
            gr.nodes().forEach(n -> produced.addAll(n.results()));
            for (Node n : gr.nodes()) {
                assertTrue(seen.add(n), what + ": " + n + " in two groups");
                for (int v : n.operands()) assertTrue(available.contains(v) || produced.contains(v), what + ": %" + v + " unavailable to " + gr);
            }
            assertTrue(!gr.fused() || gr.nodes().size() >= 2, what + ": " + gr);
            for (int v : gr.internal()) {
                assertTrue(!g.outputs().contains(v) && !kept.contains(v), what + ": %" + v + " must be written by " + gr);
                for (Node reader : g.users(v)) assertTrue(gr.nodes().contains(reader), what + ": %" + v + " is read outside " + gr);
            }
            available.addAll(gr.materialised());
        }
        assertEquals(g.nodes().size(), seen.size(), what);
        assertTrue(available.containsAll(g.outputs()), what + ": an output is never written");
    }

    private static Group only(List<Group> groups, String kind, String pathPrefix) {
        List<Group> found = new ArrayList<>();
        for (Group gr : groups) if (gr.kind().equals(kind) && gr.nodes().stream().anyMatch(n -> n.path().startsWith(pathPrefix))) found.add(gr);
        assertEquals(1, found.size(), kind + " at " + pathPrefix + ": " + found);
        return found.getFirst();
    }

    private static List<String> ops(Group gr) { return gr.nodes().stream().map(Node::op).toList(); }
}
