package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.slim4j.model.CausalLM;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.testutil.Fixtures;

/** llama.cpp's perplexity protocol, checked against the number llama-perplexity printed for the Q8_0 fixture. */
class PerplexityProtocolTest {

    @Test
    void matchesLlamaPerplexityWithin1Percent() throws Exception {
        String text = Files.readString(Fixtures.DATA.resolve("wikitext-2-raw-test.txt"));
        try (CausalLM lm = LlamaLoader.load(Fixtures.gguf("Q8_0"))) {
            Chunks chunks = Chunks.of(lm.tokenizer().encode(text, false), 128, 16, lm.autoBos());
            assertEquals(16, chunks.count());
            Perplexity.Result r = Perplexity.run(lm, chunks);
            double llamaCpp = 164731.7613;
            assertEquals(llamaCpp, r.ppl(), 0.01 * llamaCpp, r.toString());
            assertEquals(8634.87573, r.error(), 0.05 * 8634.87573, r.toString());
            assertEquals(16 * 63, r.scoredTokens());
        }
    }
}
