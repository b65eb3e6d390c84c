package org.slim4j.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;

/**
 * The shape of a BERT-family encoder (post-LN, absolute positions, GELU), as in HF's BertConfig.
 * Structured pruning leaves layers of different widths: {@code layerHeads} and {@code layerIntermediate} hold each
 * layer's head count and FFN width (uniform lists for an unpruned model). In config.json they are written the way
 * HF's own BertModel understands where it can: removed heads as HF's {@code "pruned_heads": {"layer": [heads]}}
 * (head size stays hidden / num_attention_heads); per-layer FFN widths, which HF has no key for, as
 * {@code "slim4j_intermediate_sizes": [per layer]}. A width of 0 means the sub-block is gone (its bias and
 * LayerNorm remain: x = LN(x + b)).
 */
public record BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions,
                         int typeVocabSize, double layerNormEps, List<Integer> layerHeads, List<Integer> layerIntermediate) {

    public BertConfig {
        if (hidden <= 0 || layers <= 0 || heads <= 0 || hidden % heads != 0 || intermediate <= 0 || maxPositions <= 0) {
            throw new IllegalArgumentException("inconsistent BERT config: " + this);
        }
        layerHeads = layerHeads == null ? java.util.Collections.nCopies(layers, heads) : List.copyOf(layerHeads);
        layerIntermediate = layerIntermediate == null ? java.util.Collections.nCopies(layers, intermediate) : List.copyOf(layerIntermediate);
        if (layerHeads.size() != layers || layerIntermediate.size() != layers) throw new IllegalArgumentException("per-layer sizes must list " + layers + " layers");
        for (int i = 0; i < layers; i++) {
            if (layerHeads.get(i) < 0 || layerHeads.get(i) > heads || layerIntermediate.get(i) < 0) throw new IllegalArgumentException("layer " + i + " sizes out of range");
        }
    }

    public BertConfig(int vocabSize, int hidden, int layers, int heads, int intermediate, int maxPositions, int typeVocabSize, double layerNormEps) {
        this(vocabSize, hidden, layers, heads, intermediate, maxPositions, typeVocabSize, layerNormEps, null, null);
    }

    public int headSize() {
        return hidden / heads;
    }

    public int headsAt(int layer) {
        return layerHeads.get(layer);
    }

    /** Width of layer l's attention (q/k/v rows, attention-output columns): its heads x head size. */
    public int attentionWidth(int layer) {
        return layerHeads.get(layer) * headSize();
    }

    public int intermediateAt(int layer) {
        return layerIntermediate.get(layer);
    }

    /** The same model with other per-layer sizes or fewer layers. */
    public BertConfig withLayers(List<Integer> heads, List<Integer> intermediate) {
        return new BertConfig(vocabSize, hidden, heads.size(), this.heads, this.intermediate, maxPositions, typeVocabSize, layerNormEps, heads, intermediate);
    }

    /** From a Hugging Face config.json whose model_type is bert. */
    /** More layers than any BERT-family model has: a guard before per-layer lists are made from a lying count. */
    static final int MAX_LAYERS = 4096;

    public static BertConfig fromJson(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(TextFiles.read(configJson, "config.json"));
        } catch (IOException e) {
            throw new BadInputException(configJson, "config.json", "cannot read: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (c == null || !c.isObject()) throw new BadInputException(configJson, "config.json", "not a JSON object");
        String type = c.path("model_type").asText("");
        if (!type.equals("bert")) throw new BadInputException(configJson, "model_type", "'" + type + "' is not bert");
        String act = c.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) throw new BadInputException(configJson, "hidden_act", "'" + act + "' is not supported (only exact gelu)");
        try {
            int layers = req(c, "num_hidden_layers", configJson), heads = req(c, "num_attention_heads", configJson);
            int inter = req(c, "intermediate_size", configJson);
            if (layers > MAX_LAYERS) throw new BadInputException(configJson, "num_hidden_layers", layers + " is more than " + MAX_LAYERS);
            List<Integer> layerHeads = new java.util.ArrayList<>(java.util.Collections.nCopies(layers, heads));
            JsonNode pruned = c.path("pruned_heads");
            for (var it = pruned.fields(); it.hasNext(); ) {
                var e = it.next();
                String field = "pruned_heads['" + e.getKey() + "']";
                int l = e.getKey().matches("\\d{1,9}") ? Integer.parseInt(e.getKey()) : -1;
                if (l < 0 || l >= layers) throw new BadInputException(configJson, field, "layer '" + e.getKey() + "' does not exist");
                if (!e.getValue().isArray()) throw new BadInputException(configJson, field, "not a list of heads");
                java.util.Set<Integer> gone = new java.util.HashSet<>();
                for (JsonNode h : e.getValue()) {
                    if (!h.canConvertToInt() || !h.isIntegralNumber() || h.asInt() < 0 || h.asInt() >= heads) {
                        throw new BadInputException(configJson, field, "head " + h + " is not in [0, " + heads + ")");
                    }
                    gone.add(h.asInt());
                }
                layerHeads.set(l, heads - gone.size());
            }
            List<Integer> layerInter = null;
            JsonNode sizes = c.path("slim4j_intermediate_sizes");
            if (sizes.isArray()) {
                if (sizes.size() != layers) throw new BadInputException(configJson, "slim4j_intermediate_sizes", "lists " + sizes.size() + " layers, not " + layers);
                layerInter = new java.util.ArrayList<>();
                for (JsonNode v : sizes) {
                    if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new BadInputException(configJson, "slim4j_intermediate_sizes", "not an integer: " + v);
                    layerInter.add(v.asInt());
                }
            }
            return new BertConfig(req(c, "vocab_size", configJson), req(c, "hidden_size", configJson), layers, heads, inter,
                    req(c, "max_position_embeddings", configJson), c.has("type_vocab_size") ? req(c, "type_vocab_size", configJson) : 2,
                    layerNormEps(c, configJson), layerHeads, layerInter);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(configJson, "config.json", e.getMessage());
        }
    }

    private static int req(JsonNode c, String key, Path file) {
        JsonNode v = c.path(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) throw new BadInputException(file, key, "missing or not a positive integer: " + v);
        return v.asInt();
    }

    private static double layerNormEps(JsonNode c, Path file) {
        JsonNode v = c.get("layer_norm_eps");
        if (v == null || v.isNull()) return 1e-12;
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) throw new BadInputException(file, "layer_norm_eps", "not a positive number: " + v);
        return v.asDouble();
    }
}
