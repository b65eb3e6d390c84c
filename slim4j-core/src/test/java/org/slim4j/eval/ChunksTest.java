package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slim4j.Slim4j;
import org.slim4j.model.CausalLM;
import org.slim4j.testutil.Fixtures;

/**
 * {@link Chunks#tokenize}: the tokens of a prefix, as many as the chunks asked for need, are the whole text's first
 * tokens, for the fixture's real tokenizers (Hugging Face folder and GGUF vocabulary) on WikiText-2 and TinyShakespeare
 * (blank lines, headings, short lines: cuts land in runs of newlines).
 */
class ChunksTest {

    @ParameterizedTest
    @CsvSource({"wikitext-2-raw-test.txt, 512, 20, hf", "tinyshakespeare.txt, 64, 3, gguf"})
    void aPrefixGivesTheWholeTextsTokens(String file, int ctx, int chunks, String form) throws Exception {
        String text = Files.readString(Fixtures.DATA.resolve(file)).substring(0, 200_000); // the start of it: a shorter test
        try (CausalLM lm = Slim4j.loadCausalLM((form.equals("hf") ? Fixtures.TINY_LLAMA : Fixtures.gguf("Q8_0")).toString())) {
            int[] all = lm.tokenizer().encode(text, false);
            int[] some = Chunks.tokenize(lm.tokenizer(), text, ctx, chunks);
            assertTrue(some.length >= ctx * chunks, some.length + " tokens");
            assertTrue(some.length < all.length / 2, "a prefix, not the whole text: " + some.length + " of " + all.length);
            assertArrayEquals(Arrays.copyOf(all, some.length), some);
            assertArrayEquals(all, Chunks.tokenize(lm.tokenizer(), text, ctx, -1)); // all chunks: the whole text
        }
    }
}
