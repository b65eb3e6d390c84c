package org.slim4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

class GgufFileTest {

    @Test
    void fixtureMetadataMatchesTheModel() {
        for (String type : Fixtures.GGUF_TYPES) {
            try (GgufFile f = GgufFile.open(Fixtures.gguf(type))) {
                assertEquals(3, f.version(), type);
                assertEquals("llama", f.string("general.architecture"));
                assertEquals(256, f.integer("llama.embedding_length"));
                assertEquals(4, f.integer("llama.block_count"));
                assertEquals(768, f.integer("llama.feed_forward_length"));
                assertEquals(4, f.integer("llama.attention.head_count"));
                assertEquals(2, f.integer("llama.attention.head_count_kv"));
                assertEquals(100000f, f.float32("llama.rope.freq_base"));
                assertEquals(1e-5f, f.float32("llama.attention.layer_norm_rms_epsilon"));
                assertEquals(GgufValueType.UINT32, f.typeOf("llama.block_count"));
                List<String> tokens = f.strings("tokenizer.ggml.tokens");
                assertEquals(49152, tokens.size());
                assertEquals(GgufValueType.STRING, f.array("tokenizer.ggml.tokens").elementType());
                assertEquals(49152, f.ints("tokenizer.ggml.token_type").length);
                assertEquals("gpt2", f.string("tokenizer.ggml.model"));
                assertEquals(f.alignment(), f.optInteger("general.alignment").orElse(32));
                assertTrue(f.dataOffset() % f.alignment() == 0);
            }
        }
    }

    @Test
    void tensorShapesAreInNumpyOrder() {
        try (GgufFile f = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            assertEquals(4 * 9 + 2, f.tensors().size());
            Tensor emb = f.tensor("token_embd.weight");
            assertArrayEquals(new long[] {49152, 256}, emb.shape());
            assertEquals(DType.Q8_0, emb.dtype());
            assertEquals(49152L * 256 / 32 * 34, emb.data().byteSize());
            Tensor down = f.tensor("blk.0.ffn_down.weight");
            assertArrayEquals(new long[] {256, 768}, down.shape());
            Tensor k = f.tensor("blk.0.attn_k.weight");
            assertArrayEquals(new long[] {128, 256}, k.shape());
            Tensor norm = f.tensor("output_norm.weight");
            assertArrayEquals(new long[] {256}, norm.shape());
            assertEquals(DType.F32, norm.dtype());
        }
    }

    @Test
    void typedGettersRejectTheWrongType() {
        try (GgufFile f = GgufFile.open(Fixtures.gguf("Q4_0"))) {
            var e = assertThrows(org.slim4j.util.BadInputException.class, () -> f.string("llama.block_count"));
            assertTrue(e.getMessage().contains("tiny-llama-rand-Q4_0.gguf"), e.getMessage());
            assertTrue(e.getMessage().contains("llama.block_count"), e.getMessage());
            assertThrows(org.slim4j.util.BadInputException.class, () -> f.integer("no.such.key"));
            assertTrue(f.optString("no.such.key").isEmpty());
        }
    }
}
