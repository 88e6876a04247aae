package hyenac.backends.codegen.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaDialect;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.backends.codegen.lower.CodegenLowering;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.Graph;
import hyenac.ir.Primitive;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import hyenac.ir.plan.Step;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Which kernels take the 16-byte vector form and which fall back to the scalar one, and the launch geometry of Evo 2 7B's
 * bandwidth-bound kernels (the gated MLP's product, the residual norms) as its plan launches them.
 */
class VectorFormsTest {
    private static boolean vectorised(String code) { return code.contains("hy_stream_b128(") && code.contains("hy_store_b128("); }

    private static boolean scalar(String code) { return !code.contains("hy_load_") && !code.contains("hy_stream_") && !code.contains("hy_store_"); }

    @Test
    void pointwiseKernelsAreVectorisedWhereRowsSplitIntoVectors() {
        for (Primitive op : List.of(Primitive.MUL, Primitive.SCALE, Primitive.GELU)) {
            assertTrue(vectorised(Pointwise.generate(op, 64, Precision.BF16).kernel().render(CudaDialect.INSTANCE)), op + " 64 bf16");
            assertTrue(vectorised(Pointwise.generate(op, 36, Precision.FP32).kernel().render(CudaDialect.INSTANCE)), op + " 36 fp32: 9 vectors of 4");
            assertTrue(scalar(Pointwise.generate(op, 36, Precision.BF16).kernel().render(CudaDialect.INSTANCE)), op + " 36 bf16: 4.5 vectors");
            assertTrue(scalar(Pointwise.generate(op, 50, Precision.FP32).kernel().render(CudaDialect.INSTANCE)), op + " 50 fp32");
        }
    }

    @Test
    void normsKeepTheRowInRegistersWhereItFits() {
        assertEquals(Optional.of(new RmsNorm.Vectors(8, 256, 2)), RmsNorm.vectors(4096, Precision.BF16));
        assertEquals(Optional.of(new RmsNorm.Vectors(4, 256, 4)), RmsNorm.vectors(4096, Precision.FP32));
        assertEquals(Optional.of(new RmsNorm.Vectors(8, 32, 1)), RmsNorm.vectors(64, Precision.BF16));
        assertEquals(Optional.of(new RmsNorm.Vectors(8, 256, 5)), RmsNorm.vectors(8200, Precision.BF16));
        assertEquals(Optional.empty(), RmsNorm.vectors(8200, Precision.FP32), "nine vectors a thread: past what registers keep");
        assertEquals(Optional.empty(), RmsNorm.vectors(36, Precision.BF16));
        assertEquals(Optional.empty(), RmsNorm.vectors(50, Precision.FP32));
        String vector = RmsNorm.generate(4096, 1e-6, Precision.BF16).kernel().render(CudaDialect.INSTANCE);
        assertTrue(vector.contains("float kept[16];") && vectorised(vector), vector);
        assertTrue(!vector.substring(vector.indexOf("const float denom")).contains("x +"), "the row is read once:\n" + vector);
        assertTrue(scalar(RmsNorm.generate(8200, 1e-6, Precision.FP32).kernel().render(CudaDialect.INSTANCE)));
    }

    /** Evo 2 7B's parallel plan in bf16 at L = 8192: its mul and norm_residual launches, in their vector forms. */
    @Test
    void evo2SevenBillionMulAndNormResidualAreVectorised() {
        Graph g = Samples.graph("evo2-7b.hyena");
        Plan plan = new KernelPipeline(g, new CodegenLowering("cuda", new CudaKernels(), Precision.BF16, CodegenLowering.Hardware.H100), true)
                .plan(Phase.PARALLEL);
        Shape shape = new Shape(1, 8192, 8192);
        Map<String, Integer> launches = new TreeMap<>();
        for (Step step : plan.steps()) {
            if (!(step instanceof Step.Launch l)) continue;
            hyenac.ir.plan.Kernel k = plan.kernel(l.kernel());
            if (!k.name().equals("mul") && !k.name().equals("norm_residual")) continue;
            launches.merge(k.entry(), 1, Integer::sum);
            assertTrue(vectorised(k.code()), k.code());
            long[] grid = k.grid().stream().mapToLong(e -> e.eval(shape)).toArray();
            if (k.name().equals("mul")) {
                // the gated MLP's product of its two [B, L, 11008] projections (identity activation: a lone mul), a thread per 8
                assertEquals("mul_c11008_bf16", k.entry());
                assertArrayEquals(new long[] {8192L * 11008 / 8 / 256, 1, 1}, grid);
                assertEquals(List.of(256, 1, 1), k.block());
            } else {
                assertTrue(k.entry().startsWith("norm_residual_c4096_"), k.entry());
                assertTrue(k.code().contains("float kept[16];"), "two vectors of 8 channels a thread, kept in registers");
                assertArrayEquals(new long[] {8192, 1, 1}, grid, "a block per row");
                assertEquals(List.of(256, 1, 1), k.block());
            }
        }
        assertEquals(Map.of("mul_c11008_bf16", 31), launches.entrySet().stream().filter(e -> e.getKey().startsWith("mul"))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        assertEquals(64, launches.entrySet().stream().filter(e -> e.getKey().startsWith("norm_residual")).mapToInt(Map.Entry::getValue).sum(), launches.toString());
    }
}
