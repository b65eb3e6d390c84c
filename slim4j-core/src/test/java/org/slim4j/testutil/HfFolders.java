package org.slim4j.testutil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.compress.LinearWeight;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.model.bert.DefaultModels;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;

/** Hugging Face folders for the format tests: a BERT encoder written out in F32, and "fake-quantized" copies. */
public final class HfFolders {
    private HfFolders() {}

    /** all-MiniLM-L6-v2 (from its ONNX export) as an F32 HF folder with tokenizer and mean pooling. */
    public static Path miniLm(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (BertModel m = DefaultModels.allMiniLmL6V2()) {
            BertConfig c = m.config();
            BertWeights w = m.weights();
            SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
            add(out, "embeddings.word_embeddings.weight", w.wordEmb());
            add(out, "embeddings.position_embeddings.weight", w.posEmb());
            add(out, "embeddings.token_type_embeddings.weight", w.typeEmb());
            add(out, "embeddings.LayerNorm.weight", w.embNormW());
            add(out, "embeddings.LayerNorm.bias", w.embNormB());
            for (int l = 0; l < c.layers(); l++) {
                BertWeights.Layer L = w.layers().get(l);
                String p = "encoder.layer." + l + ".";
                Tensor[] t = {L.q(), L.qb(), L.k(), L.kb(), L.v(), L.vb(), L.attnOut(), L.attnOutB(), L.attnNormW(), L.attnNormB(),
                    L.inter(), L.interB(), L.out(), L.outB(), L.outNormW(), L.outNormB()};
                String[] n = {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight", "attention.self.key.bias",
                    "attention.self.value.weight", "attention.self.value.bias", "attention.output.dense.weight", "attention.output.dense.bias",
                    "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
                    "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"};
                for (int i = 0; i < t.length; i++) add(out, p + n[i], t[i]);
            }
            out.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), """
                    {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": %d, "hidden_size": %d,
                     "num_hidden_layers": %d, "num_attention_heads": %d, "intermediate_size": %d,
                     "max_position_embeddings": %d, "type_vocab_size": %d, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
                    """.formatted(c.vocabSize(), c.hidden(), c.layers(), c.heads(), c.intermediate(), c.maxPositions(), c.typeVocabSize()));
        }
        Files.copy(DefaultModels.files("all-minilm-l6-v2")[1], dir.resolve("tokenizer.json"));
        return dir;
    }

    private static void add(SafetensorsWriter out, String name, Tensor t) {
        out.add(name, DType.F32, t.shape(), Dequant.toFloats(t));
    }

    /** Every 2-D weight named ".weight" of the folder that {@code pick} selects, compressed by {@code method}. */
    public static Map<String, CompressedLinear> compressAll(Path dir, java.util.function.Predicate<String> pick, Function<LinearWeight, CompressedLinear> method) {
        Map<String, CompressedLinear> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir)) {
            for (Tensor t : f.tensors()) {
                if (t.shape().length != 2 || !pick.test(t.name())) continue;
                LinearWeight w = new LinearWeight(t.name(), (int) t.shape()[0], (int) t.shape()[1], Dequant.toFloats(t));
                out.put(t.name(), method.apply(w));
            }
        }
        return out;
    }

    /** The same folder with each compressed layer's effective weight in F32: what the compressed model must compute. */
    public static Path fakeQuant(Path src, Map<String, CompressedLinear> layers, Path dst) throws IOException {
        Files.createDirectories(dst);
        SafetensorsWriter out = new SafetensorsWriter().metadata("format", "pt");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            for (Tensor t : f.tensors()) {
                CompressedLinear c = layers.get(t.name());
                if (c == null) out.add(t);
                else out.add(t.name(), DType.F32, t.shape(), c.effectiveWeight());
            }
            out.write(dst.resolve("model.safetensors"));
        }
        try (var s = Files.list(src)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().endsWith(".safetensors")).toList()) {
                if (Files.isRegularFile(p)) Files.copy(p, dst.resolve(p.getFileName()));
            }
        }
        return dst;
    }
}
