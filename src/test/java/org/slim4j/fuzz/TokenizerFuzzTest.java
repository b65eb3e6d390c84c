package org.slim4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.MethodSource;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.tokenizer.GgufTokenizer;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.tokenizer.LazyTokenizer;

/**
 * Tokenizers: a first byte 0 takes the rest as a GGUF whose tokenizer.ggml.* vocabulary is built into a tokenizer,
 * anything else as the text of a tokenizer.json; either then encodes and decodes a sentence.
 */
class TokenizerFuzzTest {
    private static final String TEXT = "Hello world, 12 tokens! \u00e9\u4e2d";

    static Stream<byte[]> seeds() {
        return FuzzSeeds.tokenizers();
    }

    @MethodSource("seeds")
    @FuzzTest
    void tokenizer(byte[] data) {
        if (data.length == 0) return;
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        FuzzInput.read(() -> {
            if (data[0] == 0) {
                try (GgufFile g = GgufFile.open(FuzzInput.file("vocab.gguf", rest)); LazyTokenizer t = GgufTokenizer.lazy(g)) {
                    t.decode(t.encode(TEXT, true));
                }
            } else {
                try (HfTokenizer t = HfTokenizer.fromJson(new String(rest, StandardCharsets.UTF_8), "tokenizer.json")) {
                    t.decode(t.encode(TEXT, true));
                }
            }
        });
    }
}
