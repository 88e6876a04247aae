package hyenac.runtime.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same content gives the same bytes, whatever order the metadata map iterates in (Map.of's changes between runs). */
class DeterministicWriteTest {
    @Test
    void metadataIsWrittenInKeyOrder(@TempDir Path dir) throws Exception {
        List<TensorData> tensors = List.of(TensorData.of("w", SafetensorsType.F32, new long[] {2}, new float[] {1, 2}));
        Map<String, String> one = new LinkedHashMap<>(), other = new LinkedHashMap<>();
        one.put("format", "pt");
        one.put("hyenac", "0.1");
        one.put("seed", "7");
        other.put("seed", "7");
        other.put("hyenac", "0.1");
        other.put("format", "pt");
        SafeTensors.write(dir.resolve("a.safetensors"), one, tensors);
        SafeTensors.write(dir.resolve("b.safetensors"), other, tensors);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.safetensors")), Files.readAllBytes(dir.resolve("b.safetensors")));
    }
}
