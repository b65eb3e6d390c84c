package org.slim4j.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slim4j.model.CausalLM;

/** The options {@link Slim4jChatModel} and {@link Slim4jStreamingChatModel} are built with. */
public abstract class Slim4jChatModelBuilder<B extends Slim4jChatModelBuilder<B>> {
    String model;
    CausalLM causalLM;
    String modelName;
    int threads;
    final Slim4jChatRequestParameters.Builder parameters = Slim4jChatRequestParameters.builder();
    final List<ChatModelListener> listeners = new ArrayList<>();

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** A Llama-family decoder (Llama, Mistral, Qwen2, SmolLM): a Hugging Face folder or a .gguf file. */
    public B model(String spec) {
        this.model = spec;
        return self();
    }

    public B modelPath(Path path) {
        this.model = path.toString();
        return self();
    }

    /** A decoder already loaded; it stays the caller's to close, and may be shared by several models. */
    public B causalLM(CausalLM causalLM) {
        this.causalLM = causalLM;
        return self();
    }

    /** The name reported in responses and to listeners (default: the model's path). */
    public B modelName(String name) {
        this.modelName = name;
        return self();
    }

    /** The engine's worker threads for a model loaded here; 0 (the default) for every core. */
    public B threads(int threads) {
        this.threads = threads;
        return self();
    }

    /** Default request parameters (any request's own values win over them). */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.parameters.overrideWith(parameters);
        return self();
    }

    /** 0 (the default) decodes greedily; above 0 samples (top-k, then top-p). */
    public B temperature(Double temperature) {
        parameters.temperature(temperature);
        return self();
    }

    public B topP(Double topP) {
        parameters.topP(topP);
        return self();
    }

    /** Tokens kept before top-p; 0 (the default) keeps all. */
    public B topK(Integer topK) {
        parameters.topK(topK);
        return self();
    }

    /** New tokens at most (default: up to the end of the model's context). */
    public B maxOutputTokens(Integer maxOutputTokens) {
        parameters.maxOutputTokens(maxOutputTokens);
        return self();
    }

    /** Strings that end the reply (not included in it), besides the model's own end tokens. */
    public B stopSequences(List<String> stop) {
        parameters.stopSequences(stop);
        return self();
    }

    /** The sampler's seed (default: a fresh one per request). */
    public B seed(Long seed) {
        parameters.seed(seed);
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners.addAll(listeners);
        return self();
    }
}
