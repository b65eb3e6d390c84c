package org.slim4j.server;

import java.nio.file.Path;
import org.slim4j.Slim4j;
import org.slim4j.model.CausalLM;
import org.slim4j.model.Encoder;
import org.slim4j.model.llama.Decoder;
import org.slim4j.tensor.kernel.EngineOptions;
import org.slim4j.util.BadInputException;

/** A model the server offers under a name: a decoder (chat, completions) or an encoder (embeddings). */
public final class ServedModel implements AutoCloseable {
    final String id;
    final CausalLM decoder;
    final Encoder encoder;
    DecodeScheduler scheduler;
    EmbeddingBatcher batcher;

    private ServedModel(String id, CausalLM decoder, Encoder encoder) {
        this.id = id;
        this.decoder = decoder;
        this.encoder = encoder;
    }

    public static ServedModel of(String id, CausalLM decoder) {
        if (!(decoder instanceof Decoder)) throw new IllegalArgumentException(id + ": the server runs slim4j's Llama-family decoders");
        return new ServedModel(id, decoder, null);
    }

    public static ServedModel of(String id, Encoder encoder) {
        return new ServedModel(id, null, encoder);
    }

    /**
     * Loads {@code spec}, given as {@code PATH_OR_NAME} or {@code ID=PATH_OR_NAME}; the id defaults to the file or folder
     * name without .gguf/.onnx (a built-in encoder keeps its name).
     */
    public static ServedModel load(String spec, EngineOptions options) {
        int eq = spec.indexOf('=');
        String id = eq > 0 ? spec.substring(0, eq) : defaultId(spec);
        String model = eq > 0 ? spec.substring(eq + 1) : spec;
        if (id.isBlank() || model.isBlank()) throw new BadInputException("-m", null, "expected PATH or ID=PATH, got '" + spec + "'");
        return Slim4j.kindOf(model) == Slim4j.Kind.DECODER ? of(id, Slim4j.loadCausalLM(model, options)) : of(id, Slim4j.loadEncoder(model, options));
    }

    static String defaultId(String spec) {
        Path p = Path.of(spec).normalize();
        String name = p.getFileName() == null ? spec : p.getFileName().toString();
        return name.replaceFirst("\\.(gguf|onnx)$", "");
    }

    boolean isDecoder() {
        return decoder != null;
    }

    public String id() {
        return id;
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.close();
        if (batcher != null) batcher.close();
        if (decoder != null) decoder.close();
        if (encoder != null) encoder.close();
    }
}
