package org.slim4j.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.model.bert.FastBert;
import org.slim4j.model.llama.FastLlama;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.testutil.Fixtures;

/**
 * Handles on shared weights ({@link FastBert#withThreads}, {@link FastLlama#withThreads}), what slim4j-spark gives each
 * task: the same results as the instance they share, used from two threads at once, and closing a handle leaves the
 * shared weights running.
 */
class EngineHandlesTest {

    @Test
    void fastBertHandlesEmbedConcurrentlyAsTheSharedInstance() throws Exception {
        List<String> a = List.of("A man is playing a flute.", "Two dogs run across a snowy field.", "The stock market fell sharply.");
        List<String> b = List.of("A woman slices an onion.", "Nothing here is like the rest of the sentences, really.");
        try (FastBert shared = new FastBert(DefaultModels.allMiniLmL6V2(), 1, 0)) {
            float[][] ea = shared.embed(a), eb = shared.embed(b);
            ExecutorService ex = Executors.newFixedThreadPool(2);
            try (FastBert h1 = shared.withThreads(1, 0); FastBert h2 = shared.withThreads(2, 0)) {
                for (int round = 0; round < 3; round++) {
                    Future<float[][]> fa = ex.submit(() -> h1.embed(a)), fb = ex.submit(() -> h2.embed(b));
                    close(ea, fa.get());
                    close(eb, fb.get());
                }
                try (FastBert cut = shared.withThreads(1, 4)) {
                    assertFalse(java.util.Arrays.equals(eb[1], cut.embed(b)[1]), "4 tokens differ from the whole text");
                }
            } finally {
                ex.shutdown();
            }
            close(ea, shared.embed(a)); // closing the handles left the shared weights alone
            assertThrows(IllegalArgumentException.class, () -> shared.withThreads(-1, 0));
        }
    }

    /**
     * Equal up to float summation order: the first embeddings in a JVM differed from later ones in the last bit (seen
     * with 1 thread on both sides; likely the Vector API's reductions summing in another order before the JIT compiles
     * them), and 2 threads split a product differently from 1.
     */
    private static void close(float[][] expected, float[][] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) assertArrayEquals(expected[i], actual[i], 1e-6f, "text " + i);
    }

    @Test
    void fastLlamaHandlesGiveTheSharedInstancesLogits() throws Exception {
        int[] tokens = Fixtures.promptTokens();
        try (FastLlama shared = new FastLlama(LlamaLoader.load(Fixtures.gguf("Q4_0")), 1, true)) {
            // compared after warm-up: the first calls in a JVM, before the JIT compiles the kernels, need not give
            // the same bits as later ones (seen on the Q8_0 fixture)
            for (int i = 0; i < 3; i++) shared.logits(tokens);
            float[] expected = shared.logits(tokens);
            ExecutorService ex = Executors.newFixedThreadPool(2);
            try (FastLlama h1 = shared.withThreads(1); FastLlama h2 = shared.withThreads(2)) {
                Future<float[]> f1 = ex.submit(() -> h1.logits(tokens)), f2 = ex.submit(() -> h2.logits(tokens));
                assertArrayEquals(expected, f1.get());
                assertArrayEquals(expected, f2.get());
                assertEquals(2, h2.threads());
            } finally {
                ex.shutdown();
            }
            assertArrayEquals(expected, shared.logits(tokens), "closing the handles left the shared weights alone");
        }
    }
}
