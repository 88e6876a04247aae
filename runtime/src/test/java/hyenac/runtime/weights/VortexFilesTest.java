package hyenac.runtime.weights;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads the vortex reference files. Other reference sets with other sizes exist, so expected shapes are
 * derived from each file's own metadata (its "config" and "L") rather than hard-coded.
 */
class VortexFilesTest {

    static Stream<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(TestFiles.vortexDir())) {
            List<Path> all = s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
            assertFalse(all.isEmpty(), "no .safetensors files in " + TestFiles.vortexDir());
            return all.stream();
        }
    }

    private static long headerLength(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return b.getLong(0);
        }
    }

    private static SafeTensorsFile open(String name) {
        return SafeTensors.open(TestFiles.vortexDir().resolve(name));
    }

    private static JsonObject config(SafeTensorsFile f) {
        return JsonParser.parseString(f.metadata().get("config")).getAsJsonObject();
    }

    @ParameterizedTest
    @MethodSource("files")
    void everyTensorReadsWithItsDeclaredSize(Path path) throws IOException {
        try (SafeTensorsFile f = SafeTensors.open(path)) {
            assertFalse(f.names().isEmpty());
            assertTrue(f.metadata().containsKey("case"), "metadata has a case");
            assertEquals("vortex-golden-v1", f.metadata().get("format"));
            long dataEnd = 0;
            for (String name : f.names()) {
                TensorInfo t = f.info(name);
                assertEquals(t.elementCount() * t.dtype().byteSize(), f.segment(name).byteSize(), name);
                dataEnd = Math.max(dataEnd, t.end());
                switch (t.dtype()) {
                    case F32 -> {
                        float[] v = f.floats(name);
                        assertEquals(t.elementCount(), v.length, name);
                        for (float x : v) assertTrue(Float.isFinite(x), name + " holds a non-finite value");
                    }
                    case I64 -> assertEquals(t.elementCount(), f.longs(name).length, name);
                    default -> throw new AssertionError(name + ": README promises only F32 and I64, found " + t.dtype());
                }
            }
            // The tensors reach the end of the file exactly, and the header is padded to 8 bytes.
            long headerLength = headerLength(path);
            assertEquals(Files.size(path), 8 + headerLength + dataEnd);
            assertEquals(0, headerLength % 8);
        }
    }

    @Test
    void modelWeights() {
        try (SafeTensorsFile f = open("model_weights.safetensors")) {
            JsonObject c = config(f);
            long vocab = c.get("vocab_size").getAsLong(), d = c.get("hidden_size").getAsLong();
            assertEquals("model_weights", f.metadata().get("case"));
            TensorInfo emb = f.info("embedding_layer.weight");
            assertEquals(SafetensorsType.F32, emb.dtype());
            assertArrayEquals(new long[] {vocab, d}, emb.shape());
            assertArrayEquals(new long[] {d}, f.info("norm.scale").shape());
            assertTrue(f.names().contains("blocks.0.mlp.l1.weight"));
            // Names come in header order (this writer sorted them).
            assertEquals(f.names().stream().sorted().toList(), f.names());
            var e = assertThrows(WeightsException.class, () -> f.longs("norm.scale"));
            assertTrue(e.getMessage().contains("\"norm.scale\" is F32"), e.getMessage());
            e = assertThrows(WeightsException.class, () -> f.info("no.such.tensor"));
            assertTrue(e.getMessage().contains("model_weights.safetensors") && e.getMessage().contains("no.such.tensor"));
        }
    }

    @Test
    void modelForwardTokens() {
        try (SafeTensorsFile f = open("model_forward_L128.safetensors")) {
            long len = Long.parseLong(f.metadata().get("L"));
            TensorInfo tokens = f.info("input.tokens");
            assertEquals(SafetensorsType.I64, tokens.dtype());
            assertEquals(2, tokens.rank());
            assertEquals(len, tokens.shape()[1]);
            long batch = tokens.shape()[0];
            long[] ids = f.longs("input.tokens");
            // README: row 0 is DNA (A C G T = 65 67 71 84), row 1 is arbitrary bytes.
            for (int i = 0; i < len; i++) {
                assertTrue(List.of(65L, 67L, 71L, 84L).contains(ids[i]), "DNA token " + ids[i]);
                assertTrue(ids[(int) len + i] >= 0 && ids[(int) len + i] <= 255);
            }
            JsonObject c = config(f);
            assertArrayEquals(new long[] {batch, len, c.get("vocab_size").getAsLong()}, f.info("output.logits").shape());
            assertArrayEquals(new long[] {batch, len, c.get("hidden_size").getAsLong()}, f.info("inter.hidden.embed").shape());
            var e = assertThrows(WeightsException.class, () -> f.floats("input.tokens"));
            assertTrue(e.getMessage().contains("\"input.tokens\" is I64"), e.getMessage());
        }
    }

    @Test
    void opFileMetadata() {
        try (SafeTensorsFile f = open("op_hyena_se_L96.safetensors")) {
            assertEquals("hyena_se", f.metadata().get("case"));
            assertEquals("0", f.metadata().get("layer_idx"));
            long d = config(f).get("hidden_size").getAsLong();
            long len = Long.parseLong(f.metadata().get("L")), batch = Long.parseLong(f.metadata().get("B"));
            assertArrayEquals(new long[] {batch, len, d}, f.info("input.u").shape());
            assertArrayEquals(new long[] {3 * d, d}, f.info("blocks.0.projections.weight").shape());
            // A float read through floats() matches the raw little-endian bytes.
            float[] h = f.floats("blocks.0.filter.h");
            assertEquals(Float.intBitsToFloat(f.segment("blocks.0.filter.h").get(
                    ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4)), h[1]);
        }
    }
}
