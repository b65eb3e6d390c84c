package org.slim4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.util.BadInputException;

/** A sentence-transformers folder states its pooling in 1_Pooling/config.json; that beats any guess from the name. */
final class SentenceTransformersPooling {
    private SentenceTransformersPooling() {}

    static Conventions apply(Path dir, Conventions fallback) {
        Path cfg = dir.resolve("1_Pooling").resolve("config.json");
        if (!Files.isRegularFile(cfg)) return fallback;
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new BadInputException(cfg, "config.json", "cannot read: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (n.path("pooling_mode_cls_token").asBoolean(false)) {
            return new Conventions(fallback.name(), Conventions.Pooling.CLS, fallback.queryPrefix(), fallback.passagePrefix());
        }
        if (n.path("pooling_mode_mean_tokens").asBoolean(false)) {
            return new Conventions(fallback.name(), Conventions.Pooling.MEAN, fallback.queryPrefix(), fallback.passagePrefix());
        }
        throw new BadInputException(cfg, "pooling_mode", "only CLS and mean pooling are supported");
    }
}
