package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slim4j.eval.LogitMath;
import org.slim4j.testutil.Fixtures;

class LlamaModelTest {
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaLoader.load(Fixtures.TINY_LLAMA);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void configFromFixture() {
        LlamaConfig c = model.config();
        assertEquals(256, c.hidden());
        assertEquals(4, c.layers());
        assertEquals(2, c.kvHeads());
        assertEquals(64, c.headDim());
        assertEquals(100000.0, c.ropeTheta());
        assertTrue(c.tiedEmbeddings());
        assertSame(model.weights().embedding(), model.weights().output());
    }

    @Test
    void logitsMatchFloat64Reference() {
        float[] got = model.logits(Fixtures.promptTokens());
        float[] want = Fixtures.f32("logits-exact.f32");
        double d = LogitMath.maxAbsDiff(want, got);
        System.out.println("max |delta| vs logits-exact: " + d);
        assertTrue(d <= 2e-3, "max |delta| " + d);
    }

    @Test
    void adjacentPairRopeOnPermutedWeightsGivesSameLogits() {
        // llama.cpp's converter permutes Q/K rows so its adjacent-pair RoPE equals HF's rotate-half; check both layouts agree.
        int[] tokens = Arrays.copyOf(Fixtures.promptTokens(), 9);
        float[] hf = model.logits(tokens);
        LlamaConfig c = model.config().withRopeLayout(LlamaConfig.RopeLayout.ADJACENT_PAIRS);
        LlamaWeights w = model.weights();
        LlamaWeights.Layer[] layers = new LlamaWeights.Layer[w.layers().length];
        for (int l = 0; l < layers.length; l++) {
            LlamaWeights.Layer x = w.layers()[l];
            layers[l] = new LlamaWeights.Layer(x.attnNorm(), QkPermutation.permute(x.wq(), c.heads()),
                    QkPermutation.permute(x.wk(), c.kvHeads()), x.wv(), x.wo(), null, null, null,
                    x.ffnNorm(), x.wGate(), x.wUp(), x.wDown());
        }
        try (LlamaModel ggmlStyle = new LlamaModel(c, new LlamaWeights(w.embedding(), layers, w.outputNorm(), w.output(), null), null, null)) {
            double d = LogitMath.maxAbsDiff(hf, ggmlStyle.logits(tokens));
            assertTrue(d <= 1e-4, "layouts differ by " + d);
        }
        // And the unpermuted weights with the wrong layout must not agree, or this test checks nothing.
        try (LlamaModel wrong = new LlamaModel(c, w, null, null)) {
            assertTrue(LogitMath.maxAbsDiff(hf, wrong.logits(tokens)) > 1e-2);
        }
    }

    @Test
    void greedyWithCacheEqualsArgmaxOfFullSequence() {
        int[] prompt = Fixtures.promptTokens();
        int[] gen = new Generator(model).generate(prompt, 8, Sampler.greedy());
        assertEquals(8, gen.length);
        int[] all = Arrays.copyOf(prompt, prompt.length + gen.length);
        System.arraycopy(gen, 0, all, prompt.length, gen.length);
        float[] logits = model.logits(all);
        int v = model.vocabSize();
        for (int i = 0; i < gen.length; i++) {
            assertEquals(LogitMath.argmax(logits, (prompt.length - 1 + i) * v, v), gen[i], "token " + i);
        }
    }

    @Test
    void sessionDecodeMatchesFullSequenceLogits() {
        int[] tokens = Fixtures.promptTokens();
        float[] full = model.logits(tokens);
        int v = model.vocabSize();
        Session s = model.newSession(tokens.length);
        float[] last = s.prefill(Arrays.copyOf(tokens, 20));
        assertTrue(LogitMath.maxAbsDiff(Arrays.copyOfRange(full, 19 * v, 20 * v), last) <= 1e-4);
        for (int i = 20; i < tokens.length; i++) last = s.decode(tokens[i]);
        assertTrue(LogitMath.maxAbsDiff(Arrays.copyOfRange(full, (tokens.length - 1) * v, tokens.length * v), last) <= 1e-4);
        assertEquals(tokens.length, s.position());
        assertThrows(IllegalArgumentException.class, () -> s.decode(1));
    }

    @Test
    void samplersAreReproducibleAndTopOneIsGreedy() {
        int[] prompt = Arrays.copyOf(Fixtures.promptTokens(), 10);
        Generator g = new Generator(model);
        int[] greedy = g.generate(prompt, 6, Sampler.greedy());
        assertArrayEquals(greedy, g.generate(prompt, 6, Sampler.random(0.8, 1, 1.0, 7)));
        int[] a = g.generate(prompt, 6, Sampler.random(1.5, 0, 1.0, 42));
        assertArrayEquals(a, g.generate(prompt, 6, Sampler.random(1.5, 0, 1.0, 42)));
        int[] b = g.generate(prompt, 6, Sampler.random(1.0, 50, 0.9, 42));
        assertArrayEquals(b, g.generate(prompt, 6, Sampler.random(1.0, 50, 0.9, 42)));
        // Random weights give a flat distribution: a high temperature with different seeds must wander apart.
        int[] c = g.generate(prompt, 6, Sampler.random(1.5, 0, 1.0, 43));
        assertFalse(Arrays.equals(a, c));
    }

    @Test
    void topKAndTopPRestrictTheChoice() {
        float[] logits = {0f, 5f, 4.9f, -3f, 1f};
        Sampler k2 = Sampler.random(1.0, 2, 1.0, 1);
        Sampler p = Sampler.random(1.0, 0, 0.5, 1);
        for (int i = 0; i < 200; i++) {
            int t = k2.sample(logits);
            assertTrue(t == 1 || t == 2, "top-k 2 gave " + t);
            assertEquals(1, p.sample(logits)); // token 1 alone holds over half the mass
        }
    }
}
