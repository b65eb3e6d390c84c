package org.slim4j.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.model.CausalLM;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

/** KLD of llama.cpp's quantized fixtures against the BF16 original: more bits, closer; a model against itself, zero. */
class KlDivergenceTest {

    @Test
    void quantizedFixturesOrderByBitsAndTheCacheAgreesWithTheLiveBase(@TempDir Path dir) throws Exception {
        String text = Files.readString(Fixtures.DATA.resolve("wikitext-2-raw-test.txt")).substring(0, 60_000);
        try (CausalLM base = LlamaLoader.load(Fixtures.TINY_LLAMA);
             CausalLM q8 = LlamaLoader.load(Fixtures.gguf("Q8_0"));
             CausalLM q4 = LlamaLoader.load(Fixtures.gguf("Q4_0"))) {
            Chunks chunks = Chunks.of(base.tokenizer().encode(text, false), 64, 3, base.autoBos());
            Path cache = dir.resolve("base.logits");
            LogitCache.write(cache, base, chunks);
            try (LogitCache c = LogitCache.open(cache)) {
                c.checkMatches(chunks, base.vocabSize());
                KlDivergence.Result self = KlDivergence.run(base, chunks, c);
                KlDivergence.Result r8 = KlDivergence.run(q8, chunks, c);
                KlDivergence.Result r4 = KlDivergence.run(q4, chunks, c);
                // float16 rounding of the cached logits is the only difference from the live model
                assertTrue(self.meanKld() < 1e-5, self.table());
                assertEquals(1.0, self.sameTop(), 0.02, self.table());
                assertTrue(r8.meanKld() < r4.meanKld(), "Q8_0 " + r8.meanKld() + " vs Q4_0 " + r4.meanKld());
                assertTrue(r8.sameTop() >= r4.sameTop());
                assertEquals(3 * 31, r4.tokens());
                assertTrue(r4.maxKld() >= r4.kldPercentile(99.0) && r4.kldPercentile(99.0) >= r4.kldPercentile(50));
                // the oracle of Chunks.scoredLogits: the scored rows sliced out of every row's logits
                KlDivergence.Result live = KlDivergence.run(q4, chunks, k -> java.util.Arrays.copyOfRange(
                        base.logits(chunks.chunk(k)), chunks.firstScored() * base.vocabSize(),
                        (chunks.firstScored() + chunks.scoredPerChunk()) * base.vocabSize()));
                assertEquals(live.meanKld(), r4.meanKld(), 1e-3 * live.meanKld() + 1e-6);
            }
            Chunks other = Chunks.of(base.tokenizer().encode(text.substring(1000), false), 64, 3, base.autoBos());
            try (LogitCache c = LogitCache.open(cache)) {
                BadInputException e = assertThrows(BadInputException.class, () -> c.checkMatches(other, base.vocabSize()));
                assertTrue(e.getMessage().contains("tokens"), e.getMessage());
            }
            Files.write(dir.resolve("bad.logits"), "S4JLOGIT-garbage".getBytes());
            BadInputException e = assertThrows(BadInputException.class, () -> LogitCache.open(dir.resolve("bad.logits")));
            assertTrue(e.getMessage().contains("bad.logits"), e.getMessage());
        }
    }
}
