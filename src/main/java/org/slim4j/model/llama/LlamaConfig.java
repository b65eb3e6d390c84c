package org.slim4j.model.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.util.BadInputException;
import org.slim4j.util.TextFiles;

/**
 * The shape and hyper-parameters of a Llama-family decoder (Llama 1-3, Mistral, Qwen2).
 *
 * @param arch          "llama", "mistral" or "qwen2"
 * @param ropeLayout    which elements RoPE rotates together; a property of the checkpoint's Q/K row order, not the model
 * @param ropeScaling   null when positions are not rescaled
 * @param eosIds        one or more end-of-sequence ids (Llama 3 lists several)
 * @param slidingWindow Mistral's attention window, 0 for none (recorded; contexts here are shorter than any window)
 */
public record LlamaConfig(
        String arch,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffn,
        int vocab,
        float rmsEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        RopeLayout ropeLayout,
        boolean tiedEmbeddings,
        boolean qkvBias,
        int maxPositions,
        int bosId,
        int[] eosIds,
        int slidingWindow) {

    public enum RopeLayout {
        /** Hugging Face: element i pairs with i + headDim/2 (also ggml's NEOX mode). */
        ROTATE_HALF,
        /** ggml's normal mode: elements 2i and 2i+1 pair; llama.cpp permutes Llama Q/K rows to make this equivalent. */
        ADJACENT_PAIRS
    }

    /** Llama 3 frequency-dependent scaling; {@code lowFreqFactor == 0} means plain linear scaling by {@code factor}. */
    public record RopeScaling(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}

    private static final Set<String> ARCHS = Set.of("llama", "mistral", "qwen2");
    private static final Set<String> ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM");

    public LlamaConfig {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " must be a positive multiple of kv heads " + kvHeads);
        }
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " must be even for RoPE");
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    public int qDim() {
        return heads * headDim;
    }

    public boolean isEos(int id) {
        for (int e : eosIds) if (e == id) return true;
        return false;
    }

    public LlamaConfig withRopeLayout(RopeLayout layout) {
        return new LlamaConfig(arch, hidden, layers, heads, kvHeads, headDim, ffn, vocab, rmsEps, ropeTheta, ropeScaling,
                layout, tiedEmbeddings, qkvBias, maxPositions, bosId, eosIds, slidingWindow);
    }

    public LlamaConfig withTiedEmbeddings(boolean tied) {
        return new LlamaConfig(arch, hidden, layers, heads, kvHeads, headDim, ffn, vocab, rmsEps, ropeTheta, ropeScaling,
                ropeLayout, tied, qkvBias, maxPositions, bosId, eosIds, slidingWindow);
    }

    /** From a Hugging Face config.json. */
    public static LlamaConfig fromHfConfig(Path configJson) {
        JsonNode c;
        try {
            c = new ObjectMapper().readTree(TextFiles.read(configJson, "config.json"));
        } catch (IOException e) {
            throw new BadInputException(configJson, "config.json", "cannot read as JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (c == null || !c.isObject()) throw new BadInputException(configJson, "config.json", "not a JSON object");
        Json j = new Json(configJson, c);

        String arch = j.str("model_type");
        if (!ARCHS.contains(arch)) {
            throw new BadInputException(configJson, "model_type", "'" + arch + "' is not supported (llama, mistral, qwen2)");
        }
        JsonNode archs = c.get("architectures");
        if (archs != null && archs.isArray()) {
            for (JsonNode a : archs) {
                if (!ARCHITECTURES.contains(a.asText())) {
                    throw new BadInputException(configJson, "architectures", "'" + a.asText() + "' is not supported " + ARCHITECTURES);
                }
            }
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new BadInputException(configJson, "hidden_act", "'" + act + "' is not supported (silu)");
        if (j.bool("mlp_bias", false)) throw new BadInputException(configJson, "mlp_bias", "MLP biases are not supported");

        int hidden = j.posInt("hidden_size");
        int heads = j.posInt("num_attention_heads");
        int kvHeads = c.has("num_key_value_heads") && !c.get("num_key_value_heads").isNull() ? j.posInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new BadInputException(configJson, "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        int headDim = c.hasNonNull("head_dim") ? j.posInt("head_dim") : hidden / heads;
        if (headDim % 2 != 0) throw new BadInputException(configJson, "head_dim", headDim + " is odd");
        boolean qkvBias = arch.equals("qwen2") || j.bool("attention_bias", false);
        int window = 0;
        if (c.hasNonNull("sliding_window") && (!arch.equals("qwen2") || j.bool("use_sliding_window", false))) {
            window = j.posInt("sliding_window");
        }
        int vocab = j.posInt("vocab_size");
        double eps = j.posNumber("rms_norm_eps", 1e-6);
        if ((float) eps == 0) throw new BadInputException(configJson, "rms_norm_eps", eps + " is zero in float32");
        int[] bos = j.tokenIds("bos_token_id");
        return new LlamaConfig(arch, hidden, j.posInt("num_hidden_layers"), heads, kvHeads, headDim,
                j.posInt("intermediate_size"), vocab, (float) eps, j.posNumber("rope_theta", 10000.0),
                ropeScaling(configJson, c.get("rope_scaling")), RopeLayout.ROTATE_HALF,
                j.bool("tie_word_embeddings", false), qkvBias,
                c.hasNonNull("max_position_embeddings") ? j.posInt("max_position_embeddings") : 2048,
                bos.length == 0 ? -1 : bos[0], j.tokenIds("eos_token_id"), window);
    }

    /**
     * From GGUF metadata ({@code general.architecture} llama or qwen2, then {@code <arch>.*} keys). Mistral GGUFs use
     * arch llama. Tied embeddings are inferred from the absence of {@code output.weight}. Llama 3 rope scaling lives
     * in the {@code rope_freqs.weight} tensor, which {@link LlamaWeights} reads, not here.
     */
    public static LlamaConfig fromGguf(GgufFile g) {
        String arch = g.string("general.architecture");
        if (!arch.equals("llama") && !arch.equals("qwen2")) {
            throw new BadInputException(g.path(), "general.architecture", "'" + arch + "' is not supported (llama, qwen2)");
        }
        String p = arch + ".";
        int hidden = ggufPosInt(g, p + "embedding_length");
        int heads = ggufPosInt(g, p + "attention.head_count");
        int kvHeads = g.has(p + "attention.head_count_kv") ? ggufPosInt(g, p + "attention.head_count_kv") : heads;
        if (heads % kvHeads != 0) {
            throw new BadInputException(g.path(), p + "attention.head_count_kv", kvHeads + " does not divide head_count " + heads);
        }
        int headDim = g.has(p + "attention.key_length") ? ggufPosInt(g, p + "attention.key_length") : hidden / heads;
        if (headDim % 2 != 0) throw new BadInputException(g.path(), p + "attention.key_length", headDim + " is odd");
        if (g.has(p + "rope.dimension_count") && g.integer(p + "rope.dimension_count") != headDim) {
            throw new BadInputException(g.path(), p + "rope.dimension_count",
                    g.integer(p + "rope.dimension_count") + " differs from head size " + headDim + " (partial RoPE is not supported)");
        }
        int vocab;
        if (g.has(p + "vocab_size")) {
            vocab = ggufPosInt(g, p + "vocab_size");
        } else {
            long rows = g.find("token_embd.weight")
                    .orElseThrow(() -> new BadInputException(g.path(), "tensor 'token_embd.weight'", "tensor not found")).shape()[0];
            if (rows <= 0 || rows > Integer.MAX_VALUE) throw new BadInputException(g.path(), "tensor 'token_embd.weight'", rows + " rows is not a vocabulary size");
            vocab = (int) rows;
        }
        RopeScaling scaling = null;
        String scalingType = g.optString(p + "rope.scaling.type").orElse("none");
        if (scalingType.equals("linear")) {
            scaling = new RopeScaling(ggufPosFloat(g, p + "rope.scaling.factor", Float.NaN), 0, 0, 0);
        } else if (!scalingType.equals("none")) {
            throw new BadInputException(g.path(), p + "rope.scaling.type", "'" + scalingType + "' is not supported (none, linear)");
        }
        int eos = ggufTokenId(g, "tokenizer.ggml.eos_token_id");
        int eot = ggufTokenId(g, "tokenizer.ggml.eot_token_id");
        int[] eosIds = eot >= 0 && eot != eos ? new int[] {eos, eot} : eos >= 0 ? new int[] {eos} : new int[0];
        return new LlamaConfig(arch, hidden, ggufPosInt(g, p + "block_count"), heads, kvHeads, headDim,
                ggufPosInt(g, p + "feed_forward_length"), vocab,
                ggufPosFloat(g, p + "attention.layer_norm_rms_epsilon", 1e-5f),
                ggufPosFloat(g, p + "rope.freq_base", 10000f),
                scaling,
                // llama.cpp runs arch llama with ggml's normal RoPE on permuted Q/K rows, qwen2 with NEOX (rotate-half).
                arch.equals("llama") ? RopeLayout.ADJACENT_PAIRS : RopeLayout.ROTATE_HALF,
                g.find("output.weight").isEmpty(), arch.equals("qwen2"),
                g.has(p + "context_length") ? ggufPosInt(g, p + "context_length") : 2048,
                ggufTokenId(g, "tokenizer.ggml.bos_token_id"), eosIds,
                g.has(p + "attention.sliding_window") ? ggufPosInt(g, p + "attention.sliding_window") : 0);
    }

    /** RoPE frequencies theta^(-2i/d) before any scaling. */
    public static double[] baseFrequencies(double theta, int headDim) {
        return Rope.frequencies(theta, headDim, null);
    }

    /** RoPE frequencies after this config's rope_scaling. */
    public static double[] scaledFrequencies(LlamaConfig c) {
        return Rope.frequencies(c.ropeTheta(), c.headDim(), c.ropeScaling());
    }

    private static int ggufPosInt(GgufFile g, String key) {
        long v = g.integer(key);
        if (v <= 0 || v > Integer.MAX_VALUE) throw new BadInputException(g.path(), key, v + " is not a positive int");
        return (int) v;
    }

    /** A token id (a non-negative int), or -1 when the key is absent. */
    private static int ggufTokenId(GgufFile g, String key) {
        if (!g.has(key)) return -1;
        long v = g.integer(key);
        if (v < 0 || v > Integer.MAX_VALUE) throw new BadInputException(g.path(), key, v + " is not a token id");
        return (int) v;
    }

    private static float ggufPosFloat(GgufFile g, String key, float dflt) {
        float v = g.optFloat32(key).orElse(dflt);
        if (!(v > 0) || Float.isInfinite(v)) throw new BadInputException(g.path(), key, v + " is not a positive number");
        return v;
    }

    private static RopeScaling ropeScaling(Path file, JsonNode s) {
        if (s == null || s.isNull()) return null;
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        Json j = new Json(file, s, "rope_scaling.");
        double factor = j.posNumber("factor", 1.0);
        return switch (type) {
            case "default" -> null;
            case "linear" -> new RopeScaling(factor, 0, 0, 0);
            case "llama3" -> {
                double lo = j.posNumber("low_freq_factor", 1.0), hi = j.posNumber("high_freq_factor", 4.0);
                if (!(hi > lo)) throw new BadInputException(file, "rope_scaling.high_freq_factor", hi + " must exceed low_freq_factor " + lo);
                yield new RopeScaling(factor, lo, hi, j.posInt("original_max_position_embeddings"));
            }
            default -> throw new BadInputException(file, "rope_scaling.rope_type", "'" + type + "' is not supported (linear, llama3)");
        };
    }

    /** A JSON object of config.json ({@code at}: the path of keys to it, for messages, e.g. "rope_scaling."). */
    private record Json(Path file, JsonNode node, String at) {
        Json(Path file, JsonNode node) {
            this(file, node, "");
        }

        String str(String key) {
            JsonNode v = node.get(key);
            if (v == null || !v.isTextual()) throw new BadInputException(file, at + key, "missing or not a string");
            return v.asText();
        }

        int posInt(String key) {
            JsonNode v = node.get(key);
            if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
                throw new BadInputException(file, at + key, "missing or not a positive integer: " + v);
            }
            return v.asInt();
        }

        /** A finite positive number, or {@code dflt} when absent or null ("abc" or -1 is an error, not the default). */
        double posNumber(String key, double dflt) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) return dflt;
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw new BadInputException(file, at + key, "not a positive number: " + v);
            }
            return v.asDouble();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) return dflt;
            if (!v.isBoolean()) throw new BadInputException(file, at + key, "not true or false: " + v);
            return v.asBoolean();
        }

        /** A token id or a list of them, each a non-negative int; none when absent or null. */
        int[] tokenIds(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) return new int[0];
            JsonNode[] items = v.isArray() ? new JsonNode[v.size()] : new JsonNode[] {v};
            if (v.isArray()) for (int i = 0; i < items.length; i++) items[i] = v.get(i);
            int[] ids = new int[items.length];
            for (int i = 0; i < ids.length; i++) {
                JsonNode id = items[i];
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                    throw new BadInputException(file, at + key, "not a token id (a non-negative integer): " + id);
                }
                ids[i] = id.asInt();
            }
            return ids;
        }
    }
}
