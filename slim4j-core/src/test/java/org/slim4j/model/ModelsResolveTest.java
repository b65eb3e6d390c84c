package org.slim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.model.llama.LlamaLoader;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.testutil.Fixtures;
import org.slim4j.util.BadInputException;

/** Hugging Face names found in the hub cache layout (models--owner--name/snapshots/REV, refs/main) and $SLIM4J_MODELS. */
class ModelsResolveTest {
    @Test
    void hubCacheSnapshotsAndModelsFolder(@TempDir Path home) throws Exception {
        Path repo = home.resolve(".cache/huggingface/hub/models--acme--tiny-llama");
        Path old = Files.createDirectories(repo.resolve("snapshots/0ld"));
        Path snap = Files.createDirectories(repo.resolve("snapshots/abc123"));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.createSymbolicLink(snap.resolve(f), Fixtures.TINY_LLAMA.resolve(f)); // the cache's own layout: links into blobs
        }
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), "abc123\n");
        assertEquals(snap, Models.resolve("acme/tiny-llama", Map.of(), home));
        assertTrue(Files.isDirectory(old));
        try (LlamaModel m = LlamaLoader.load(Models.resolve("acme/tiny-llama", Map.of(), home))) {
            assertEquals(4, m.config().layers());
        }

        Path gguf = Files.createDirectories(home.resolve("models/acme/q"));
        Files.createSymbolicLink(gguf.resolve("model-Q8_0.gguf"), Fixtures.gguf("Q8_0"));
        assertEquals(gguf.resolve("model-Q8_0.gguf"), Models.resolve("acme/q", Map.of("SLIM4J_MODELS", home.resolve("models").toString()), home));
        assertEquals(gguf.resolve("model-Q8_0.gguf"), Models.resolve("acme/q/model-Q8_0.gguf", Map.of("SLIM4J_MODELS", home.resolve("models").toString()), home));

        var e = assertThrows(BadInputException.class, () -> Models.resolve("acme/absent", Map.of("HF_HOME", home.resolve("hf").toString()), home));
        assertTrue(e.getMessage().contains("models--acme--absent") && e.getMessage().contains("does not download"), e.getMessage());
        assertEquals(Path.of("no/such/dir/x.gguf"), Models.resolve("no/such/dir/x.gguf", Map.of(), home), "paths of 4 parts stay paths");
    }
}
