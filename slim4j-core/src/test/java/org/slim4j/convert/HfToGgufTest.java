package org.slim4j.convert;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.eval.LogitMath;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Tensor;
import org.slim4j.testutil.Fixtures;

class HfToGgufTest {
    @TempDir
    Path tmp;

    @Test
    void convertedGgufGivesTheReferenceLogitsAndLlamaCppsTokenizerKeys() {
        Path out = tmp.resolve("tiny.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, out, null);
        int[] tokens = Fixtures.promptTokens();
        try (LlamaModel m = LlamaLoader.load(out)) {
            assertEquals(LlamaConfig.RopeLayout.ADJACENT_PAIRS, m.config().ropeLayout());
            assertEquals(DType.BF16, m.weights().layers()[0].wq().dtype());
            assertArrayEquals(tokens, m.tokenizer().encode(Fixtures.prompt(), true));
            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact.f32"), m.logits(tokens));
            assertTrue(d <= 2e-3, "max |delta| " + d);
        }
        try (GgufFile ours = GgufFile.open(out); GgufFile cpp = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            for (String k : new String[] {"tokenizer.ggml.tokens", "tokenizer.ggml.merges"}) {
                assertEquals(cpp.strings(k), ours.strings(k), k);
            }
            assertArrayEquals(cpp.ints("tokenizer.ggml.token_type"), ours.ints("tokenizer.ggml.token_type"));
            for (String k : new String[] {"tokenizer.ggml.model", "tokenizer.ggml.pre", "general.architecture"}) {
                assertEquals(cpp.string(k), ours.string(k), k);
            }
            for (String k : new String[] {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "llama.block_count",
                    "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count",
                    "llama.attention.head_count_kv", "llama.rope.dimension_count", "llama.context_length"}) {
                assertEquals(cpp.integer(k), ours.integer(k), k);
            }
            assertEquals(cpp.float32("llama.rope.freq_base"), ours.float32("llama.rope.freq_base"));
            assertEquals(cpp.float32("llama.attention.layer_norm_rms_epsilon"), ours.float32("llama.attention.layer_norm_rms_epsilon"));
            assertTrue(ours.find("output.weight").isEmpty());
        }
    }

    @Test
    void roundTripThroughGgufRestoresEveryMatrixByte() {
        Path gguf = tmp.resolve("rt.gguf");
        Path back = tmp.resolve("back");
        HfToGguf.convert(Fixtures.TINY_LLAMA, gguf, null);
        GgufToHf.convert(gguf, back);
        try (SafetensorsFile orig = SafetensorsFile.open(Fixtures.TINY_LLAMA); SafetensorsFile rt = SafetensorsFile.open(back)) {
            assertEquals(orig.tensors().size(), rt.tensors().size());
            for (Tensor t : orig.tensors()) {
                Tensor u = rt.tensor(t.name());
                assertArrayEquals(t.shape(), u.shape(), t.name());
                if (t.shape().length == 2) {
                    // The inverse permutation must undo the forward one exactly (Q/K included).
                    assertEquals(-1, t.data().mismatch(u.data()), t.name());
                } else {
                    assertEquals(DType.F32, u.dtype()); // 1-D tensors go to GGUF as F32, exact for BF16 values
                    assertArrayEquals(org.slim4j.tensor.Dequant.toFloats(t), org.slim4j.tensor.Dequant.toFloats(u), t.name());
                }
            }
        }
        assertTrue(Files.isRegularFile(back.resolve("tokenizer.json")));
        try (LlamaModel m = LlamaLoader.load(back)) {
            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact.f32"), m.logits(Fixtures.promptTokens()));
            assertTrue(d <= 2e-3, "max |delta| " + d);
            assertArrayEquals(Fixtures.promptTokens(), m.tokenizer().encode(Fixtures.prompt(), true));
        }
    }

    @Test
    void f16MatricesStayCloseToReference() {
        Path out = tmp.resolve("f16.gguf");
        HfToGguf.convert(Fixtures.TINY_LLAMA, out, DType.F16);
        try (LlamaModel m = LlamaLoader.load(out)) {
            assertEquals(DType.F16, m.weights().layers()[0].wq().dtype());
            // F16 has more mantissa bits than BF16, so only tiny (subnormal) or huge weights change.
            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact.f32"), m.logits(Fixtures.promptTokens()));
            assertTrue(d <= 2e-3, "max |delta| " + d);
        }
    }
}
