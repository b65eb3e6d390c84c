package org.slim4j;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.slim4j.eval.LogitMath;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.model.GenerationOptions;
import org.slim4j.testutil.Fixtures;

/** The library as another JVM project uses it: one call to load, then generate or embed. */
class JavaApiTest {

    @Test
    void generateGreedyFollowsTheArgmaxOfTheLogits() {
        try (CausalLM lm = Slim4j.loadCausalLM(Fixtures.gguf("Q8_0").toString())) {
            assertEquals(Slim4j.Kind.DECODER, Slim4j.kindOf(Fixtures.gguf("Q8_0").toString()));
            String prompt = "The quick brown fox";
            String text = lm.generate(prompt, GenerationOptions.greedy(3));
            int[] ids = lm.tokenizer().encode(prompt, false);
            int[] seq = java.util.Arrays.copyOf(ids, ids.length + 3);
            for (int i = 0; i < 3; i++) {
                float[] logits = lm.logits(java.util.Arrays.copyOf(seq, ids.length + i));
                seq[ids.length + i] = LogitMath.argmax(logits, (ids.length + i - 1) * lm.vocabSize(), lm.vocabSize());
            }
            assertEquals(lm.tokenizer().decode(java.util.Arrays.copyOfRange(seq, ids.length, seq.length)), text);
            GenerationOptions sampled = GenerationOptions.sampled(6, 0.9, 7);
            assertEquals(lm.generate(prompt, sampled), lm.generate(prompt, sampled), "same seed, same text");
        }
    }

    @Test
    void embedByBuiltInName() {
        assertEquals(Slim4j.Kind.ENCODER, Slim4j.kindOf("all-MiniLM-L6-v2"));
        try (Encoder e = Slim4j.loadEncoder("sentence-transformers/all-MiniLM-L6-v2")) {
            float[][] v = e.embed(List.of("A man is playing a guitar.", "A man plays the guitar.", "The stock market fell."));
            assertEquals(384, e.dimension());
            double close = dot(v[0], v[1]), far = dot(v[0], v[2]);
            assertTrue(close > 0.8 && far < 0.3, close + " / " + far);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
