package hyenac.runtime.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorDataTest {
    @Test
    void aTensorPastOneBufferIsNamedWithWhatToDo() {
        assertEquals(1 << 30, TensorData.bytes("w", 1L << 29, SafetensorsType.BF16));
        // 600M fp32 values: 2.4 GB, past what one buffer holds (the multiplication once overflowed without a word)
        var e = assertThrows(IllegalArgumentException.class, () -> TensorData.bytes("layers.0.mlp.w1.weight", 600_000_000L, SafetensorsType.F32));
        assertTrue(e.getMessage().startsWith("tensor \"layers.0.mlp.w1.weight\": 600000000 values of F32 take 2400000000 bytes")
                && e.getMessage().contains("bf16"), e.getMessage());
    }
}
