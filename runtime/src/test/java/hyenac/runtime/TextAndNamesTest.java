package hyenac.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import hyenac.runtime.text.ByteTokenizer;
import hyenac.runtime.text.Sampler;
import hyenac.runtime.weights.VortexNames;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TextAndNamesTest {
    @Test
    void bytesRoundTripIncludingNonAscii() {
        String text = "ACGT ünï 🧬";
        long[] ids = ByteTokenizer.encode(text);
        assertEquals(65, ids[0]);
        assertEquals(text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ids.length);
        assertEquals(text, ByteTokenizer.decode(ids));
        assertEquals("A", ByteTokenizer.decode(new long[] {65, 300, 511}), "ids above 255 carry no text");
    }

    @Test
    void greedyTakesTheFirstLargest() {
        float[] logits = {0.5f, 2f, 2f, -1f};
        assertEquals(1, Sampler.greedy().next(logits, 0, 4));
    }

    @Test
    void topKAndTopPOnlyEverPickFromTheirSets() {
        float[] logits = {5f, 4f, 3f, -10f, -10f};
        Sampler topK = new Sampler(1.0, 2, 1.0, 7);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) seen.add(topK.next(logits, 0, 5));
        assertEquals(Set.of(0, 1), seen);
        Sampler topP = new Sampler(1.0, 0, 0.5, 7);
        for (int i = 0; i < 200; i++) assertEquals(0, topP.next(logits, 0, 5), "token 0 alone holds > 50% of the mass");
        Sampler a = new Sampler(0.8, 0, 0.95, 42);
        Sampler b = new Sampler(0.8, 0, 0.95, 42);
        for (int i = 0; i < 100; i++) assertEquals(a.next(logits, 0, 5), b.next(logits, 0, 5), "same seed, same tokens");
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1, 0, 0, 1));
    }

    @Test
    void vortexNamesFollowTheCheckpointLayout() {
        var se = VortexNames.source("layers.0.mixer.filter.weight", i -> i, false).orElseThrow();
        assertEquals("blocks.0.filter.h", se.key());
        var attn = VortexNames.source("layers.0.mixer.proj_out.bias", i -> i + 3, true).orElseThrow();
        assertEquals("blocks.3.inner_mha_cls.out_proj.bias", attn.key());
        var hyena = VortexNames.source("layers.2.mixer.proj_out.bias", i -> i, false).orElseThrow();
        assertEquals("blocks.2.out_filter_dense.bias", hyena.key());
        assertEquals("embedding_layer.weight", VortexNames.source("embedding.weight", i -> i, false).orElseThrow().key());
        assertTrue(VortexNames.source("layers.0.mixer.custom.weight", i -> i, false).isEmpty());
    }

    @Test
    void qkvRowsMoveFromPerHeadToPerKind() {
        int heads = 2, hd = 2, width = 1;
        // Checkpoint rows: h0:q0 q1 k0 k1 v0 v1, h1:q0 q1 k0 k1 v0 v1 (values name their row).
        float[] ckpt = {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15};
        float[] ours = VortexNames.qkvByKind(ckpt, heads, hd, width);
        assertArrayEquals(new float[] {0, 1, 10, 11, 2, 3, 12, 13, 4, 5, 14, 15}, ours);
    }
}
