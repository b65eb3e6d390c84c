package org.slim4j.convert;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.eval.LogitMath;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;

class GgufToHfTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_K_M"})
    void convertedFolderGivesTheGgufLogits(String type) {
        GgufToHf.convert(Fixtures.gguf(type), tmp);
        int[] tokens = Fixtures.promptTokens();
        try (LlamaModel m = LlamaLoader.load(tmp)) {
            // Loaded as HF: rotate-half RoPE on un-permuted Q/K rows must reproduce the GGUF's exact logits.
            assertEquals(LlamaConfig.RopeLayout.ROTATE_HALF, m.config().ropeLayout());
            assertTrue(m.config().tiedEmbeddings());
            assertArrayEquals(tokens, m.tokenizer().encode(Fixtures.prompt(), false));
            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact-" + type + ".f32"), m.logits(tokens));
            assertTrue(d <= 2e-3, type + ": max |delta| " + d);
        }
    }
}
