package hyenac.backends.codegen.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.backends.codegen.Extent;
import hyenac.backends.codegen.KernelSource;
import hyenac.backends.codegen.Launch;
import hyenac.backends.codegen.Precision;
import hyenac.backends.codegen.Samples;
import hyenac.backends.codegen.cuda.CudaKernels;
import hyenac.ir.Primitive;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Launch geometry: the formulas evaluate as written, every grid covers exactly the work its kernel indexes
 * (no element without a thread, no block without work) and stays within the device's limits.
 */
class LaunchTest {
    static final List<Long> BATCHES = List.of(1L, 3L, 16L);
    static final List<Long> LENGTHS = List.of(1L, 7L, 64L, 65L, 8192L, 1L << 20);

    static Map<String, Long> sizes(long b, long l) { return Map.of(Extent.B, b, Extent.L, l); }

    @Test
    void extentsEvaluateAndPrint() {
        Extent e = Extent.rows().times(64).ceilDiv(256);
        assertEquals("ceil(B*L*64 / 256)", e.toString());
        assertEquals(1, e.eval(sizes(1, 1)));
        assertEquals(2, e.eval(sizes(1, 5)));
        assertEquals(3 * 8192 * 64 / 256, e.eval(sizes(3, 8192)));
        assertEquals("B", Extent.batch().times(1).ceilDiv(1).toString());
        assertThrows(IllegalArgumentException.class, () -> Extent.length().eval(Map.of(Extent.B, 1L)));
        assertThrows(IllegalArgumentException.class, () -> Extent.length().eval(sizes(1, 0)));
        Launch l = new Launch(Extent.length(), Extent.of(1), Extent.of(1), 32, 8, 1);
        assertEquals("grid (L, 1, 1), block (32, 8, 1)", l.toString());
        assertThrows(IllegalArgumentException.class, () -> new Launch(Extent.length(), Extent.length(), Extent.of(1), 32, 1, 1).grid(sizes(1, 70_000)));
        assertThrows(IllegalArgumentException.class, () -> Launch.linear(Extent.of(1), 2048));
    }

    /** A linear grid of `threads`-thread blocks that covers n items with the last block partly used. */
    static void coversLinearly(Launch l, Map<String, Long> s, long n) {
        long[] g = l.grid(s);
        assertArrayEquals(new long[] {Math.ceilDiv(n, l.blockX()), 1, 1}, g, l + " for " + s);
        assertTrue(g[0] * l.blockX() >= n && (g[0] - 1) * l.blockX() < n);
    }

