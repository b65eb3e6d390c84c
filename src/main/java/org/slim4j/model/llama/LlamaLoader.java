package org.slim4j.model.llama;

import java.nio.file.Files;
import java.nio.file.Path;
import org.slim4j.io.safetensors.SafetensorsFile;
import org.slim4j.tokenizer.HfTokenizer;
import org.slim4j.util.BadInputException;

/** File to model: a Hugging Face folder (config.json, *.safetensors, tokenizer.json). */
public final class LlamaLoader {
    private LlamaLoader() {}

    public static LlamaModel load(Path path) {
        if (Files.isDirectory(path)) return loadHf(path);
        throw new BadInputException(path, "path", "expected a Hugging Face model folder (config.json + safetensors)");
    }

    /** A Hugging Face folder; tokenizer.json is optional (without it, {@link LlamaModel#tokenizer()} throws). */
    public static LlamaModel loadHf(Path dir) {
        Path configJson = dir.resolve("config.json");
        if (!Files.isRegularFile(configJson)) throw new BadInputException(dir, "config.json", "file not found");
        LlamaConfig config = LlamaConfig.fromHfConfig(configJson);
        SafetensorsFile file = SafetensorsFile.open(dir);
        try {
            if (!config.tiedEmbeddings() && file.find(LlamaWeights.Names.HF.output()).isEmpty()) {
                throw new BadInputException(file.path(), "tensor '" + LlamaWeights.Names.HF.output() + "'",
                        "tensor not found and config.json has tie_word_embeddings=false");
            }
            LlamaWeights weights = LlamaWeights.load(file, config, LlamaWeights.Names.HF);
            Path tokJson = dir.resolve("tokenizer.json");
            HfTokenizer tok = Files.isRegularFile(tokJson) ? HfTokenizer.load(tokJson) : null;
            return new LlamaModel(config, weights, tok, () -> {
                try {
                    if (tok != null) tok.close();
                } finally {
                    file.close();
                }
            });
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }
}
