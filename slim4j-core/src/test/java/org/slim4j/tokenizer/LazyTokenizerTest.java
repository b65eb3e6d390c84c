package org.slim4j.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

/** A GGUF's tokenizer is built on first use, tokenizes as llama.cpp did, and bad vocabulary metadata still fails at load. */
class LazyTokenizerTest {
    @TempDir Path dir;

    @Test
    void builtOnFirstUseAndMatchesLlamaCpp() {
        try (LlamaModel m = LlamaLoader.load(Fixtures.gguf("Q4_0"))) {
            LazyTokenizer t = assertInstanceOf(LazyTokenizer.class, m.tokenizer());
            assertEquals(49152, t.vocabSize());
            assertArrayEquals(Fixtures.promptTokens(), t.encode(Fixtures.prompt(), false));
            assertEquals(Fixtures.prompt(), t.decode(Fixtures.promptTokens()));
        }
    }

    @Test
    void badVocabularyFailsBeforeBuilding() throws Exception {
        assertBad(gguf("bert", null), "tokenizer.ggml.model", "'bert' is not supported");
        assertBad(gguf("gpt2", "no-such-pre"), "tokenizer.ggml.pre", "no-such-pre");
        assertBad(gguf("llama", null), "tokenizer.ggml.scores"); // SentencePiece vocabularies need scores
    }

    private static void assertBad(Path p, String... parts) {
        try (GgufFile g = GgufFile.open(p)) {
            BadInputException e = assertThrows(BadInputException.class, () -> GgufTokenizer.lazy(g));
            for (String part : parts) assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    /** A GGUF v3 with no tensors and only tokenizer.ggml.{model, pre, tokens} (two tokens). */
    private Path gguf(String model, String pre) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(pre == null ? 2 : 3);
        str(b, "tokenizer.ggml.model");
        b.putInt(8);
        str(b, model);
        if (pre != null) {
            str(b, "tokenizer.ggml.pre");
            b.putInt(8);
            str(b, pre);
        }
        str(b, "tokenizer.ggml.tokens");
        b.putInt(9).putInt(8).putLong(2);
        str(b, "a");
        str(b, "b");
        while (b.position() % 32 != 0) b.put((byte) 0);
        out.write(b.array(), 0, b.position());
        Path p = dir.resolve(model + ".gguf");
        Files.write(p, out.toByteArray());
        return p;
    }

    private static void str(ByteBuffer b, String s) {
        byte[] v = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(v.length).put(v);
    }
}
