package hyenac.runtime.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.ir.Graph;
import hyenac.ir.Weight;
import hyenac.runtime.progress.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bf16 model's weights held as bf16: drawn, loaded (mapped when the file holds bf16), sized before they are made. */
class Bf16WeightsTest {
    static final String PROJ = "layers.0.mixer.proj_in.weight";

    /** Weights as a bf16 model declares them (filters fp32), or all fp32; the projection spans two random blocks. */
    static Graph model(hyenac.ir.DType dtype) {
        Graph.Builder b = new Graph.Builder();
        b.weight(new Weight("embedding.weight", dtype, List.of(100L, 48L), "row-major"));
        b.weight(new Weight(PROJ, dtype, List.of(1100L, 1024L), "row-major"));
        b.weight(new Weight("layers.0.pre_norm.scale", dtype, List.of(64L), "row-major"));
        b.weight(new Weight("layers.1.mixer.filter.weight", hyenac.ir.DType.FP32, List.of(8L, 16L), "row-major"));
        b.weight(new Weight("layers.1.mixer.filter.skip", hyenac.ir.DType.FP32, List.of(64L), "row-major"));
        return b.build();
    }

    static final Graph BF16 = model(hyenac.ir.DType.BF16), FP32 = model(hyenac.ir.DType.FP32);
    static final long BF16_ELEMENTS = 100 * 48 + 1100 * 1024 + 64, FP32_ELEMENTS = 8 * 16 + 64;

    static boolean declaredBf16(String name) { return BF16.weights().get(name).dtype() == hyenac.ir.DType.BF16; }

    @Test
    void randomBf16WeightsTakeTwoBytesAndAreTheRoundedFp32Draws() {
        WeightStore bf16 = WeightStore.random(BF16, 5), fp32 = WeightStore.random(FP32, 5);
        assertEquals(2 * BF16_ELEMENTS + 4 * FP32_ELEMENTS, bf16.bytes());
        assertEquals(4 * (BF16_ELEMENTS + FP32_ELEMENTS), fp32.bytes());
        for (String name : BF16.weights().keySet()) {
            if (declaredBf16(name)) {
                assertInstanceOf(HostTensor.Bf16.class, bf16.tensor(name), name);
                assertArrayEquals(Floats.roundedToBf16(fp32.get(name)), bf16.get(name), name);
            } else {
                assertInstanceOf(HostTensor.Fp32.class, bf16.tensor(name), name);
                assertArrayEquals(fp32.get(name), bf16.get(name), name);
            }
            // what GPU checks compare against is unchanged: every weight rounded, filters too
            assertArrayEquals(fp32.roundedToBf16().get(name), bf16.roundedToBf16().get(name), name);
        }
        WeightStore asFp32 = WeightStore.random(BF16, 5, WeightStore.Options.defaults().storingFp32());
        for (String name : BF16.weights().keySet()) assertArrayEquals(fp32.get(name), asFp32.get(name), name);
    }

    @Test
    void weightsThatCannotFitAreRefusedBeforeTheyAreDrawn() {
        long heap = WeightStore.heapBytes(BF16, WeightStore.Options.defaults());
        assertEquals(2 * BF16_ELEMENTS + 4 * FP32_ELEMENTS, heap);
        long needed = WeightStore.memoryNeeded(heap);
        var e = assertThrows(NotEnoughMemoryException.class,
                () -> WeightStore.random(BF16, 5, WeightStore.Options.defaults().withMemoryLimit(needed - 1)));
        assertEquals(needed, e.needed());
        assertEquals(needed - 1, e.available());
        assertTrue(e.getMessage().startsWith("random weights (bf16, filters fp32) take 0.0 GiB") && e.getMessage().contains("this JVM may use only")
                && e.getMessage().contains("-Xmx"), e.getMessage());
        WeightStore.random(BF16, 5, WeightStore.Options.defaults().withMemoryLimit(needed));
        // the estimate is in the storage dtype: fp32 needs twice the bytes
        assertThrows(NotEnoughMemoryException.class, () -> WeightStore.random(FP32, 5, WeightStore.Options.defaults().withMemoryLimit(needed)));
    }

