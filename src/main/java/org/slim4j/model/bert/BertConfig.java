package org.slim4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import org.slim4j.util.BadInputException;

/** The shape of a BERT-family encoder (post-LN, absolute positions, GELU), as in HF's BertConfig. */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
                         int typeVocabSize, double layerNormEps) {

    public BertConfig {
        if (hidden <= 0 || layers <= 0 || heads <= 0 || hidden % heads != 0 || intermediate <= 0 || maxPositions <= 0) {
            throw new IllegalArgumentException("inconsistent BERT config: " + this);
        }
    }

    public int headSize() {
        return hidden / heads;
    }

    /** From a Hugging Face config.json whose model_type is bert. */
    public static BertConfig fromJson(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw new BadInputException(configJson, "config.json", "cannot read: " + e.getMessage().lines().findFirst().orElse(""));
        }
        String type = c.path("model_type").asText("");
        if (!type.equals("bert")) throw new BadInputException(configJson, "model_type", "'" + type + "' is not bert");
        String act = c.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) throw new BadInputException(configJson, "hidden_act", "'" + act + "' is not supported (only exact gelu)");
        try {
            return new BertConfig(req(c, "vocab_size", configJson), req(c, "hidden_size", configJson), req(c, "num_hidden_layers", configJson),
                    req(c, "num_attention_heads", configJson), req(c, "intermediate_size", configJson),
                    req(c, "max_position_embeddings", configJson), c.path("type_vocab_size").asInt(2),
                    c.path("layer_norm_eps").asDouble(1e-12));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(configJson, "config.json", e.getMessage());
        }
    }

    private static int req(JsonNode c, String key, Path file) {
        if (!c.path(key).canConvertToInt()) throw new BadInputException(file, key, "missing or not an integer");
        return c.path(key).asInt();
    }
}
