package org.slim4j.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

class LlamaLoaderBadInputTest {
    @TempDir
    Path tmp;

    @Test
    void missingTensorNamesFileAndTensor() throws IOException {
        copyWithout("model.layers.2.mlp.up_proj.weight");
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaLoader.load(tmp).close());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("model.layers.2.mlp.up_proj.weight"), e.getMessage());
    }

    @Test
    void untiedConfigWithoutLmHead() throws IOException {
        copyWithout(null);
        Files.writeString(tmp.resolve("config.json"), Files.readString(tmp.resolve("config.json"))
                .replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaLoader.load(tmp).close());
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void configShapeDisagreeingWithTensors() throws IOException {
        copyWithout(null);
        Files.writeString(tmp.resolve("config.json"), Files.readString(tmp.resolve("config.json"))
                .replace("\"intermediate_size\": 768", "\"intermediate_size\": 512"));
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaLoader.load(tmp).close());
        assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight") && e.getMessage().contains("[768, 256]"), e.getMessage());
    }

    @Test
    void unknownModelTypeAndMissingPath() throws IOException {
        copyWithout(null);
        Files.writeString(tmp.resolve("config.json"), Files.readString(tmp.resolve("config.json"))
                .replace("\"model_type\": \"llama\"", "\"model_type\": \"falcon\""));
        BadInputException e = assertThrows(BadInputException.class, () -> LlamaLoader.load(tmp).close());
        assertTrue(e.getMessage().contains("config.json: model_type"), e.getMessage());
        e = assertThrows(BadInputException.class, () -> LlamaLoader.load(tmp.resolve("nope.gguf")));
        assertTrue(e.getMessage().contains("nope.gguf"), e.getMessage());
    }

    private void copyWithout(String tensor) throws IOException {
        for (String f : new String[] {"config.json", "tokenizer.json"}) Files.copy(Fixtures.TINY_LLAMA.resolve(f), tmp.resolve(f));
        try (SafetensorsFile src = SafetensorsFile.open(Fixtures.TINY_LLAMA)) {
            SafetensorsWriter w = new SafetensorsWriter();
            src.tensors().stream().filter(t -> !t.name().equals(tensor)).forEach(w::add);
            w.write(tmp.resolve("model.safetensors"));
        }
    }
}
