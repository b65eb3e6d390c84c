package org.slim4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slim4j.util.BadInputException;

/** What slim4j checks a tokenizer.json against a model with: how many ids it produces and its model type. */
record VocabSize(int size, String modelType) {

    static VocabSize of(String json, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (Exception e) {
            throw new BadInputException(source, "tokenizer.json", "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw new BadInputException(source, "tokenizer.json", "not a JSON object");
        JsonNode vocab = root.path("model").path("vocab");
        if (root.path("model").isMissingNode()) throw new BadInputException(source, "model", "missing");
        int max = -1;
        if (vocab.isObject()) {
            for (JsonNode id : (Iterable<JsonNode>) vocab::elements) max = Math.max(max, id.asInt());
        } else if (vocab.isArray()) {
            max = vocab.size() - 1; // Unigram: [[piece, score], ...]
        }
        for (JsonNode t : root.path("added_tokens")) max = Math.max(max, t.path("id").asInt());
        return new VocabSize(max + 1, root.path("model").path("type").asText(""));
    }
}
