package org.slim4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;
import org.slim4j.testutil.TinyLlamaF32;

/**
 * The outside reference: llama.cpp's llama-quantize output for tiny-llama-rand. Every quantized tensor of each
 * fixture GGUF (Q8_0, Q4_0, Q6_K pure; Q4_K_M's Q4_K and Q6_K tensors) is re-encoded here from the same F32
 * weights and must equal the fixture's bytes block for block.
 */
class BlockEncoderFixtureTest {
    private static Map<String, float[]> weights;

    @BeforeAll
    static void load() {
        weights = TinyLlamaF32.matrices();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void everyTensorIsBitIdenticalToLlamaCpp(String fixture) {
        List<String> differing = new ArrayList<>();
        int checked = 0;
        try (GgufFile g = GgufFile.open(Fixtures.gguf(fixture))) {
            for (Tensor t : g.tensors()) {
                if (!t.dtype().isQuantized()) continue;
                float[] x = weights.get(t.name());
                assertNotNull(x, t.name());
                assertEquals(t.elements(), x.length, t.name());
                MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(t.data().byteSize())]);
                BlockCodecs.encoder(t.dtype()).encode(x, 0, out, 0, x.length);
                int bb = t.dtype().blockBytes, blocks = x.length / t.dtype().blockSize, bad = 0;
                for (long k = 0; k < blocks; k++) {
                    if (MemorySegment.mismatch(out, k * bb, (k + 1) * bb, t.data(), k * bb, (k + 1) * bb) >= 0) bad++;
                }
                if (bad > 0) differing.add(t.name() + " " + t.dtype() + ": " + bad + "/" + blocks + " blocks");
                checked++;
            }
        }
        assertEquals(29, checked, "quantized tensors in " + fixture);
        assertEquals(List.of(), differing);
    }
}
