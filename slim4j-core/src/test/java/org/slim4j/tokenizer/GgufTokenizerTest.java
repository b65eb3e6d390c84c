package org.slim4j.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.testutil.Fixtures;

/** The vocabulary embedded in each GGUF fixture tokenizes the prompt exactly as llama.cpp did. */
class GgufTokenizerTest {

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q6_K", "Q4_K_M"})
    void promptMatchesLlamaCpp(String type) {
        try (GgufFile gguf = GgufFile.open(Fixtures.gguf(type)); HfTokenizer t = GgufTokenizer.from(gguf)) {
            assertArrayEquals(Fixtures.promptTokens(), t.encode(Fixtures.prompt(), false));
            assertEquals(49152, t.vocabSize());
            assertEquals(Fixtures.prompt(), t.decode(Fixtures.promptTokens()));
        }
    }
}
