package org.slim4j.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slim4j.io.gguf.GgufWriter;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.model.llama.LlamaConfig;
import org.slim4j.model.llama.LlamaWeights;
import org.slim4j.model.llama.QkPermutation;
import org.slim4j.tensor.DType;
import org.slim4j.tensor.Dequant;
import org.slim4j.tensor.Tensor;
import org.slim4j.util.BadInputException;

/**
 * A Hugging Face Llama/Mistral/Qwen2 folder to GGUF the way llama.cpp's convert_hf_to_gguf.py does it: Q/K rows of
 * arch llama permuted for ggml's adjacent-pair RoPE, {@code <arch>.*} hyper-parameters, the byte-level BPE
 * tokenizer as {@code tokenizer.ggml.*}, Llama 3 rope scaling as a {@code rope_freqs.weight} tensor.
 * Matrices are written as F32, F16 or BF16 ({@code null} keeps each tensor's own type); 1-D tensors always as F32.
 */
public final class HfToGguf {
    private static final ObjectMapper JSON = new ObjectMapper();
    // llama.cpp's token types
    private static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4;

    private HfToGguf() {}

    public static void convert(Path hfDir, Path gguf, DType matrixType) {
        if (matrixType != null && matrixType != DType.F32 && matrixType != DType.F16 && matrixType != DType.BF16) {
            throw new IllegalArgumentException("matrices can be written as F32, F16 or BF16, not " + matrixType);
        }
        LlamaConfig c = LlamaConfig.fromHfConfig(hfDir.resolve("config.json"));
        // Mistral is arch llama to llama.cpp; qwen2 keeps its own arch (NEOX RoPE, no permutation).
        String arch = c.arch().equals("qwen2") ? "qwen2" : "llama";
        boolean permute = arch.equals("llama");
        if (permute && c.qkvBias()) throw new BadInputException(hfDir.resolve("config.json"), "attention_bias", "Q/K/V biases need arch qwen2");
        try (SafetensorsFile st = SafetensorsFile.open(hfDir)) {
            LlamaWeights.Names from = LlamaWeights.Names.HF, to = LlamaWeights.Names.GGUF;
            GgufWriter w = new GgufWriter();
            metadata(w, c, arch, matrixType != null ? matrixType : st.tensor(from.embedding()).dtype());
            tokenizer(w, hfDir, c);
            Tensors t = new Tensors(w, st, matrixType);
            t.add(from.embedding(), to.embedding());
            for (int l = 0; l < c.layers(); l++) {
                t.add(from.attnNorm().formatted(l), to.attnNorm().formatted(l));
                Tensor q = st.tensor(from.wq().formatted(l)), k = st.tensor(from.wk().formatted(l));
                t.add(permute ? QkPermutation.permute(q, c.heads()) : q, to.wq().formatted(l));
                t.add(permute ? QkPermutation.permute(k, c.kvHeads()) : k, to.wk().formatted(l));
                t.add(from.wv().formatted(l), to.wv().formatted(l));
                if (c.qkvBias()) {
                    t.add(from.bq().formatted(l), to.bq().formatted(l));
                    t.add(from.bk().formatted(l), to.bk().formatted(l));
                    t.add(from.bv().formatted(l), to.bv().formatted(l));
                }
                t.add(from.wo().formatted(l), to.wo().formatted(l));
                t.add(from.ffnNorm().formatted(l), to.ffnNorm().formatted(l));
                t.add(from.wGate().formatted(l), to.wGate().formatted(l));
                t.add(from.wUp().formatted(l), to.wUp().formatted(l));
                t.add(from.wDown().formatted(l), to.wDown().formatted(l));
            }
            t.add(from.outputNorm(), to.outputNorm());
            if (!c.tiedEmbeddings()) t.add(from.output(), to.output());
            if (c.ropeScaling() != null && c.ropeScaling().lowFreqFactor() > 0) {
                w.addTensor(LlamaWeights.ROPE_FREQS, new long[] {c.headDim() / 2}, ropeFactors(c), DType.F32);
            }
            w.write(gguf);
        }
    }

    private static void metadata(GgufWriter w, LlamaConfig c, String arch, DType fileType) {
        // llama_ftype: ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32
        hyperparameters(w, c, arch, "slim4j conversion", fileType == DType.F32 ? 0 : fileType == DType.BF16 ? 32 : 1);
    }

    /** The general.* and ARCH.* keys llama.cpp reads a Llama-family model's shape from. */
    static void hyperparameters(GgufWriter w, LlamaConfig c, String arch, String name, int fileType) {
        String p = arch + ".";
        w.putString("general.architecture", arch);
        w.putString("general.name", name);
        w.putUint32("general.file_type", fileType);
        w.putUint32(p + "block_count", c.layers());
        w.putUint32(p + "context_length", c.maxPositions());
        w.putUint32(p + "embedding_length", c.hidden());
        w.putUint32(p + "feed_forward_length", c.ffn());
        w.putUint32(p + "attention.head_count", c.heads());
        w.putUint32(p + "attention.head_count_kv", c.kvHeads());
        w.putFloat32(p + "rope.freq_base", (float) c.ropeTheta());
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", c.rmsEps());
        if (c.headDim() != c.hidden() / c.heads()) {
            w.putUint32(p + "attention.key_length", c.headDim());
            w.putUint32(p + "attention.value_length", c.headDim());
        }
        w.putUint32(p + "vocab_size", c.vocab());
        w.putUint32(p + "rope.dimension_count", c.headDim());
        if (c.ropeScaling() != null && c.ropeScaling().lowFreqFactor() == 0) {
            w.putString(p + "rope.scaling.type", "linear");
            w.putFloat32(p + "rope.scaling.factor", (float) c.ropeScaling().factor());
        }
    }

