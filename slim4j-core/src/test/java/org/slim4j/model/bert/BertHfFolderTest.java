package org.slim4j.model.bert;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/**
 * A Hugging Face BERT folder (config.json, model.safetensors with HF names, tokenizer.json, sentence-transformers
 * pooling config) gives the embeddings of the ONNX model it was written from, which the ORT test holds to ONNX Runtime.
 */
@Tag("slow")
class BertHfFolderTest {

    @Test
    void hfCheckpointEmbedsLikeTheOnnxModel(@TempDir Path dir) throws Exception {
        Path[] files = DefaultModels.files("bge-small-en-v1.5");
        List<String> texts = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.");
        try (BertModel onnx = DefaultModels.bgeSmallEnV15()) {
            BertConfig c = onnx.config();
            BertWeights w = onnx.weights();
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            add(out, "bert.embeddings.word_embeddings.weight", w.wordEmb(), DType.F32);
            add(out, "bert.embeddings.position_embeddings.weight", w.posEmb(), DType.F32);
            add(out, "bert.embeddings.token_type_embeddings.weight", w.typeEmb(), DType.F32);
            add(out, "bert.embeddings.LayerNorm.weight", w.embNormW(), DType.F32);
            add(out, "bert.embeddings.LayerNorm.bias", w.embNormB(), DType.F32);
            for (int l = 0; l < c.layers(); l++) {
                BertWeights.Layer L = w.layers().get(l);
                String p = "bert.encoder.layer." + l + ".";
                // matrices as F16, as many checkpoints ship: the loader must take any float type
                add(out, p + "attention.self.query.weight", L.q(), DType.F16);
                add(out, p + "attention.self.query.bias", L.qb(), DType.F32);
                add(out, p + "attention.self.key.weight", L.k(), DType.F16);
                add(out, p + "attention.self.key.bias", L.kb(), DType.F32);
                add(out, p + "attention.self.value.weight", L.v(), DType.F16);
                add(out, p + "attention.self.value.bias", L.vb(), DType.F32);
                add(out, p + "attention.output.dense.weight", L.attnOut(), DType.F16);
                add(out, p + "attention.output.dense.bias", L.attnOutB(), DType.F32);
                add(out, p + "attention.output.LayerNorm.weight", L.attnNormW(), DType.F32);
                add(out, p + "attention.output.LayerNorm.bias", L.attnNormB(), DType.F32);
                add(out, p + "intermediate.dense.weight", L.inter(), DType.F16);
                add(out, p + "intermediate.dense.bias", L.interB(), DType.F32);
                add(out, p + "output.dense.weight", L.out(), DType.F16);
                add(out, p + "output.dense.bias", L.outB(), DType.F32);
                add(out, p + "output.LayerNorm.weight", L.outNormW(), DType.F32);
                add(out, p + "output.LayerNorm.bias", L.outNormB(), DType.F32);
            }
            out.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), """
                    {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": %d, "hidden_size": %d,
                     "num_hidden_layers": %d, "num_attention_heads": %d, "intermediate_size": %d,
                     "max_position_embeddings": %d, "type_vocab_size": %d, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
                    """.formatted(c.vocabSize(), c.hidden(), c.layers(), c.heads(), c.intermediate(), c.maxPositions(), c.typeVocabSize()));
            Files.copy(files[1], dir.resolve("tokenizer.json"));
            Files.createDirectories(dir.resolve("1_Pooling"));
            Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}");

            // a neutral name, so the CLS pooling can only come from 1_Pooling/config.json
            try (BertModel hf = BertLoader.loadHf(dir, Conventions.ALL_MINILM)) {
                assertEquals(Conventions.Pooling.CLS, hf.conventions().pooling());
                float[][] a = onnx.embed(texts), b = hf.embed(texts);
                for (int i = 0; i < texts.size(); i++) {
                    double dot = 0;
                    for (int j = 0; j < a[i].length; j++) dot += a[i][j] * b[i][j];
                    assertEquals(1.0, dot, 1e-5, "F16 matrices keep the embedding within 1e-5 cosine: " + texts.get(i));
                }
            }
        }
    }

    private static void add(SafetensorsWriter out, String name, Tensor t, DType type) {
        out.add(name, type, t.shape(), Dequant.toFloats(t));
    }
}
