package org.slim4j.compress.structured;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.Conventions;
import org.slim4j.tensor.Tensor;

/**
 * Writes a (possibly structurally pruned) BERT encoder as a Hugging Face folder that {@code BertLoader.loadHf}
 * reads back: config.json (per-layer sizes as documented in {@link BertConfig}), model.safetensors in float32,
 * tokenizer.json, and the sentence-transformers pooling config so that the folder states how to pool.
 */
public final class BertFolder {
    private BertFolder() {}

    public static void write(BertShrink m, Conventions conventions, Path tokenizerJson, Path dir) {
        BertConfig c = m.config();
        try {
            Files.createDirectories(dir.resolve("1_Pooling"));
            ObjectMapper json = new ObjectMapper();
            ObjectNode cfg = json.createObjectNode();
            cfg.putArray("architectures").add("BertModel");
            cfg.put("model_type", "bert").put("hidden_act", "gelu").put("vocab_size", c.vocabSize()).put("hidden_size", c.hidden())
                    .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads()).put("intermediate_size", c.intermediate())
                    .put("max_position_embeddings", c.maxPositions()).put("type_vocab_size", c.typeVocabSize()).put("layer_norm_eps", c.layerNormEps());
            ObjectNode pruned = cfg.putObject("pruned_heads");
            m.prunedHeads().forEach((l, heads) -> {
                var a = pruned.putArray(String.valueOf(l));
                heads.forEach(a::add);
            });
            var sizes = cfg.putArray("slim4j_intermediate_sizes");
            c.layerIntermediate().forEach(sizes::add);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), cfg);
            ObjectNode pool = json.createObjectNode().put("word_embedding_dimension", c.hidden())
                    .put("pooling_mode_cls_token", conventions.pooling() == Conventions.Pooling.CLS)
                    .put("pooling_mode_mean_tokens", conventions.pooling() == Conventions.Pooling.MEAN);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("1_Pooling").resolve("config.json").toFile(), pool);
            Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + dir, e);
        }
        SafetensorsWriter st = new SafetensorsWriter().metadata("format", "pt");
        var w = m.weights();
        for (Tensor t : new Tensor[] {w.wordEmb(), w.posEmb(), w.typeEmb(), w.embNormW(), w.embNormB()}) add(st, t);
        for (var l : w.layers()) {
            for (Tensor t : new Tensor[] {l.q(), l.qb(), l.k(), l.kb(), l.v(), l.vb(), l.attnOut(), l.attnOutB(), l.attnNormW(), l.attnNormB(),
                l.inter(), l.interB(), l.out(), l.outB(), l.outNormW(), l.outNormB()}) {
                if (t != null) add(st, t);
            }
        }
        st.write(dir.resolve("model.safetensors"));
    }

    /** As float32 bytes (the writer needs byte-backed memory; shrunk tensors live in float arrays). */
    private static void add(SafetensorsWriter st, Tensor t) {
        st.add(t.name(), org.slim4j.tensor.DType.F32, t.shape(), org.slim4j.tensor.Dequant.toFloats(t));
    }
}
