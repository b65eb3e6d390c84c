package org.slim4j.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.slim4j.testutil.Fixtures;

class HfTokenizerTest {

    @Test
    void promptMatchesLlamaCppTokenization() {
        try (HfTokenizer t = HfTokenizer.load(Fixtures.TINY_LLAMA.resolve("tokenizer.json"))) {
            assertArrayEquals(Fixtures.promptTokens(), t.encode(Fixtures.prompt(), true));
            assertEquals(49152, t.vocabSize());
            assertEquals(Fixtures.prompt(), t.decode(Fixtures.promptTokens()));
        }
    }
}
