package hyenac.backends.codegen.lower;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.compiler.kernels.KernelPipeline;
import hyenac.ir.plan.Buffer;
import hyenac.ir.plan.Phase;
import hyenac.ir.plan.Plan;
import hyenac.ir.plan.Shape;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The memory plan pays: Evo 2 7B's parallel pool at one sequence of 8192 tokens holds a small fraction of the bytes
 * its pooled buffers would take one by one. Observed when written, with Hyena-LI through library FFTs: bf16 4.64 GB for
 * 58.7 GB (0.079, 1/12.6), fp32 5.93 GB for 106.5 GB (0.056, 1/17.9), about half of either pool the nine LI filters'
 * prepared spectra of 2L points; since LI takes the fused FFT there: bf16 1.44 GB for 46.1 GB (0.031, 1/32.1), fp32
 * 2.73 GB for 92.1 GB (0.030, 1/33.8), the nine filters' spectra of one chunk 0.15 GB of it (prepared data lives
 * throughout by design); since LI takes the scan (its states scratch, 16.8 MB a layer, only through the layer): bf16
 * 1.30 GB for 46.1 GB (0.028, 1/35.4), fp32 2.60 GB for 92.1 GB (0.028, 1/35.4), the fp32 MR filters' spectra still
 * prepared.
 */
class MemoryPlanSavingsTest {
    static final Shape AT = new Shape(1, 8192, 0);

    @Test
    void evo2sParallelPoolIsMuchSmallerThanItsBuffersSeparately() {
        for (Precision precision : Precision.values()) {
            Plan p = new KernelPipeline(Samples.graph("evo2-7b.hyena"), new CodegenLowering("cuda", new CudaKernels(), precision,
                    CodegenLowering.Hardware.H100), true).plan(Phase.PARALLEL);
            long separately = 0, largest = 0, prepared = 0;
            int pooled = 0;
            for (Buffer b : p.buffers()) {
                if (!b.kind().pooled()) continue;
                long bytes = b.bytes().eval(AT);
                pooled++;
                separately += bytes;
                if (b.kind() == Buffer.Kind.PREPARED) prepared += bytes;
                else largest = Math.max(largest, bytes);
            }
            long[] offsets = p.offsets(AT);
            long pool = offsets[p.slots().size()];
            String observed = String.format(Locale.ROOT, "%s: pool %d bytes in %d slots for %d pooled buffers of %d bytes (ratio %.4f, 1/%.1f)", precision, pool,
                    p.slots().size(), pooled, separately, (double) pool / separately, (double) separately / pool);
            assertTrue(pool * 6 < separately, "the pool should be under a sixth of the buffers' bytes: " + observed);
            assertTrue(p.slots().size() * 10 < pooled, "most buffers share a slot: " + observed);
            // nothing is lost: the pool holds every slot, aligned, and no less than the prepared data plus the largest other buffer
            long slots = 0;
            for (int i = 0; i < p.slots().size(); i++) slots += p.slots().get(i).eval(AT);
            assertTrue(pool >= slots && pool < slots + Plan.ALIGNMENT * p.slots().size(), observed);
            assertTrue(pool >= prepared + largest, observed);
            // one prepared spectrum per fused-FFT layer: in fp32 (no tensor cores) the 9 Hyena-MR; the 9 Hyena-LI take the scan,
            // its states scratch, which lives only through its layer's three kernels
            assertEquals(precision == Precision.FP32 ? 9 : 0, p.buffers().stream().filter(b -> b.kind() == Buffer.Kind.PREPARED).count(),
                    "one prepared spectrum per fused-FFT layer");
            assertEquals(9, p.buffers().stream().filter(b -> b.kind() == Buffer.Kind.SCRATCH && b.name().endsWith(".scan_states")).count(),
                    "one scratch of states per Hyena-LI layer");
        }
    }
}
