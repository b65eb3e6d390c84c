package org.slim4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.testutil.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The Java byte-level BPE against the Hugging Face tokenizers library (the oracle) on the tokenizer.json that
 * {@link GgufTokenizer} makes of the same GGUF vocabulary: every pre-tokenizer it supports, on real text and on text
 * made to find the edges (digits, whitespace runs, scripts, emoji, added tokens inside words, lone control bytes).
 */
class ByteLevelBpeTest {
    static final String ODD = String.join("\n", "Hello world! It's 2024-05-17, 3.14159 and 1,000,000 users; 12345678901234567890.",
            "   leading spaces\t\ttabs\r\nCRLF  \n\n\n  trailing   ", "naïve café résumé — “quotes” ‘single’ … ½ ⅓ ² Ⅻ ٣٤ ১২",
            "日本語のテキストと中文文本，한국어 텍스트", "emoji 😀👍🏽 👨‍👩‍👧 flags 🇫🇷 keycap 1️⃣", "Ελληνικά, русский текст, עברית, العربية, हिन्दी, ไทย",
            "code: for (int i = 0; i < n; i++) { x[i] += y[i] * 2; } // done", "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            "mid<|endoftext|>word and <|endoftext|><|endoftext|> twice", "I'M HE'LL we'VE they'd ſ ß ǅ", "\u00a0nbsp\u2003em\u200bzero-width\u3000ideographic",
            "a\u0301 combining e\u0308 marks", "x".repeat(300) + " " + " ".repeat(2000) + "end", "\u0001\u0002 control \u007f del \ufeff bom");

    @ParameterizedTest
    @ValueSource(strings = {"smollm", "llama-bpe", "qwen2", "gpt2"})
    void agreesWithTheLibraryOnCorporaAndOddText(String pre) throws IOException {
        try (GgufFile gguf = GgufFile.open(Fixtures.gguf("Q8_0"));
             HfTokenizer oracle = HfTokenizer.fromJson(GgufTokenizer.toTokenizerJson(gguf, pre), "oracle")) {
            ByteLevelBpe mine = GgufTokenizer.byteLevel(gguf, pre);
            assertEquals(oracle.vocabSize(), mine.vocabSize());
            List<String> texts = new ArrayList<>(List.of(ODD.split("\n")));
            texts.add(ODD);
            for (String f : List.of("wikitext-2-raw-test.txt", "tinyshakespeare.txt", "kjv-bible.txt", "llm-heldout.txt")) {
                String s = Files.readString(Fixtures.DATA.resolve(f), StandardCharsets.UTF_8);
                for (int at = 0; at < Math.min(s.length(), 120_000); at += 4000) texts.add(s.substring(at, Math.min(s.length(), at + 4000)));
            }
            long tokens = sameIds(oracle, mine, texts, pre);
            assertTrue(tokens > 50_000, tokens + " tokens compared");
        }
    }

    /**
     * Llama 3's ignore_merges: a word that is itself a token is that token even where the merges cannot build it. The
     * fixture's trained merges rebuild whole-word tokens anyway, so this vocabulary is made for the rule: the 256 byte
     * characters, "ab" (merge "a b") and "abc" (no merge makes it).
     */
    @Test
    void aWordThatIsATokenIsThatTokenOnlyWithIgnoreMerges(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        List<String> tokens = new ArrayList<>();
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            tokens.add(String.valueOf((char) (printable ? b : 256 + extra++)));
        }
        tokens.addAll(List.of("ab", "abc"));
        java.nio.file.Path f = dir.resolve("vocab.gguf");
        new org.slim4j.io.gguf.GgufWriter().putString("tokenizer.ggml.model", "gpt2").putStrings("tokenizer.ggml.tokens", tokens)
                .putInts("tokenizer.ggml.token_type", new int[tokens.size()]).putStrings("tokenizer.ggml.merges", List.of("a b")).write(f);
        int ab = 256, abc = 257, c = 'c'; // the byte tokens are in byte order
        try (GgufFile gguf = GgufFile.open(f)) {
            for (String pre : List.of("llama-bpe", "gpt2")) {
                try (HfTokenizer oracle = HfTokenizer.fromJson(GgufTokenizer.toTokenizerJson(gguf, pre), "oracle")) {
                    int[] want = oracle.encode("abc", false);
                    assertArrayEquals(pre.equals("llama-bpe") ? new int[] {abc} : new int[] {ab, c}, want, pre);
                    assertArrayEquals(want, GgufTokenizer.byteLevel(gguf, pre).encode("abc", false), pre);
                    assertArrayEquals(oracle.encode("abc abc, xabc", false), GgufTokenizer.byteLevel(gguf, pre).encode("abc abc, xabc", false), pre);
                }
            }
        }
    }

    /** Encodes each text with both and decodes the ids with both: equal; the number of tokens compared. */
    static long sameIds(Tokenizer oracle, Tokenizer mine, List<String> texts, String label) {
        long tokens = 0;
        for (String t : texts) {
            int[] want = oracle.encode(t, false);
            assertArrayEquals(want, mine.encode(t, false), () -> label + ": " + t.substring(0, Math.min(80, t.length())));
            assertEquals(oracle.decode(want), mine.decode(want), () -> label + ": " + t.substring(0, Math.min(80, t.length())));
            tokens += want.length;
        }
        return tokens;
    }

    @Test
    void decodesAnyIdsAsTheLibraryDoes() {
        try (GgufFile gguf = GgufFile.open(Fixtures.gguf("Q8_0")); HfTokenizer oracle = GgufTokenizer.from(gguf)) {
            ByteLevelBpe mine = GgufTokenizer.byteLevel(gguf, "smollm");
            Random r = new Random(7);
            for (int i = 0; i < 300; i++) {
                // byte tokens (ids ~ 0-300 hold the 256 byte characters) cut UTF-8 sequences anywhere; added tokens too
                int[] ids = r.ints(1 + r.nextInt(12), 0, i % 2 == 0 ? 400 : mine.vocabSize()).toArray();
                if (i % 50 == 0) ids[0] = mine.vocabSize() + i; // past the vocabulary
                assertEquals(oracle.decode(ids), mine.decode(ids), () -> java.util.Arrays.toString(ids));
            }
        }
    }

    @Test
    void theModelLoaderUsesItAndMatchesLlamaCpp() throws Exception {
        try (GgufFile gguf = GgufFile.open(Fixtures.gguf("Q4_0")); LazyTokenizer t = GgufTokenizer.lazy(gguf)) {
            assertArrayEquals(Fixtures.promptTokens(), t.encode(Fixtures.prompt(), false));
            assertEquals(Fixtures.prompt(), t.decode(Fixtures.promptTokens()));
            assertTrue(t.get() instanceof ByteLevelBpe, t.get().getClass().getName());
        }
    }
}
