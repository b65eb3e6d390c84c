package org.slim4j.convert;

import org.slim4j.util.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.model.llama.QkPermutation;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.tokenizer.GgufTokenizer;
import org.slim4j.util.BadInputException;

/**
 * GGUF (arch llama or qwen2) to a Hugging Face folder: config.json, model.safetensors, tokenizer.json.
 * F32/F16/BF16 tensors keep their type; quantized ones are dequantized exactly to F32 (on the heap, one at a time).
 * Q/K rows of arch llama go back from llama.cpp's order to HF's (the inverse of HfToGguf's permutation).
 */
public final class GgufToHf {
    private GgufToHf() {}

    public static void convert(Path gguf, Path outDir) {
        try (GgufFile g = GgufFile.open(gguf)) {
            LlamaConfig c = LlamaConfig.fromGguf(g);
            if (g.find(LlamaWeights.ROPE_FREQS).isPresent()) {
                throw new BadInputException(gguf, "tensor '" + LlamaWeights.ROPE_FREQS + "'", "rope frequency factors have no config.json form here");
            }
            if (c.ropeScaling() != null) throw new BadInputException(gguf, c.arch() + ".rope.scaling.type", "conversion of rope scaling is not supported");
            boolean permuted = c.ropeLayout() == LlamaConfig.RopeLayout.ADJACENT_PAIRS;
            LlamaWeights.Names from = LlamaWeights.Names.GGUF, to = LlamaWeights.Names.HF;
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
            add(w, g.tensor(from.embedding()), to.embedding());
            for (int l = 0; l < c.layers(); l++) {
                Tensor q = g.tensor(from.wq().formatted(l)), k = g.tensor(from.wk().formatted(l));
                add(w, g.tensor(from.attnNorm().formatted(l)), to.attnNorm().formatted(l));
                add(w, permuted ? QkPermutation.unpermute(q, c.heads()) : q, to.wq().formatted(l));
                add(w, permuted ? QkPermutation.unpermute(k, c.kvHeads()) : k, to.wk().formatted(l));
                add(w, g.tensor(from.wv().formatted(l)), to.wv().formatted(l));
                add(w, g.tensor(from.wo().formatted(l)), to.wo().formatted(l));
                if (c.qkvBias()) {
                    add(w, g.tensor(from.bq().formatted(l)), to.bq().formatted(l));
                    add(w, g.tensor(from.bk().formatted(l)), to.bk().formatted(l));
                    add(w, g.tensor(from.bv().formatted(l)), to.bv().formatted(l));
                }
                add(w, g.tensor(from.ffnNorm().formatted(l)), to.ffnNorm().formatted(l));
                add(w, g.tensor(from.wGate().formatted(l)), to.wGate().formatted(l));
                add(w, g.tensor(from.wUp().formatted(l)), to.wUp().formatted(l));
                add(w, g.tensor(from.wDown().formatted(l)), to.wDown().formatted(l));
            }
            add(w, g.tensor(from.outputNorm()), to.outputNorm());
            if (!c.tiedEmbeddings()) add(w, g.tensor(from.output()), to.output());

            AtomicFiles.writeFolder(outDir, dir -> {
                w.write(dir.resolve("model.safetensors"));
                Files.writeString(dir.resolve("config.json"), configJson(c), StandardCharsets.UTF_8);
                if (g.has("tokenizer.ggml.model")) {
                    Files.writeString(dir.resolve("tokenizer.json"), GgufTokenizer.toTokenizerJson(g), StandardCharsets.UTF_8);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + outDir, e);
        }
    }

    private static void add(SafetensorsWriter w, Tensor t, String name) {
        switch (t.dtype()) {
            case F32, F16, BF16 -> w.add(name, t.dtype(), t.shape(), t.data());
            default -> w.add(name, DType.F32, t.shape(), Dequant.toFloats(t));
        }
    }

    static String configJson(LlamaConfig c) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.putArray("architectures").add(switch (c.arch()) {
            case "qwen2" -> "Qwen2ForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            default -> "LlamaForCausalLM";
        });
        o.put("model_type", c.arch());
        o.put("hidden_size", c.hidden());
        o.put("intermediate_size", c.ffn());
        o.put("num_hidden_layers", c.layers());
        o.put("num_attention_heads", c.heads());
        o.put("num_key_value_heads", c.kvHeads());
        o.put("head_dim", c.headDim());
        o.put("vocab_size", c.vocab());
        o.put("max_position_embeddings", c.maxPositions());
        o.put("rms_norm_eps", c.rmsEps());
        o.put("rope_theta", c.ropeTheta());
        o.put("tie_word_embeddings", c.tiedEmbeddings());
        o.put("hidden_act", "silu");
        if (c.bosId() >= 0) o.put("bos_token_id", c.bosId());
        if (c.eosIds().length == 1) {
            o.put("eos_token_id", c.eosIds()[0]);
        } else if (c.eosIds().length > 1) {
            var a = o.putArray("eos_token_id");
            for (int id : c.eosIds()) a.add(id);
        }
        if (c.slidingWindow() > 0) o.put("sliding_window", c.slidingWindow());
        return o.toPrettyString();
    }
}
