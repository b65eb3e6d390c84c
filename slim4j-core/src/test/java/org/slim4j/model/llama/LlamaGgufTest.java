package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.eval.LogitMath;
import org.slim4j.testutil.Fixtures;

class LlamaGgufTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void logitsMatchExactReferenceAndLlamaCpp(String type) {
        int[] tokens = Fixtures.promptTokens();
        try (LlamaModel m = LlamaLoader.load(Fixtures.gguf(type))) {
            assertEquals(LlamaConfig.RopeLayout.ADJACENT_PAIRS, m.config().ropeLayout());
            assertArrayEquals(tokens, m.tokenizer().encode(Fixtures.prompt(), true));
            float[] got = m.logits(tokens);

            double d = LogitMath.maxAbsDiff(Fixtures.f32("logits-exact-" + type + ".f32"), got);
            assertTrue(d <= 2e-3, type + ": max |delta| vs exact " + d);

            float[] cpp = Fixtures.f32("logits-" + type + ".f32");
            int v = m.vocabSize(), n = tokens.length, agree = 0;
            double kl = 0;
            for (int i = 0; i < n; i++) {
                kl += LogitMath.kl(cpp, i * v, got, i * v, v);
                if (LogitMath.argmax(cpp, i * v, v) == LogitMath.argmax(got, i * v, v)) agree++;
            }
            kl /= n;
            System.out.printf("%s: max|d| exact %.2e, mean KL vs llama.cpp %.5f, argmax agreement %d/%d%n", type, d, kl, agree, n);
            assertTrue(kl <= 0.01, type + ": mean KL " + kl);
            assertTrue(agree >= 0.9 * n, type + ": argmax agreement " + agree + "/" + n);
        }
    }
}