    /** llama.cpp's rope_freqs: what each base frequency is divided by under Llama 3 scaling. */
    static float[] ropeFactors(LlamaConfig c) {
        double[] base = org.slim4j.model.llama.LlamaConfig.baseFrequencies(c.ropeTheta(), c.headDim());
        double[] scaled = org.slim4j.model.llama.LlamaConfig.scaledFrequencies(c);
        float[] f = new float[base.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) (base[i] / scaled[i]);
        return f;
    }

    private static void tokenizer(GgufWriter w, Path hfDir, LlamaConfig c) {
        Path file = hfDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return;
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file, "tokenizer.json", "not valid JSON");
        }
        JsonNode model = root.path("model");
        if (!model.path("type").asText().equals("BPE") || !model.path("vocab").isObject()) {
            throw new BadInputException(file, "model.type", "only byte-level BPE tokenizers convert (got '" + model.path("type").asText() + "')");
        }
        Map<Integer, String> byId = new HashMap<>();
        Map<Integer, Integer> types = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        for (JsonNode a : root.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            types.put(a.path("id").asInt(), a.path("special").asBoolean() ? CONTROL : USER_DEFINED);
        }
        int n = Math.max(c.vocab(), byId.keySet().stream().mapToInt(i -> i + 1).max().orElse(0));
        List<String> tokens = new ArrayList<>(n);
        int[] tt = new int[n];
        for (int i = 0; i < n; i++) {
            String s = byId.get(i);
            // Ids the tokenizer never produces (embedding padding) get placeholder names, as llama.cpp writes them.
            tokens.add(s != null ? s : "[PAD" + i + "]");
            tt[i] = s == null ? USER_DEFINED : types.getOrDefault(i, NORMAL);
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", preTokenizer(file, root.path("pre_tokenizer")));
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putInts("tokenizer.ggml.token_type", tt);
        w.putStrings("tokenizer.ggml.merges", merges);
        if (c.bosId() >= 0) w.putUint32("tokenizer.ggml.bos_token_id", c.bosId());
        if (c.eosIds().length > 0) w.putUint32("tokenizer.ggml.eos_token_id", c.eosIds()[0]);
        Path tc = hfDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(tc)) {
            try {
                JsonNode t = JSON.readTree(tc.toFile());
                if (t.has("add_bos_token")) w.putBool("tokenizer.ggml.add_bos_token", t.get("add_bos_token").asBoolean());
            } catch (IOException e) {
                throw new BadInputException(tc, "tokenizer_config.json", "not valid JSON");
            }
        }
    }

    /**
     * llama.cpp names the pre-tokenizer by hashing sample output; here it is read off the pre_tokenizer structure,
     * for the shapes GgufTokenizer knows: individual digits + byte-level (SmolLM), a Llama 3 or Qwen2 split regex,
     * or plain byte-level (GPT-2).
     */
    static String preTokenizer(Path file, JsonNode pre) {
        String type = pre.path("type").asText();
        if (type.equals("ByteLevel")) return "gpt2";
        if (type.equals("Sequence")) {
            JsonNode list = pre.path("pretokenizers");
            if (list.size() == 2 && list.get(0).path("type").asText().equals("Digits")
                    && list.get(0).path("individual_digits").asBoolean() && list.get(1).path("type").asText().equals("ByteLevel")) {
                return "smollm";
            }
            if (list.size() >= 2 && list.get(0).path("type").asText().equals("Split")) {
                String regex = list.get(0).path("pattern").path("Regex").asText();
                if (regex.contains("\\p{N}{1,3}")) return "llama-bpe";
                if (regex.contains("\\p{N}|")) return "qwen2";
            }
        }
        throw new BadInputException(file, "pre_tokenizer", "no llama.cpp pre-tokenizer name for " + pre);
    }

    /** Adds tensors, converting matrices to the requested type and 1-D tensors to F32. */
    private record Tensors(GgufWriter w, SafetensorsFile st, DType matrixType) {
        void add(String hfName, String ggufName) {
            add(st.tensor(hfName), ggufName);
        }

        void add(Tensor t, String ggufName) {
            DType target = t.shape().length == 1 ? DType.F32 : matrixType == null ? t.dtype() : matrixType;
            if (target == t.dtype()) {
                w.addTensor(ggufName, t.dtype(), t.shape(), t.data());
            } else {
                w.addTensor(ggufName, t.shape(), Dequant.toFloats(t), target);
            }
        }
    }
}
