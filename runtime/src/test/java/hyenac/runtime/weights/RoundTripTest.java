package hyenac.runtime.weights;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoundTripTest {
    @TempDir
    Path dir;

    private static final long[] SHAPE = {2, 3};
    private static final float[] FLOATS = {0f, -1.5f, 3.25f, Float.POSITIVE_INFINITY, -0f, 1024f};  // exact in every float dtype

    @Test
    void everyDTypeRoundTrips() {
        List<TensorData> tensors = List.of(
                TensorData.of("f64", SafetensorsType.F64, SHAPE, FLOATS),
                TensorData.of("f32", SafetensorsType.F32, SHAPE, FLOATS),
                TensorData.of("f16", SafetensorsType.F16, SHAPE, FLOATS),
                TensorData.of("bf16", SafetensorsType.BF16, SHAPE, FLOATS),
                TensorData.of("i64", SafetensorsType.I64, SHAPE, new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}),
                TensorData.of("i32", SafetensorsType.I32, SHAPE, new long[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE}),
                TensorData.of("i16", SafetensorsType.I16, SHAPE, new long[] {Short.MIN_VALUE, -1, 0, 1, 42, Short.MAX_VALUE}),
                TensorData.of("i8", SafetensorsType.I8, SHAPE, new long[] {-128, -1, 0, 1, 42, 127}),
                TensorData.of("u8", SafetensorsType.U8, SHAPE, new long[] {0, 1, 127, 128, 200, 255}),
                TensorData.of("bool", SafetensorsType.BOOL, SHAPE, new long[] {0, 1, 1, 0, 0, 1}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "quotes \" backslash \\ newline \n unicode é 🧬 <tag>");
        Path p = dir.resolve("all.safetensors");
        SafeTensors.write(p, meta, tensors);

        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(meta, f.metadata());
            assertEquals(tensors.stream().map(TensorData::name).toList(), f.names());
            long offset = 0;
            for (TensorData t : tensors) {
                TensorInfo info = f.info(t.name());
                assertEquals(t.dtype(), info.dtype());
                assertArrayEquals(SHAPE, info.shape());
                assertEquals(offset, info.begin(), "laid out contiguously in the given order");
                offset = info.end();
                assertEquals(-1, f.segment(t.name()).mismatch(MemorySegment.ofBuffer(t.data())), t.name());
                if (t.dtype().isFloatingPoint()) assertArrayEquals(FLOATS, f.floats(t.name()), t.name());
            }
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, 1, 42, Long.MAX_VALUE}, f.longs("i64"));
            assertArrayEquals(new long[] {Integer.MIN_VALUE, -1, 0, 1, 42, Integer.MAX_VALUE}, f.longs("i32"));
            assertArrayEquals(new long[] {Short.MIN_VALUE, -1, 0, 1, 42, Short.MAX_VALUE}, f.longs("i16"));
            assertArrayEquals(new long[] {-128, -1, 0, 1, 42, 127}, f.longs("i8"));
            assertArrayEquals(new long[] {0, 1, 127, 128, 200, 255}, f.longs("u8"));
            assertArrayEquals(new long[] {0, 1, 1, 0, 0, 1}, f.longs("bool"));
        }
    }

    @Test
    void narrowDTypesRoundOnWrite() {
        float third = 1f / 3;
        Path p = dir.resolve("round.safetensors");
        SafeTensors.write(p, Map.of(), List.of(
                TensorData.of("h", SafetensorsType.F16, new long[] {1}, new float[] {third}),
                TensorData.of("b", SafetensorsType.BF16, new long[] {1}, new float[] {third}),
                TensorData.of("d", SafetensorsType.F64, new long[] {1}, new float[] {third})));
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(Floats.f16ToFloat(Floats.floatToF16(third)), f.floats("h")[0]);
            assertEquals(Floats.bf16ToFloat(Floats.floatToBf16(third)), f.floats("b")[0]);
            assertEquals(third, f.floats("d")[0]);
        }
    }

    @Test
    void headerIsSpacePaddedToEightBytes() throws IOException {
        for (int extra = 0; extra < 8; extra++) {  // names of 8 lengths hit every padding amount
            Path p = dir.resolve("pad" + extra + ".safetensors");
            SafeTensors.write(p, Map.of(), List.of(TensorData.of("x".repeat(extra + 1), SafetensorsType.F32, new long[] {1}, new float[] {7f})));
            byte[] bytes = Files.readAllBytes(p);
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, n % 8);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.stripTrailing().endsWith("}"), header);
            assertTrue(n - header.stripTrailing().length() < 8, "at most 7 spaces of padding");
            assertEquals(8 + n + 4, bytes.length);
            try (SafeTensorsFile f = SafeTensors.open(p)) {
                assertArrayEquals(new float[] {7f}, f.floats("x".repeat(extra + 1)));
            }
        }
    }

    @Test
    void emptyFileScalarsAndZeroSizedTensors() {
        Path empty = dir.resolve("empty.safetensors");
        SafeTensors.write(empty, Map.of(), List.of());
        try (SafeTensorsFile f = SafeTensors.open(empty)) {
            assertTrue(f.names().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
        Path p = dir.resolve("odd.safetensors");
        SafeTensors.write(p, Map.of(), List.of(
                TensorData.of("scalar", SafetensorsType.F32, new long[] {}, new float[] {2.5f}),
                TensorData.of("none", SafetensorsType.I64, new long[] {3, 0}, new long[] {}),
                TensorData.of("after", SafetensorsType.I8, new long[] {1}, new long[] {-3})));
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(0, f.info("scalar").rank());
            assertArrayEquals(new float[] {2.5f}, f.floats("scalar"));
            assertEquals(0, f.longs("none").length);
            assertEquals(f.info("none").begin(), f.info("after").begin(), "an empty tensor takes no bytes");
            assertArrayEquals(new long[] {-3}, f.longs("after"));
        }
    }

    @Test
    void headerOrderIsKeptNotSorted() {
        Path p = dir.resolve("order.safetensors");
        List<String> names = List.of("zeta", "alpha", "mid.2", "mid.10", "Beta");
        List<TensorData> tensors = new ArrayList<>();
        for (String n : names) tensors.add(TensorData.of(n, SafetensorsType.F32, new long[] {1}, new float[] {n.length()}));
        SafeTensors.write(p, Map.of(), tensors);
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals(names, f.names());
            assertEquals(names, List.copyOf(f.tensors().keySet()));
        }
    }

    @Test
    void vortexFileRewritesToTheSameContent() throws IOException {
        Path src = TestFiles.vortexDir().resolve("model_forward_L128.safetensors");
        Path copy = dir.resolve("copy.safetensors");
        try (SafeTensorsFile f = SafeTensors.open(src)) {
            List<TensorData> tensors = f.names().stream().map(n -> {
                TensorInfo t = f.info(n);
                return new TensorData(n, t.dtype(), t.shape(), f.segment(n).asByteBuffer());
            }).toList();
            SafeTensors.write(copy, f.metadata(), tensors);
            try (SafeTensorsFile g = SafeTensors.open(copy)) {
                assertEquals(f.metadata(), g.metadata());
                assertEquals(f.names(), g.names());
                for (String n : f.names()) {
                    assertEquals(f.info(n), g.info(n), "same layout, since the source is contiguous in header order");
                    assertEquals(-1, f.segment(n).mismatch(g.segment(n)), n);
                }
            }
        }
        assertEquals(Files.size(src), Files.size(copy), "same header size after padding, same data");
    }

    @Test
    void overwriteIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafeTensors.write(p, Map.of("v", "1"), List.of(TensorData.of("x", SafetensorsType.F32, new long[] {2}, new float[] {1, 2})));
        try (SafeTensorsFile old = SafeTensors.open(p)) {
            SafeTensors.write(p, Map.of("v", "2"), List.of(TensorData.of("x", SafetensorsType.F32, new long[] {2}, new float[] {3, 4})));
            // The rename replaced the directory entry; the open mapping still sees the old file intact.
            assertArrayEquals(new float[] {1, 2}, old.floats("x"));
        }
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertEquals("2", f.metadata().get("v"));
            assertArrayEquals(new float[] {3, 4}, f.floats("x"));
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList());
        }
    }

    /** Offsets past 2 GiB work because the whole file is one long memory segment. Sparse: costs no disk. */
    @Test
    void filesLargerThanTwoGiB() throws IOException {
        long big = (1L << 31) + 16;
        String json = "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header);
            f.write(b.array());
            f.seek(8 + header.length + big);
            f.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array());
        }
        try (SafeTensorsFile f = SafeTensors.open(p)) {
            assertArrayEquals(new float[] {1.5f, -2f}, f.floats("tail"));
            assertEquals(big, f.segment("big").byteSize());
            var e = assertThrows(WeightsException.class, () -> f.longs("big"));
            assertTrue(e.getMessage().contains("\"big\" has 2147483664 elements, too many for one Java array"), e.getMessage());
        }
    }

    @Test
    void writeRejectsInconsistentTensors() throws IOException {
        Path p = dir.resolve("bad.safetensors");
        TensorData ok = TensorData.of("a", SafetensorsType.F32, new long[] {2}, new float[] {1, 2});
        assertWriteFails(p, "\"a\": name given twice", List.of(ok, ok));
        assertWriteFails(p, "\"b\": shape [3] of F32 needs 12 bytes but 8 were given",
                List.of(TensorData.of("b", SafetensorsType.F32, new long[] {3}, new float[] {1, 2})));
        assertWriteFails(p, "\"__metadata__\": that name is reserved",
                List.of(TensorData.of("__metadata__", SafetensorsType.F32, new long[] {1}, new float[] {1})));
        assertWriteFails(p, "\"n\": negative dimension",
                List.of(new TensorData("n", SafetensorsType.U8, new long[] {-1}, ByteBuffer.allocate(0))));
        assertThrows(IllegalArgumentException.class, () -> TensorData.of("c", SafetensorsType.I8, new long[] {1}, new long[] {128}));
        assertThrows(IllegalArgumentException.class, () -> TensorData.of("c", SafetensorsType.BOOL, new long[] {1}, new long[] {2}));
        assertThrows(IllegalArgumentException.class, () -> TensorData.of("c", SafetensorsType.I32, new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class, () -> TensorData.of("c", SafetensorsType.F32, new long[] {1}, new long[] {1}));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "a refused write leaves nothing behind");
        }
        var e = assertThrows(WeightsException.class, () -> SafeTensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of(), List.of(ok)));
        assertTrue(e.getMessage().contains("x.safetensors: cannot write"), e.getMessage());
    }

    private static void assertWriteFails(Path p, String expected, List<TensorData> tensors) {
        var e = assertThrows(WeightsException.class, () -> SafeTensors.write(p, Map.of(), tensors));
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