    @Test
    void eachKindCoversItsWork() {
        for (long b : BATCHES) {
            for (long len : LENGTHS) {
                var s = sizes(b, len);
                long rows = b * len;
                // a thread per 16-byte vector where rows split into them, else per element
                coversLinearly(Pointwise.generate(Primitive.ADD, 4096, Precision.BF16).launch(), s, rows * 4096 / 8);
                coversLinearly(Pointwise.generate(Primitive.ADD, 4096, Precision.FP32).launch(), s, rows * 4096 / 4);
                coversLinearly(Pointwise.generate(Primitive.ADD, 4100, Precision.BF16).launch(), s, rows * 4100);
                coversLinearly(Embedding.generate(512, 1920, Precision.BF16).launch(), s, rows * 1920);
                coversLinearly(Channels.deinterleave(12288, 3, Precision.BF16).launch(), s, rows * 4096);
                coversLinearly(Channels.concat(List.of(64L, 64L), Precision.FP32).launch(), s, rows * 128);
                coversLinearly(Rope.generate(32, 128, 1, Precision.BF16).launch(), s, rows * 64);
                coversLinearly(Decode.firStep(new CausalConv.Filter(4096, 7, 256, CausalConv.Taps.XCORR, false), Precision.BF16).launch(), s, b * 4096);
                coversLinearly(Decode.firPrefill(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), Precision.BF16).launch(), s,
                        b * 4096 * 127);
                coversLinearly(Decode.modalScan(4096, 16, true, Precision.BF16).launch(), s, b * 4096);

                assertArrayEquals(new long[] {rows, 1, 1}, RmsNorm.generate(4096, 1e-6, Precision.BF16).launch().grid(s), "one block per row");
                // 32 channels x 64 steps per block, one block column per sequence
                long[] conv = CausalConv.direct(new CausalConv.Filter(4096, 128, 256, CausalConv.Taps.FIR, true), Precision.BF16).launch().grid(s);
                assertArrayEquals(new long[] {4096 / 32, Math.ceilDiv(len, 64), b}, conv);
                long[] odd = CausalConv.hyenaCore(new CausalConv.Filter(1920, 7, 128, CausalConv.Taps.XCORR, false), Primitive.IDENTITY, Precision.BF16)
                        .launch().grid(s);
                assertArrayEquals(new long[] {60, Math.ceilDiv(len, 64), b}, odd);
                assertArrayEquals(new long[] {Math.ceilDiv(len, Attention.tile(128)), 32, b}, Attention.generate(32, 128, Precision.BF16).launch().grid(s));
                // Evo 2 7B's 32 heads: 9 splits of the keys per (head, sequence), 288 blocks at B = 1, then a thread per output merges them
                List<GeneratedKernel> attend = Decode.kvAttendStep(32, 128, true, 1, Precision.BF16);
                assertArrayEquals(new long[] {32, b, 9}, attend.getFirst().launch().grid(s));
                coversLinearly(attend.getLast().launch(), s, b * 32 * 128);
                assertArrayEquals(new long[] {32, b, 1}, Decode.kvAttend(32, 128, true, 1, 1, Precision.BF16).launch().grid(s));
                // (sequence, head) along x, so the first blocks launched are the last (longest) query tiles of every head
                assertArrayEquals(new long[] {b * 32, Math.ceilDiv(len, FlashAttention.QUERIES), 1}, FlashAttention.generate(32, 128, Precision.BF16)
                        .launch().grid(s));
                coversLinearly(CausalConv.direct(new CausalConv.Filter(4096, 1000, 256, CausalConv.Taps.FIR, true), Precision.BF16).launch(), s,
                        rows * 4096);
                assertArrayEquals(new long[] {Math.ceilDiv(len, 256), 4096, 1}, ModalFilter.generate(4096, 16, Precision.BF16).launch().grid(s));
            }
        }
    }

    @Test
    void tilesFitSharedMemoryAndBlocksFitTheKernels() {
        for (int d : new int[] {16, 32, 48, 64, 96, 128, 256}) {
            int t = Attention.tile(d);
            assertTrue(t >= 4 && t <= 32 && Integer.bitCount(t) == 1, "tile " + t + " for d = " + d);
            assertTrue(Attention.generate(1, d, Precision.FP32).kernel().sharedBytes() <= 48 * 1024, "d = " + d);
        }
        for (int d : new int[] {64, 128}) {
            var flash = FlashAttention.generate(1, d, Precision.BF16);
            assertEquals(FlashAttention.sharedBytes(d), flash.kernel().sharedBytes(), "d = " + d);
            assertTrue(flash.kernel().sharedBytes() <= 48 * 1024, "static shared memory only: no dynamic shared memory to ask for");
            assertEquals(FlashAttention.THREADS, flash.launch().threadsPerBlock());
        }
        for (int k : new int[] {1, 2, 3, 7, 128, CausalConv.MAX_TAPS}) {
            var f = new CausalConv.Filter(64, k, 4, CausalConv.Taps.FIR, false);
            assertTrue(CausalConv.direct(f, Precision.FP32).kernel().sharedBytes() <= 48 * 1024, "taps " + k);
        }
        for (int k : new int[] {1, 7, 17, BlockedConv.CHUNK}) {
            var f = new CausalConv.Filter(4096, k, 256, CausalConv.Taps.FIR, true);
            for (boolean core : new boolean[] {true, false}) {
                var blocked = core ? BlockedConv.core(f, Primitive.IDENTITY, Precision.BF16) : BlockedConv.conv(f, Precision.BF16);
                assertEquals(BlockedConv.sharedBytes(f, core), blocked.kernel().sharedBytes(), "taps " + k);
                assertTrue(blocked.kernel().sharedBytes() <= 48 * 1024, "static shared memory only, taps " + k);
                assertEquals(BlockedConv.THREADS, blocked.launch().threadsPerBlock());
            }
        }
        var long_ = new CausalConv.Filter(64, CausalConv.MAX_TAPS + 1, 4, CausalConv.Taps.FIR, false);
        assertEquals(0, CausalConv.direct(long_, Precision.FP32).kernel().sharedBytes(), "past the tile limit the direct kernel streams");
        assertEquals(0, CausalConv.hyenaCore(long_, Primitive.IDENTITY, Precision.FP32).kernel().sharedBytes(), "so does the fused core");
        assertEquals(64, RmsNorm.threads(64));
        assertEquals(128, RmsNorm.threads(65));
        assertEquals(32, RmsNorm.threads(1));
        assertEquals(256, RmsNorm.threads(1920));
        // the vector form: threads for the row's 16-byte vectors
        assertEquals(32, RmsNorm.threadsPerRow(64, Precision.BF16));
        assertEquals(256, RmsNorm.threadsPerRow(4096, Precision.BF16));
        assertEquals(64, RmsNorm.threadsPerRow(50, Precision.BF16), "no vectors: a thread per channel");
    }

    @Test
    void everySampleKernelLaunchesWithinLimitsAtTheSampleContext() {
        for (Path sample : Samples.all()) {
            for (KernelSource k : new CudaKernels().all(Samples.graph(sample), Precision.BF16, Samples.everyGroup(Samples.graph(sample)))) {
                for (long len : new long[] {1, 8192, 1L << 20}) {
                    long[] g = k.launch().grid(sizes(8, len));
                    assertTrue(g[0] >= 1 && g[1] >= 1 && g[2] >= 1, k.entry());
                }
                assertEquals(k.launch().threadsPerBlock(), k.launch().blockX() * k.launch().blockY() * k.launch().blockZ());
                // with, for kernels that ask for it, the blocks per multiprocessor their registers are budgeted for
                assertTrue(k.code().contains("__launch_bounds__(" + k.launch().threadsPerBlock() + ")")
                        || k.code().contains("__launch_bounds__(" + k.launch().threadsPerBlock() + ", "), k.entry() + " states its block size");
            }
        }
    }
}