    @Test
    void aBf16FileIsMappedNotCopiedAndOutlivesTheOpenFile(@TempDir Path dir) {
        WeightStore drawn = WeightStore.random(BF16, 6);
        Path file = dir.resolve("w.safetensors");
        saveAsDeclared(drawn, file);
        long filtersOnly = WeightStore.memoryNeeded(4 * FP32_ELEMENTS);
        WeightStore loaded;
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            loaded = WeightStore.load(f, BF16, WeightStore.Options.defaults().withMemoryLimit(filtersOnly));
        }
        for (String name : BF16.weights().keySet()) {
            if (declaredBf16(name)) assertTrue(((HostTensor.Bf16) loaded.tensor(name)).bits().isNative(), name + " is read from the mapped file");
            assertArrayEquals(drawn.get(name), loaded.get(name), name);
        }
        // the same weights from an fp32 file are copied (rounded) onto the heap: that needs the room
        Path fp32File = dir.resolve("fp32.safetensors");
        drawn.save(fp32File, BF16, Map.of());
        try (SafeTensorsFile f = SafeTensors.open(fp32File)) {
            assertThrows(NotEnoughMemoryException.class, () -> WeightStore.load(f, BF16, WeightStore.Options.defaults().withMemoryLimit(filtersOnly)));
            WeightStore copied = WeightStore.load(f, BF16);
            assertFalse(((HostTensor.Bf16) copied.tensor(PROJ)).bits().isNative());
            for (String name : BF16.weights().keySet()) assertArrayEquals(drawn.get(name), copied.get(name), name);
        }
    }

    @Test
    void drawingAndLoadingReportProgressInWeights(@TempDir Path dir) {
        Counting p = new Counting();
        WeightStore drawn = WeightStore.random(BF16, 7, WeightStore.Options.defaults().withProgress(p));
        assertEquals(List.of("drawing random weights/weights/" + (BF16_ELEMENTS + FP32_ELEMENTS)), p.started);
        assertEquals(BF16_ELEMENTS + FP32_ELEMENTS, p.advanced.get());
        assertEquals(1, p.closed.get());
        Path file = dir.resolve("w.safetensors");
        drawn.save(file, BF16, Map.of());
        Counting q = new Counting();
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            WeightStore.load(f, BF16, WeightStore.Options.defaults().withProgress(q));
        }
        assertEquals(List.of("loading weights/weights/" + (BF16_ELEMENTS + FP32_ELEMENTS)), q.started);
        assertEquals(BF16_ELEMENTS + FP32_ELEMENTS, q.advanced.get());
        assertEquals(1, q.closed.get());
    }

    @Test
    void aNonFiniteWeightInAFileIsNamedWithItsIndex(@TempDir Path dir) {
        WeightStore drawn = WeightStore.random(FP32, 8);
        float[] proj = drawn.get(PROJ);
        proj[3 * 1024 + 5] = Float.NaN;
        proj[7 * 1024] = Float.POSITIVE_INFINITY;  // later: the first one is reported
        Path file = dir.resolve("nan.safetensors");
        drawn.save(file, FP32, Map.of());
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            for (Graph g : List.of(FP32, BF16)) {
                var e = assertThrows(WeightsException.class, () -> WeightStore.load(f, g));
                assertEquals(file + ": tensor \"" + PROJ + "\" holds NaN at index 3077 [3, 5]; every weight must be a finite number"
                        + " (a damaged file, or a checkpoint of a run that diverged?)", e.getMessage());
                WeightStore unchecked = WeightStore.load(f, g, WeightStore.Options.defaults().withoutFiniteCheck());
                assertTrue(Float.isNaN(unchecked.get(PROJ)[3077]));
            }
        }
        // bf16 in the file, read through the mapping: the same check
        Path bf16File = dir.resolve("inf.safetensors");
        saveAsDeclared(WeightStore.random(BF16, 8), bf16File, PROJ, 1100L * 1024 - 1, Float.NEGATIVE_INFINITY);
        try (SafeTensorsFile f = SafeTensors.open(bf16File)) {
            var e = assertThrows(WeightsException.class, () -> WeightStore.load(f, BF16));
            assertTrue(e.getMessage().contains("\"" + PROJ + "\" holds -Infinity at index 1126399 [1099, 1023]"), e.getMessage());
            assertEquals(Float.NEGATIVE_INFINITY, WeightStore.load(f, BF16, WeightStore.Options.defaults().withoutFiniteCheck()).get(PROJ)[1126399]);
        }
    }

    @Test
    void aNonFiniteWeightInAVortexCheckpointNamesTheCheckpointsTensor(@TempDir Path dir) {
        Graph.Builder b = new Graph.Builder();
        b.weight(new Weight("embedding.weight", hyenac.ir.DType.BF16, List.of(4L, 3L), "row-major"));
        Graph g = b.build();
        float[] table = new float[12];
        table[10] = Float.NaN;
        Path file = dir.resolve("vortex.safetensors");
        SafeTensors.write(file, Map.of(), List.of(TensorData.of("embedding_layer.weight", SafetensorsType.F32, new long[] {4, 3}, table)));
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            var e = assertThrows(WeightsException.class, () -> WeightStore.fromVortex(f, g, i -> i));
            assertTrue(e.getMessage().startsWith(file + ": tensor \"embedding_layer.weight\" (our embedding.weight) holds NaN at index 10 [3, 1]"),
                    e.getMessage());
            WeightStore.fromVortex(f, g, i -> i, name -> true, WeightStore.Options.defaults().withoutFiniteCheck());
        }
    }

    /** Writes {@code w} with each weight in its declared dtype (bf16 ones as BF16), optionally one number replaced. */
    static void saveAsDeclared(WeightStore w, Path file, Object... replace) {
        List<TensorData> list = new ArrayList<>();
        for (Weight x : BF16.weights().values()) {
            float[] v = w.get(x.name());
            if (replace.length == 3 && replace[0].equals(x.name())) v[Math.toIntExact((Long) replace[1])] = (Float) replace[2];
            long[] shape = x.shape().stream().mapToLong(Long::longValue).toArray();
            list.add(TensorData.of(x.name(), x.dtype() == hyenac.ir.DType.BF16 ? SafetensorsType.BF16 : SafetensorsType.F32, shape, v));
        }
        SafeTensors.write(file, Map.of(), list);
    }

    /** Records what a task reports. */
    static final class Counting implements Progress {
        final List<String> started = new ArrayList<>();
        final AtomicLong advanced = new AtomicLong(), closed = new AtomicLong();

        @Override public Task start(String what, long total, String unit) {
            started.add(what + "/" + unit + "/" + total);
            return new Task() {
                @Override public void advance(long units) { advanced.addAndGet(units); }
                @Override public void close() { closed.incrementAndGet(); }
            };
        }
    }
}
