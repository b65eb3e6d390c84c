package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

class LlamaConfigTest {
    @TempDir
    Path tmp;

    @Test
    void hfAndGgufConfigsOfTheFixtureAgree() {
        LlamaConfig hf = LlamaConfig.fromHfConfig(Fixtures.TINY_LLAMA.resolve("config.json"));
        try (GgufFile g = GgufFile.open(Fixtures.gguf("Q8_0"))) {
            LlamaConfig gg = LlamaConfig.fromGguf(g);
            assertEquals(LlamaConfig.RopeLayout.ADJACENT_PAIRS, gg.ropeLayout());
            assertEquals(LlamaConfig.RopeLayout.ROTATE_HALF, hf.ropeLayout());
            assertEquals(hf.withRopeLayout(gg.ropeLayout()).toString().replaceAll("eosIds=\\[I@\\w+", ""),
                    gg.toString().replaceAll("eosIds=\\[I@\\w+", ""));
            assertArrayEquals(hf.eosIds(), gg.eosIds());
        }
        assertEquals(768, hf.ffn());
        assertEquals(49152, hf.vocab());
        assertEquals(1e-5f, hf.rmsEps());
        assertEquals(0, hf.bosId());
    }

    @Test
    void unknownModelTypeNamesFileAndField() throws IOException {
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(config("\"model_type\": \"gpt_neox\"")));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("model_type"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(
                config("\"model_type\": \"llama\", \"architectures\": [\"LlamaForSequenceClassification\"]")));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("architectures"), e.getMessage());
    }

    @Test
    void missingOrBadFieldsAreNamed() throws IOException {
        String base = Files.readString(Fixtures.TINY_LLAMA.resolve("config.json"));
        Path p = tmp.resolve("config.json");
        Files.writeString(p, base.replace("\"hidden_size\": 256,", ""));
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(p));
        assertTrue(e.getMessage().contains("config.json: hidden_size"), e.getMessage());
        Files.writeString(p, base.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3"));
        e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(p));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
        Files.writeString(p, base.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\""));
        e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(p));
        assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());
    }

    @Test
    void qwen2MistralAndLlama3Fields() throws IOException {
        LlamaConfig q = LlamaConfig.fromHfConfig(config("\"model_type\": \"qwen2\", \"sliding_window\": 4096, \"use_sliding_window\": false"));
        assertTrue(q.qkvBias());
        assertEquals(0, q.slidingWindow());
        LlamaConfig m = LlamaConfig.fromHfConfig(config("\"model_type\": \"mistral\", \"sliding_window\": 4096"));
        assertFalse(m.qkvBias());
        assertEquals(4096, m.slidingWindow());
        LlamaConfig l3 = LlamaConfig.fromHfConfig(config("\"model_type\": \"llama\", \"eos_token_id\": [128001, 128009], "
                + "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"));
        assertEquals(new LlamaConfig.RopeScaling(8, 1, 4, 8192), l3.ropeScaling());
        assertTrue(l3.isEos(128009));
        // Llama 3.1 with theta 500000 and head 128: highest frequency kept, lowest divided by 8 (transformers' values).
        double[] f = Rope.frequencies(500000, 128, l3.ropeScaling());
        assertEquals(1.0, f[0], 1e-12);
        assertEquals(Math.pow(500000, -126.0 / 128) / 8, f[63], 1e-15);
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaConfig.fromHfConfig(
                config("\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}")));
        assertTrue(e.getMessage().contains("rope_scaling.rope_type"), e.getMessage());
    }

    private Path config(String extra) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, "{" + extra + ", \"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2, "
                + "\"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 100}");
        return p;
    }
}
