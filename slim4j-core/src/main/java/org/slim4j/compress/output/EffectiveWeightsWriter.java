package org.slim4j.compress.output;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.slim4j.compress.CompressedLinear;
import org.slim4j.io.safetensors.SafetensorsWriter;
import org.slim4j.model.bert.BertConfig;
import org.slim4j.model.bert.BertModel;
import org.slim4j.model.bert.BertWeights;
import org.slim4j.model.bert.Conventions;
import org.slim4j.model.llama.LlamaModel;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * A Hugging Face folder of the effective (fake-quantized) weights in float32: config.json, model.safetensors,
 * tokenizer.json (and for encoders 1_Pooling/config.json), which every loader of slim4j (and transformers) reads.
 * Stores nothing of the compressed form, so it is as large as the float model; the formats writer replaces it.
 */
public final class EffectiveWeightsWriter implements CompressedModelWriter {

    @Override
    public void write(Path out, AutoCloseable model, Map<String, CompressedLinear> layers, String source) {
        try {
            Files.createDirectories(out);
            switch (model) {
                case BertModel b -> writeBert(out, b, source);
                case LlamaModel l -> writeLlama(out, l);
                default -> throw new IllegalArgumentException("cannot write " + model.getClass().getSimpleName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + out, e);
        }
    }

    private static void writeBert(Path out, BertModel m, String source) throws IOException {
        BertConfig c = m.config();
        BertWeights w = m.weights();
        SafetensorsWriter st = new SafetensorsWriter().metadata("format", "pt");
        store(st, "embeddings.word_embeddings.weight", w.wordEmb());
        store(st, "embeddings.position_embeddings.weight", w.posEmb());
        store(st, "embeddings.token_type_embeddings.weight", w.typeEmb());
        store(st, "embeddings.LayerNorm.weight", w.embNormW());
        store(st, "embeddings.LayerNorm.bias", w.embNormB());
        String[][] roles = {{"q", "attention.self.query"}, {"k", "attention.self.key"}, {"v", "attention.self.value"},
            {"attnOut", "attention.output.dense"}, {"inter", "intermediate.dense"}, {"out", "output.dense"}};
        for (int l = 0; l < w.layers().size(); l++) {
            BertWeights.Layer L = w.layers().get(l);
            String p = "encoder.layer." + l + ".";
            Tensor[] t = {L.q(), L.qb(), L.k(), L.kb(), L.v(), L.vb(), L.attnOut(), L.attnOutB(), L.inter(), L.interB(), L.out(), L.outB()};
            for (int r = 0; r < roles.length; r++) {
                store(st, p + roles[r][1] + ".weight", t[2 * r]);
                store(st, p + roles[r][1] + ".bias", t[2 * r + 1]);
            }
            store(st, p + "attention.output.LayerNorm.weight", L.attnNormW());
            store(st, p + "attention.output.LayerNorm.bias", L.attnNormB());
            store(st, p + "output.LayerNorm.weight", L.outNormW());
            store(st, p + "output.LayerNorm.bias", L.outNormB());
        }
        st.write(out.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = json.createObjectNode();
        cfg.put("model_type", "bert").put("hidden_act", "gelu").put("vocab_size", c.vocabSize()).put("hidden_size", c.hidden())
                .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads()).put("intermediate_size", c.intermediate())
                .put("max_position_embeddings", c.maxPositions()).put("type_vocab_size", c.typeVocabSize()).put("layer_norm_eps", c.layerNormEps());
        cfg.putArray("architectures").add("BertModel");
        if (source != null) cfg.put("_name_or_path", source); // where the ONNX graph of an export comes from
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), cfg);
        Files.createDirectories(out.resolve("1_Pooling"));
        boolean cls = m.conventions().pooling() == Conventions.Pooling.CLS;
        ObjectNode pool = json.createObjectNode().put("word_embedding_dimension", c.hidden())
                .put("pooling_mode_cls_token", cls).put("pooling_mode_mean_tokens", !cls);
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("1_Pooling").resolve("config.json").toFile(), pool);
        copy(Path.of(m.tokenizer().source()), out.resolve("tokenizer.json"));
    }

    private static void writeLlama(Path out, LlamaModel m) throws IOException {
        LlamaWeights w = m.weights();
        SafetensorsWriter st = new SafetensorsWriter().metadata("format", "pt");
        LlamaWeights.Names n = LlamaWeights.Names.HF;
        int h = m.config().hidden();
        store(st, n.embedding(), w.embedding());
        for (int l = 0; l < w.layers().length; l++) {
            LlamaWeights.Layer L = w.layers()[l];
            st.add(n.attnNorm().formatted(l), DType.F32, new long[] {h}, L.attnNorm());
            st.add(n.ffnNorm().formatted(l), DType.F32, new long[] {h}, L.ffnNorm());
            store(st, n.wq().formatted(l), L.wq());
            store(st, n.wk().formatted(l), L.wk());
            store(st, n.wv().formatted(l), L.wv());
            store(st, n.wo().formatted(l), L.wo());
            store(st, n.wGate().formatted(l), L.wGate());
            store(st, n.wUp().formatted(l), L.wUp());
            store(st, n.wDown().formatted(l), L.wDown());
            if (L.bq() != null) {
                st.add(n.bq().formatted(l), DType.F32, new long[] {L.bq().length}, L.bq());
                st.add(n.bk().formatted(l), DType.F32, new long[] {L.bk().length}, L.bk());
                st.add(n.bv().formatted(l), DType.F32, new long[] {L.bv().length}, L.bv());
            }
        }
        st.add(n.outputNorm(), DType.F32, new long[] {h}, w.outputNorm());
        if (!m.config().tiedEmbeddings()) store(st, n.output(), w.output());
        st.write(out.resolve("model.safetensors"));
        Path src = sourceDir(m);
        for (String f : new String[] {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
            if (Files.isRegularFile(src.resolve(f))) copy(src.resolve(f), out.resolve(f));
        }
    }

    /** The folder the decoder came from: its tokenizer's (only Hugging Face folders are written back). */
    private static Path sourceDir(LlamaModel m) {
        if (m.tokenizer() instanceof org.slim4j.tokenizer.HfTokenizer t && Files.isRegularFile(Path.of(t.source()))) {
            Path dir = Path.of(t.source()).getParent();
            if (Files.isRegularFile(dir.resolve("config.json"))) return dir;
        }
        throw new BadInputException("-o", null, "writing a decoder needs the Hugging Face folder it came from (config.json, tokenizer.json); GGUF input is not supported yet");
    }

    /** Tensors keep their stored float type (BF16 stays BF16); block-quantized ones become F32. */
    private static void store(SafetensorsWriter st, String name, Tensor t) {
        DType d = t.dtype();
        if (d == DType.F32 || d == DType.F16 || d == DType.BF16) st.add(name, d, t.shape(), t.data());
        else st.add(name, DType.F32, t.shape(), Dequant.toFloats(t));
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
}
