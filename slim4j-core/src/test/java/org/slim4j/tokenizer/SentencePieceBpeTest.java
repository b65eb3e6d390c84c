package org.slim4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.gguf.GgufWriter;
import org.slim4j.testutil.Fixtures;

/**
 * The Java SentencePiece BPE against the Hugging Face tokenizers library (the oracle) on the tokenizer.json that
 * {@link GgufTokenizer} makes of a GGUF llama vocabulary. The project has no Llama 2 GGUF, so the vocabulary is made
 * in Llama 2's layout from the fixture's: {@code <unk> <s> </s>}, the 256 {@code <0xXX>} byte tokens, then the
 * fixture's tokens that are whole UTF-8 text, with U+2581 for spaces, scored by rank; and two USER_DEFINED tokens.
 * With all 256 byte tokens, characters outside the vocabulary take the byte fallback; with only the ASCII ones, the
 * others become the unknown token, fused; without {@code <0xF0>}, emoji become unknown while other characters still
 * fall back to bytes (the library holds an unknown back past byte tokens).
 */
class SentencePieceBpeTest {

    @ParameterizedTest
    @ValueSource(strings = {"all", "ascii", "no-F0"})
    void agreesWithTheLibraryOnCorporaAndOddText(String byteTokens, @TempDir Path dir) throws IOException {
        try (GgufFile gguf = GgufFile.open(vocabulary(dir, byteTokens));
             HfTokenizer oracle = GgufTokenizer.from(gguf)) {
            SentencePieceBpe mine = GgufTokenizer.sentencePiece(gguf);
            assertEquals(oracle.vocabSize(), mine.vocabSize());
            List<String> texts = new ArrayList<>(List.of(ByteLevelBpeTest.ODD.split("\n")));
            texts.addAll(List.of(ByteLevelBpeTest.ODD, "", " ", "  two leading", "trailing  ", "<s>Hello</s> world<s>", "a [NL] b [NL][NL]",
                    "x<|user|>y <|user|> z", "\u2581already\u2581marked",
                    "\ud83e\udd84\ua9c1\ud83e\udd84\ud835\udd18 end")); // an unknown, then a byte fallback
            for (String f : List.of("wikitext-2-raw-test.txt", "tinyshakespeare.txt", "kjv-bible.txt")) {
                String s = Files.readString(Fixtures.DATA.resolve(f), StandardCharsets.UTF_8);
                for (int at = 0; at < Math.min(s.length(), 60_000); at += 3000) texts.add(s.substring(at, Math.min(s.length(), at + 3000)));
            }
            long tokens = ByteLevelBpeTest.sameIds(oracle, mine, texts, byteTokens);
            assertTrue(tokens > 20_000, tokens + " tokens compared");
            Random r = new Random(3);
            for (int i = 0; i < 300; i++) { // byte tokens cut UTF-8 anywhere; control tokens; ids past the vocabulary
                int[] ids = r.ints(1 + r.nextInt(10), 0, i % 2 == 0 ? 300 : mine.vocabSize() + 2).toArray();
                assertEquals(oracle.decode(ids), mine.decode(ids), () -> java.util.Arrays.toString(ids));
            }
        }
    }

    /** A llama vocabulary in Llama 2's layout made of the fixture's, with all byte tokens, the ASCII ones, or all but 0xF0. */
    private static Path vocabulary(Path dir, String byteTokens) {
        List<String> tokens = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        for (int b = 0; b < 256; b++) {
            if (byteTokens.equals("ascii") && b >= 0x80 || byteTokens.equals("no-F0") && b == 0xF0) continue;
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);
        }
        Set<String> pieces = new LinkedHashSet<>();
        try (GgufFile smol = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            for (String t : smol.strings("tokenizer.ggml.tokens")) {
                String text = text(t);
                if (text != null && !text.isEmpty() && !text.startsWith("<|")) pieces.add(text.replace(' ', '\u2581'));
            }
        }
        pieces.removeAll(tokens);
        for (String p : pieces) {
            tokens.add(p);
            types.add(1);
        }
        tokens.addAll(List.of("<|user|>", "[NL]"));
        types.addAll(List.of(4, 4));
        float[] scores = new float[tokens.size()];
        for (int i = 0; i < scores.length; i++) scores[i] = types.get(i) == 1 ? -i : 0;
        Path f = dir.resolve("llama-vocab-" + byteTokens + ".gguf");
        new GgufWriter().putString("tokenizer.ggml.model", "llama").putStrings("tokenizer.ggml.tokens", tokens)
                .putFloats("tokenizer.ggml.scores", scores).putInts("tokenizer.ggml.token_type", types.stream().mapToInt(Integer::intValue).toArray())
                .putUint32("tokenizer.ggml.unknown_token_id", 0).write(f);
        return f;
    }

    /** A byte-level token's text, or null where its bytes are not whole UTF-8. */
    private static String text(String byteLevel) {
        byte[] b = ByteLevelBpe.byteLevel(byteLevel);
        if (b == null) return null;
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
