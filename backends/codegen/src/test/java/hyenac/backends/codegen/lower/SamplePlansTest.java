package hyenac.backends.codegen.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.plan.Algorithm;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.PlanPrinter;
import hyenac.ir.plan.PlanVerifier;
import hyenac.ir.plan.Step;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every sample's plans for every phase and precision, made by the compiler's kernel pipeline with the CUDA lowering. */
class SamplePlansTest {
    static KernelPipeline pipeline(Graph g, Precision p) {
        return new KernelPipeline(g, new CodegenLowering("cuda", new CudaKernels(), p, CodegenLowering.Hardware.H100), true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sh2-tiny.hyena", "transformer-tiny.hyena", "custom-ops.hyena", "evo2-7b.hyena"})
    void everyPlanVerifiesPrintsTheSameTwiceAndSaysWhereEveryConvolutionCameFrom(String sample) {
        Graph g = Samples.graph(sample);
        for (Precision p : Precision.values()) {
            for (Phase phase : Phase.values()) {
                Plan plan = pipeline(g, p).plan(phase);
                assertEquals(List.of(), PlanVerifier.problems(plan), sample + " " + phase);
                assertEquals(PlanPrinter.print(plan), PlanPrinter.print(pipeline(g, p).plan(phase)), "deterministic");
                for (Step s : plan.steps()) {
                    boolean conv = s.site().ops().contains("causal_conv") || s.site().ops().contains("modal_conv");
                    if (!conv) continue;
                    assertNotNull(s.site().algorithm(), s.toString());
                    assertTrue(!s.site().origins().isEmpty(), "a DSL span on " + s.site());
                    if (phase == Phase.STEP && s.site().ops().equals("modal_conv")) assertEquals(Algorithm.RECURRENT, s.site().algorithm());
                }
            }
        }
    }
}
