package hyenac.backends.codegen.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.PlanPrinter;
import hyenac.ir.plan.Shape;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The final plans of the tiny samples for every phase and precision, and sh2-tiny's parallel plan after each stage of
 * the kernel pipeline, as text against golden files in src/test/resources/golden-plans. After an intended change,
 * regenerate them with {@code -Dhyenac.updateGoldens=true} and read the diff.
 */
class GoldenPlansTest {
    static Path goldens() { return Samples.root().resolve("backends/codegen/src/test/resources/golden-plans"); }

    static final List<String> SAMPLES = List.of("sh2-tiny.hyena", "transformer-tiny.hyena");

    /** The shape a plan's pool is printed at: the pipeline's reference, one token with a cache of its capacity for a decode step. */
    static Shape example(Phase phase) {
        Shape r = KernelPipeline.REFERENCE;
        return phase == Phase.STEP ? new Shape(r.batch(), 1, r.capacity()) : r;
    }

    static KernelPipeline pipeline(Graph g, Precision p) {
        return new KernelPipeline(g, new CodegenLowering("cuda", new CudaKernels(), p, CodegenLowering.Hardware.H100), true);
    }

    /** File name → text: every final plan, then one file per stage of sh2-tiny's parallel fp32 plan. */
    static Map<String, String> expected() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String sample : SAMPLES) {
            String base = sample.replaceFirst("\\.hyena$", "");
            for (Precision p : Precision.values()) {
                KernelPipeline pipeline = pipeline(Samples.graph(sample), p);
                for (Phase phase : Phase.values()) {
                    String name = base + "." + phase.spelling() + "." + p.name().toLowerCase(Locale.ROOT) + ".plan";
                    out.put(name, relative(PlanPrinter.print(pipeline.plan(phase), example(phase))));
                }
            }
        }
        out.putAll(stages("sh2-tiny.hyena", Precision.FP32, Phase.PARALLEL));
        return out;
    }

    /** The text each stage printed for one plan, split at the pipeline's "// ----- PHASE after STAGE" headers, by file name. */
    static Map<String, String> stages(String sample, Precision p, Phase phase) {
        StringWriter text = new StringWriter();
        KernelPipeline pipeline = pipeline(Samples.graph(sample), p).printAfter(Set.of("all"), new PrintWriter(text));
        pipeline.plan(phase);
        String all = relative(text.toString());
        List<String> headers = new ArrayList<>();
        Map<String, String> out = new LinkedHashMap<>();
        String[] parts = all.split("(?m)^(?=// ----- )");
        for (String part : parts) {
            if (part.isEmpty()) continue;
            String header = part.lines().findFirst().orElseThrow();
            headers.add(header);
            String stage = header.substring(header.lastIndexOf(' ') + 1);
            out.put(sample.replaceFirst("\\.hyena$", "") + "." + phase.spelling() + "." + p.name().toLowerCase(Locale.ROOT) + ".after-" + stage + ".txt", part);
        }
        assertEquals(KernelPipeline.STAGES.stream().map(s -> "// ----- " + phase.spelling() + " after " + s).toList(), headers,
                "printAfter(all) prints every stage once, in order");
        return out;
    }

    private static String relative(String text) { return text.replace(Samples.root() + "/", ""); }

    @Test
    void plansMatchTheirGoldens() throws IOException {
        Map<String, String> expected = expected();
        Samples.matchGoldens(goldens(), expected, "plan");
        assertEquals(2 * 2 * 3 + KernelPipeline.STAGES.size(), expected.size(), expected.keySet().toString());
    }

    @Test
    void theGoldenTextNamesNoMachinePathAndIsAscii() {
        for (Map.Entry<String, String> e : expected().entrySet()) {
            assertTrue(!e.getValue().contains(Samples.root().toString()), e.getKey() + " names the checkout's path");
            assertTrue(java.nio.charset.StandardCharsets.US_ASCII.newEncoder().canEncode(e.getValue()), e.getKey() + " is not ASCII");
        }
    }
}
