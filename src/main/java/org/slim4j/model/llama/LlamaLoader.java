package org.slim4j.model.llama;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.gguf.GgufFile;
import org.slim4j.io.TensorFile;
import org.slim4j.io.compressed.CompressedTensorsFile;
import org.slim4j.tokenizer.GgufTokenizer;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.tokenizer.LazyTokenizer;
import org.slim4j.tokenizer.Tokenizer;
import org.slim4j.util.BadInputException;

/** File to model: a Hugging Face folder (config.json, *.safetensors, tokenizer.json) or a GGUF file. */
public final class LlamaLoader {
    private LlamaLoader() {}

    /** A Hugging Face folder or a .gguf file. */
    public static LlamaModel load(Path path) {
        if (!Files.exists(path)) throw new BadInputException(path, "model", "no such file or folder");
        if (Files.isDirectory(path)) return loadHf(path);
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".gguf")) return loadGguf(path);
        throw new BadInputException(path, "path", "expected a Hugging Face model folder (config.json + safetensors) or a .gguf file");
    }

    /** A GGUF file: config from its metadata, weights as stored (any ggml type), tokenizer from tokenizer.ggml.*. */
    public static LlamaModel loadGguf(Path path) {
        GgufFile file = GgufFile.open(path);
        try {
            LlamaConfig config = LlamaConfig.fromGguf(file);
            LlamaWeights weights = LlamaWeights.load(file, config, LlamaWeights.Names.GGUF);
            // built on first use: bench and other runs on token ids never pay for it
            LazyTokenizer tok = file.has("tokenizer.ggml.model") ? GgufTokenizer.lazy(file) : null;
            if (tok != null && tok.vocabSize() > config.vocab()) {
                throw new BadInputException(path + " tokenizer.ggml.tokens", "vocab", "tokenizer has " + tok.vocabSize()
                        + " tokens but the model's embedding has " + config.vocab() + " rows (tokenizer of another model?)");
            }
            // llama.cpp's rule: add_bos_token when present, else SentencePiece vocabularies add BOS and BPE ones don't.
            boolean addBos = file.has("tokenizer.ggml.add_bos_token") ? file.bool("tokenizer.ggml.add_bos_token")
                    : tok != null && file.string("tokenizer.ggml.model").equals("llama");
            int bos = addBos && file.has("tokenizer.ggml.bos_token_id") ? (int) file.integer("tokenizer.ggml.bos_token_id") : -1;
            return new LlamaModel(config, weights, tok != null ? tok : Tokenizer.missing(path.toString(), "tokenizer.ggml.model"),
                    closing(tok, file), bos);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A Hugging Face folder; tokenizer.json is optional (without it, using {@link LlamaModel#tokenizer()} is bad input naming it). */
    public static LlamaModel loadHf(Path dir) {
        Path configJson = dir.resolve("config.json");
        if (!Files.isRegularFile(configJson)) throw new BadInputException(dir, "config.json", "file not found");
        LlamaConfig config = LlamaConfig.fromHfConfig(configJson);
        TensorFile file = CompressedTensorsFile.openFolder(dir); // compressed-tensors folders decode to dense weights
        try {
            if (!config.tiedEmbeddings() && file.find(LlamaWeights.Names.HF.output()).isEmpty()) {
                throw new BadInputException(file.path(), "tensor '" + LlamaWeights.Names.HF.output() + "'",
                        "tensor not found and config.json has tie_word_embeddings=false");
            }
            LlamaWeights weights = LlamaWeights.load(file, config, LlamaWeights.Names.HF);
            Path tokJson = dir.resolve("tokenizer.json");
            HfTokenizer tok = Files.isRegularFile(tokJson) ? HfTokenizer.load(tokJson) : null;
            checkTokenizer(tok, config, tokJson.toString());
            return new LlamaModel(config, weights, tok != null ? tok : Tokenizer.missing(tokJson.toString(), "tokenizer.json"),
                    closing(tok, file), hfAutoBos(tok, config));
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A tokenizer that can produce ids past the embedding table belongs to another model. */
    private static void checkTokenizer(HfTokenizer tok, LlamaConfig config, String source) {
        if (tok != null && !tok.modelType().equals("BPE") && !tok.modelType().equals("Unigram")) {
            tok.close();
            throw new BadInputException(source, "model.type", "a " + tok.modelType() + " tokenizer cannot belong to a "
                    + config.arch() + " decoder (tokenizer of another model?)");
        }
        if (tok != null && tok.vocabSize() > config.vocab()) {
            tok.close();
            throw new BadInputException(source, "vocab", "tokenizer has " + tok.vocabSize()
                    + " tokens but the model's embedding has " + config.vocab() + " rows (tokenizer of another model?)");
        }
    }

    /** The HF tokenizer's post-processor decides: BOS when encoding with special tokens puts it first. */
    private static int hfAutoBos(HfTokenizer tok, LlamaConfig config) {
        if (tok == null || config.bosId() < 0) return -1;
        int[] with = tok.encode("a", true), without = tok.encode("a", false);
        return with.length > without.length && with[0] == config.bosId() ? config.bosId() : -1;
    }

    private static AutoCloseable closing(AutoCloseable tok, AutoCloseable file) {
        return () -> {
            try {
                if (tok != null) tok.close();
            } finally {
                file.close();
            }
        };
    }
}
