package org.slim4j;

import java.nio.file.Path;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.util.BadInputException;

/** The Java API: load any supported model with one call. */
public final class Slim4j {
    private Slim4j() {}

    /** A Llama-family decoder from a Hugging Face folder or a .gguf file. */
    public static CausalLM loadCausalLM(String spec) {
        return org.slim4j.model.llama.LlamaLoader.load(path(spec));
    }

    /** A BERT-family encoder: a built-in name, an .onnx file (tokenizer.json beside it) or a Hugging Face folder. */
    public static Encoder loadEncoder(String spec) {
        throw new BadInputException(spec, null, "no encoder loader is wired in yet");
    }

    static Path path(String spec) {
        return Path.of(spec);
    }
}
