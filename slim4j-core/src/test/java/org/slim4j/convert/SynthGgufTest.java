package org.slim4j.convert;

import org.slim4j.tensor.kernel.EngineOptions;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.eval.LogitMath;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.LlamaFileType;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.Generator;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.Sampler;
import org.slim4j.testutil.Fixtures;

/** synth output loads back with the right shape and types, tokenizes, and the fast path agrees with the exact one on it. */
class SynthGgufTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0", "Q4_0", "Q4_K_M"})
    void tinyShapeLoadsBackAndRuns(String type) {
        Path out = dir.resolve("tiny-" + type + ".gguf");
        SynthGguf.write(SynthGguf.Shape.TINY, LlamaFileType.byName(type), 1, Fixtures.gguf("Q8_0"), out);
        try (GgufFile g = GgufFile.open(out)) {
            // the tiny shape's rows (64) are not whole 256-blocks: k-quant matrices take the Q8_0 fallback, as llama.cpp's do
            var want = LlamaFileType.byName(type).matrixType;
            assertEquals(want.blockSize > 64 ? org.slim4j.tensor.DType.Q8_0 : want, g.tensor("blk.0.ffn_up.weight").dtype());
            assertEquals(49152, g.strings("tokenizer.ggml.tokens").size());
        }
        try (LlamaModel m = LlamaLoader.load(out); FastLlama fast = new FastLlama(m, EngineOptions.defaults().withThreads(2).withAct8(false), false)) { // float activations: tokens must equal the exact path's
            assertEquals(64, m.config().hidden());
            int[] prompt = m.tokenizer().encode("Hello world", true);
            assertTrue(prompt.length > 0);
            float[] a = m.logits(prompt), b = fast.logits(prompt);
            assertTrue(LogitMath.maxAbsDiff(a, b) <= 1e-3);
            assertArrayEquals(new Generator(m).generate(prompt, 6, Sampler.greedy()), new Generator(fast).generate(prompt, 6, Sampler.greedy()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2.5-0.5b", "llama-3.2-1b", "smollm2-135m"})
    void realShapesHaveTheirConfigs(String name) {
        var c = SynthGguf.Shape.byName(name).config();
        assertEquals(c.hidden() / c.heads(), c.headDim());
        assertTrue(c.tiedEmbeddings());
        assertEquals(name.startsWith("qwen"), c.qkvBias());
        assertEquals(name.startsWith("llama"), c.ropeScaling() != null);
    }
}
