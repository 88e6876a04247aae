package hyenac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.cuda.exec.CudaTarget;
import hyenac.compiler.Compilation;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.compiler.kernels.SelectAlgorithms;
import hyenac.compiler.kernels.Tuning;
import hyenac.ir.Graph;
import hyenac.ir.Node;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Shape;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** What `hyenac tune` times without a GPU to time on: the candidates it finds and the one-layer models it times them in. */
class TuneCommandTest {
    private static final Shape AT = KernelPipeline.reference(Phase.PARALLEL);

    private static Map<String, TuneCommand.Candidate> candidates(Graph g) {
        KernelPipeline byModel = new KernelPipeline(g, CudaTarget.lowering(Precision.BF16), true, SelectAlgorithms.Guides.NONE);
        return TuneCommand.candidates(g, byModel.choices(Phase.PARALLEL), AT);
    }

    @Test
    void evo2sDistinctConvolutionsWithAChoiceAreEachTimedInACoreOfTheirOwnShape() {
        Graph g = Compilation.compile(Repo.ROOT.resolve("samples/evo2-7b.hyena"), null).graph();
        Map<String, TuneCommand.Candidate> found = candidates(g);
        assertTrue(!found.isEmpty(), "Evo 2 7B's MR filters have direct and blocked on cuda bf16");
        for (TuneCommand.Candidate c : found.values()) {
            assertTrue(c.modelChoice().costs().size() >= 2, c.key());
            // the one-layer model's convolution is filed under the same key, and offered the same candidates
            Graph core = TuneCommand.coreGraph(g, c.modelChoice().node(), AT.length());
            Node twin = core.nodes().stream().filter(n -> n.op().equals(c.modelChoice().node().op()) && !n.path().endsWith("featurizer"))
                    .findFirst().orElseThrow();
            assertEquals(c.key(), Tuning.key(core, twin, AT));
            var twinChoice = new KernelPipeline(core, CudaTarget.lowering(Precision.BF16), true, SelectAlgorithms.Guides.NONE)
                    .choices(Phase.PARALLEL).stream().filter(x -> x.node().id() == twin.id()).findFirst().orElseThrow();
            assertEquals(c.modelChoice().costs().keySet(), twinChoice.costs().keySet(), c.key());
            assertTrue(Operator.core(core).wanted() >= 0);
        }
        int mr = found.values().stream().filter(c -> c.key().contains("len=128")).mapToInt(TuneCommand.Candidate::count).sum();
        assertEquals(g.nodes().stream().filter(n -> n.op().equals("causal_conv") && n.attrs().get("len").equals(128L)).count(), mr,
                "every MR filter of the model is counted under its key");
    }

    @Test
    void evo2sHyenaLiIsTimedByBothFftsAndTheScan() {
        Graph g = Compilation.compile(Repo.ROOT.resolve("samples/evo2-7b.hyena"), null).graph();
        List<TuneCommand.Candidate> li = candidates(g).values().stream().filter(c -> c.modelChoice().node().op().equals("modal_conv")).toList();
        assertEquals(1, li.size(), "Evo 2's nine LI filters share one shape");
        assertEquals(List.of(Algorithm.FFT, Algorithm.FUSED_FFT, Algorithm.SCAN), List.copyOf(li.getFirst().modelChoice().costs().keySet()));
        assertEquals(Algorithm.SCAN, li.getFirst().modelChoice().algorithm(), "the cost model's choice, which tuning checks");
        assertEquals(9, li.getFirst().count());
    }

    @Test
    void onlyCudaHasAlgorithmsToTuneAndNoGpuIsSaidInWords(@TempDir Path dir) {
        String spec = Repo.ROOT.resolve("samples/sh2-tiny.hyena").toString();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new TuneCommand()).setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()));
        assertEquals(2, cl.execute(spec, "--target", "cpu", "--cache", dir.resolve("t.json").toString()));
        assertTrue(err.toString().contains("tune measures the cuda target's"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, cl.execute(dir.resolve("missing.hyena").toString(), "--cache", dir.resolve("t.json").toString()));
        assertTrue(err.toString().contains("missing.hyena: no such file"), err.toString());
        err.getBuffer().setLength(0);
        // this machine has no GPU: a sentence, not a stack trace, and no file written
        int code = cl.execute(spec, "--cache", dir.resolve("t.json").toString());
        if (code != 0) {
            assertEquals(2, code, err.toString());
            assertTrue(err.toString().startsWith("hyenac tune: ") && !err.toString().contains("\tat "), err.toString());
            assertTrue(!dir.resolve("t.json").toFile().exists());
        }
    }
}
